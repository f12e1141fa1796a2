// Outputs of one chunk bound for a compacted topic: only the last record per key survives
// compaction anyway, so earlier ones in the same chunk are dropped before they are sent.
import type { OutgoingMessage } from './producer';

function keyOf(message: OutgoingMessage): string | null {
  if (message.key === null) return null;
  return Buffer.isBuffer(message.key) ? message.key.toString('latin1') : message.key;
}

/** `outputs` minus every `topic` record followed later by one with the same key; order kept. */
export function latestPerKey(outputs: OutgoingMessage[], topic: string): OutgoingMessage[] {
  const lastIndex = new Map<string, number>();
  outputs.forEach((m, i) => {
    const key = m.topic === topic ? keyOf(m) : null;
    if (key !== null) lastIndex.set(key, i);
  });
  return outputs.filter((m, i) => {
    const key = m.topic === topic ? keyOf(m) : null;
    return key === null || lastIndex.get(key) === i;
  });
}
