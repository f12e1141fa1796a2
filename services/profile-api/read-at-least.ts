// Read-your-writes: a client that just wrote (and knows the version it expects) may ask for it;
// the graph is polled briefly rather than the client retrying.

export interface AtLeast<T> {
  value: T | null;
  /** false when the deadline passed first; the value is then the newest one read. */
  met: boolean;
}

export async function readAtLeast<T extends { version: number }>(
  read: () => Promise<T | null>,
  minVersion: number | undefined,
  options: { waitMs: number; pollMs: number; now?: () => number },
): Promise<AtLeast<T>> {
  const now = options.now ?? Date.now;
  const deadline = now() + options.waitMs;
  for (;;) {
    const value = await read();
    if (minVersion === undefined || (value !== null && value.version >= minVersion))
      return { value, met: true };
    if (now() >= deadline) return { value, met: false };
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}
