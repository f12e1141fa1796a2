// Splits a fetched chunk into per-key sequences: order holds within a key, keys run concurrently.
import type { ConsumedMessage } from './consumed-message';

export interface IndexedMessage {
  index: number;
  message: ConsumedMessage;
}

export function groupByKey(messages: ConsumedMessage[]): IndexedMessage[][] {
  const groups = new Map<string, IndexedMessage[]>();
  messages.forEach((message, index) => {
    // Keyless records promise no order, so each is its own group.
    const groupKey = message.key === null ? `\u0000offset:${message.offset}` : message.key.toString('base64');
    const group = groups.get(groupKey);
    if (group) group.push({ index, message });
    else groups.set(groupKey, [{ index, message }]);
  });
  return [...groups.values()];
}

/** Runs `task` over `items` with at most `limit` in flight; rejects with the first failure. */
export async function forEachWithConcurrency<T>(
  items: T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  });
  await Promise.all(workers);
}

export function backoffMs(attempt: number, initialMs: number, maxMs: number): number {
  const exp = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 20));
  // Jitter spreads retries of many keys so a recovering dependency is not hit all at once.
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}
