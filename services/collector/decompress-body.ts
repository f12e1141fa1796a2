// Segment SDKs may gzip request bodies (Content-Encoding: gzip). The limits apply to the
// decompressed size, and decompression itself stops at the limit: a small gzip of zeros can
// inflate to gigabytes, and inflating it after the 413 would burn CPU for nothing.
import { Transform, type Readable } from 'node:stream';
import zlib from 'node:zlib';

export class UnsupportedEncodingError extends Error {
  override name = 'UnsupportedEncodingError';
  readonly statusCode = 415;
}

/** The decompressed body passed the route's limit; decompression was stopped there. */
export class DecompressedTooLargeError extends Error {
  override name = 'DecompressedTooLargeError';
  readonly statusCode = 413;
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes once decompressed`);
  }
}

type CountedStream = Readable & { receivedEncodedLength?: number };

/**
 * Returns the stream to parse: the payload itself, or a decompressor fed by it that never emits
 * more than `limit` bytes. Past the limit it errors with DecompressedTooLargeError, unpipes the
 * request and destroys the decompressor, so no further input is read or inflated.
 */
export function decompressedPayload(
  payload: Readable,
  contentEncoding: string | undefined,
  limit: number,
): Readable {
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return payload;
  let decoder: zlib.Gunzip | zlib.Inflate;
  if (encoding === 'gzip' || encoding === 'x-gzip') decoder = zlib.createGunzip();
  else if (encoding === 'deflate') decoder = zlib.createInflate();
  else
    throw new UnsupportedEncodingError(
      `unsupported Content-Encoding '${encoding}': use gzip, deflate or none`,
    );
  let produced = 0;
  const bounded = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      produced += chunk.length;
      if (produced <= limit) return callback(null, chunk);
      payload.unpipe(decoder);
      payload.removeListener('data', countEncoded);
      payload.pause();
      decoder.unpipe(bounded);
      decoder.destroy();
      // fastify reads this error as the body's failure and answers with its statusCode.
      return callback(new DecompressedTooLargeError(limit));
    },
  });
  const out = bounded as CountedStream;
  // fastify compares this (not the decompressed size) with Content-Length.
  out.receivedEncodedLength = 0;
  function countEncoded(chunk: Buffer): void {
    out.receivedEncodedLength = (out.receivedEncodedLength ?? 0) + chunk.length;
  }
  payload.on('data', countEncoded);
  payload.on('error', (err) => decoder.destroy(err));
  decoder.on('error', (err) => bounded.destroy(err));
  return payload.pipe(decoder).pipe(bounded);
}
