// Per-event and per-request byte limits (CDP_COLLECTOR_MAX_EVENT_BYTES / _MAX_BATCH_BYTES).
export interface SizeLimits {
  maxEventBytes: number;
  maxBatchBytes: number;
}
