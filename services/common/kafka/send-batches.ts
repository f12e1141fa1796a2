// Splits outgoing records into produce requests below the broker's size limit. kafkajs sends one
// sendBatch as one request with one record batch per partition and never splits it, so more than
// `message.max.bytes` (1 MB by default) bound for one partition would be refused on every attempt.
import type { OutgoingMessage } from './producer';

/** Record batch header plus a record's own framing (lengths, attributes, deltas), rounded up. */
const BATCH_OVERHEAD = 61;
const RECORD_OVERHEAD = 24;
const HEADER_OVERHEAD = 10;

function byteLength(value: string | Buffer | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return Buffer.isBuffer(value) ? value.length : Buffer.byteLength(value);
}

/** An upper bound of the bytes a record takes in an uncompressed produce request. */
export function recordBytes(message: OutgoingMessage): number {
  let size = RECORD_OVERHEAD + byteLength(message.key) + byteLength(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    size += HEADER_OVERHEAD + Buffer.byteLength(name) + byteLength(value);
  }
  return size;
}

/** True when the record alone would not fit a request of `maxBytes`: no split can send it. */
export function tooLargeToSend(message: OutgoingMessage, maxBytes: number): boolean {
  return BATCH_OVERHEAD + recordBytes(message) > maxBytes;
}

/**
 * Consecutive runs of `messages`, each below `maxBytes` in total. Sent one after the other, they keep
 * the order of every key (and every partition). A record that alone exceeds the limit gets a run of
 * its own; callers dead-letter such records before sending (see `tooLargeToSend`).
 */
export function splitBySize(messages: OutgoingMessage[], maxBytes: number): OutgoingMessage[][] {
  const requests: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  let size = BATCH_OVERHEAD;
  for (const message of messages) {
    const bytes = recordBytes(message);
    if (current.length > 0 && size + bytes > maxBytes) {
      requests.push(current);
      current = [];
      size = BATCH_OVERHEAD;
    }
    current.push(message);
    size += bytes;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}
