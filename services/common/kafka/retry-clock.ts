// Since when each partition has been retrying: the source of the retrying-seconds gauge, the
// periodic "still retrying" log line and the health endpoint's detail.
export interface RetryingSince {
  topic: string;
  partition: number;
  seconds: number;
}

export class RetryClock {
  private readonly since = new Map<string, { topic: string; partition: number; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A failure on the partition: the clock starts unless it already runs. */
  failed(topic: string, partition: number): void {
    const id = `${topic}\u0000${partition}`;
    if (!this.since.has(id)) this.since.set(id, { topic, partition, at: this.now() });
  }

  /** The partition's chunk was committed or abandoned. */
  clear(topic: string, partition: number): void {
    this.since.delete(`${topic}\u0000${partition}`);
  }

  retrying(): RetryingSince[] {
    const now = this.now();
    return [...this.since.values()].map((s) => ({
      topic: s.topic,
      partition: s.partition,
      seconds: (now - s.at) / 1000,
    }));
  }
}
