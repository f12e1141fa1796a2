// Per-event and per-request byte limits (CDP_COLLECTOR_MAX_EVENT_BYTES / _MAX_BATCH_BYTES).
export interface SizeLimits {
  maxEventBytes: number;
  maxBatchBytes: number;
}

/** Size of one message as its JSON would travel: what the per-event limit is measured on. */
export function jsonByteSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}
