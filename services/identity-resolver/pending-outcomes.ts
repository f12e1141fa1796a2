// Which stored outcomes (redis-keys outcomeKey) the messages of an unacknowledged chunk left in
// Redis: the handler notes each one, the runner's after-send step releases them once the chunk's
// outputs are acknowledged. In memory only: what a crash forgets, the outcomes' TTL removes.
import type { ConsumedMessage } from '../common/kafka/consumed-message';

type Position = Pick<ConsumedMessage, 'topic' | 'partition' | 'offset'>;

function positionOf(message: Position): string {
  return `${message.topic}\u0000${message.partition}\u0000${message.offset}`;
}

export class PendingOutcomes {
  /** Position of the consumed record -> its outcome key; a redelivery overwrites its own entry. */
  private readonly keys = new Map<string, string>();

  constructor(private readonly forget: (keys: string[]) => Promise<void>) {}

  note(message: Position, outcomeKey: string): void {
    this.keys.set(positionOf(message), outcomeKey);
  }

  /** The runner's afterSend: deletes the chunk's outcomes, best effort (the TTL is the net). */
  async release(messages: readonly Position[]): Promise<void> {
    const keys: string[] = [];
    for (const message of messages) {
      const position = positionOf(message);
      const key = this.keys.get(position);
      if (key !== undefined) {
        keys.push(key);
        this.keys.delete(position);
      }
    }
    if (keys.length > 0) await this.forget(keys);
  }

  /** Outcomes noted and not yet released (abandoned chunks stay until redelivered here). */
  get size(): number {
    return this.keys.size;
  }
}
