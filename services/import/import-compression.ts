// How `cdp import` compresses its record batches (--compression). Default none: imported rows are
// alike, so gzip stores about a fifth of the bytes, but it costs CPU in the import (kafkajs
// compresses in libuv's thread pool) and in the broker (which decompresses every batch to check
// it), and on a small machine that CPU is what limits the rate (docs/import.md, "Throughput").
export const IMPORT_COMPRESSIONS = ['none', 'gzip'] as const;
export type ImportCompression = (typeof IMPORT_COMPRESSIONS)[number];

export const DEFAULT_IMPORT_COMPRESSION: ImportCompression = 'none';
