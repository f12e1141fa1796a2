// A gzip bomb: a few hundred KB that inflate to 200 MB. Decompression must stop at the limit and
// stop reading the request, not inflate the rest after the 413.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import {
  DecompressedTooLargeError,
  UnsupportedEncodingError,
  decompressedPayload,
} from '../../../services/collector/decompress-body';

/** A request-like stream of `data` in 16 KB chunks, counting how much of it was read. */
function countingSource(data: Buffer) {
  let offset = 0;
  const source = new Readable({
    read() {
      if (offset >= data.length) return void this.push(null);
      const chunk = data.subarray(offset, offset + 16 * 1024);
      offset += chunk.length;
      this.push(chunk);
    },
  });
  return { source, read: () => offset };
}

async function drain(stream: Readable): Promise<{ bytes: number; error?: unknown }> {
  let bytes = 0;
  try {
    for await (const chunk of stream) bytes += (chunk as Buffer).length;
    return { bytes };
  } catch (error) {
    return { bytes, error };
  }
}

describe('decompressedPayload', () => {
  const bomb = gzipSync(Buffer.alloc(200 * 1024 * 1024));

  it('stops a gzip bomb at the limit: errors, emits no more than the limit, reads little input', async () => {
    const limit = 512_000;
    const { source, read } = countingSource(bomb);
    const out = decompressedPayload(source, 'gzip', limit);
    const { bytes, error } = await drain(out);
    expect(error).toBeInstanceOf(DecompressedTooLargeError);
    expect((error as DecompressedTooLargeError).statusCode).toBe(413);
    expect(bytes).toBeLessThanOrEqual(limit);
    // Wait for the source's pending reads to settle: nothing pipes it any more.
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.listenerCount('data')).toBe(0);
    expect(source.readableFlowing).toBe(false);
    expect(read()).toBeLessThan(bomb.length);
  });

  it('stops reading a long compressed body soon after the limit', async () => {
    // Hex digits compress about 2:1, so the input is long enough to see where reading stopped.
    const encoded = gzipSync(Buffer.from(randomBytes(4 * 1024 * 1024).toString('hex')));
    const { source, read } = countingSource(encoded);
    const { error } = await drain(decompressedPayload(source, 'gzip', 512_000));
    expect(error).toBeInstanceOf(DecompressedTooLargeError);
    await new Promise((resolve) => setImmediate(resolve));
    expect(read()).toBeLessThan(encoded.length / 4);
  });

  it('passes a body up to the limit whole and counts its encoded length', async () => {
    const json = Buffer.from(JSON.stringify({ x: 'y'.repeat(10_000) }));
    const encoded = gzipSync(json);
    const out = decompressedPayload(Readable.from([encoded]), 'gzip', json.length);
    const { bytes, error } = await drain(out);
    expect(error).toBeUndefined();
    expect(bytes).toBe(json.length);
    expect((out as Readable & { receivedEncodedLength: number }).receivedEncodedLength).toBe(encoded.length);
  });

  it('returns an unencoded body as it is and refuses unknown encodings', () => {
    const payload = Readable.from([Buffer.from('{}')]);
    expect(decompressedPayload(payload, undefined, 10)).toBe(payload);
    expect(() => decompressedPayload(payload, 'br', 10)).toThrow(UnsupportedEncodingError);
  });
});
