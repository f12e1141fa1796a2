// Segment SDKs may gzip request bodies (Content-Encoding: gzip). Decompression happens before the
// body limit is counted, so the limits apply to the real JSON size and a zip bomb stops at the limit.
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';

export class UnsupportedEncodingError extends Error {
  override name = 'UnsupportedEncodingError';
  readonly statusCode = 415;
}

type CountedStream = Readable & { receivedEncodedLength?: number };

/** Returns the stream to parse: the payload itself, or a decompressor fed by it. */
export function decompressedPayload(payload: Readable, contentEncoding: string | undefined): Readable {
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return payload;
  let decoder: zlib.Gunzip | zlib.Inflate;
  if (encoding === 'gzip' || encoding === 'x-gzip') decoder = zlib.createGunzip();
  else if (encoding === 'deflate') decoder = zlib.createInflate();
  else
    throw new UnsupportedEncodingError(
      `unsupported Content-Encoding '${encoding}': use gzip, deflate or none`,
    );
  const out = decoder as unknown as CountedStream;
  // fastify compares this (not the decompressed size) with Content-Length.
  out.receivedEncodedLength = 0;
  payload.on('data', (chunk: Buffer) => {
    out.receivedEncodedLength = (out.receivedEncodedLength ?? 0) + chunk.length;
  });
  payload.on('error', (err) => decoder.destroy(err));
  return payload.pipe(decoder);
}
