// What each record of an unacknowledged chunk left behind: its stored outcome (redis-keys
// outcomeKey), kept so a redelivery re-sends the same records, and the snapshots and tombstones it
// wrote, which the snapshot guard checks against Redis once they are acknowledged. The handler notes
// them; the runner's after-send step reads them and releases them. In memory only: what a crash
// forgets, the redelivery notes again and the outcomes' TTL removes.
import type { ConsumedMessage } from '../common/kafka/consumed-message';
import type { WrittenSnapshot } from './snapshot-guard';

type Position = Pick<ConsumedMessage, 'topic' | 'partition' | 'offset'>;

export interface RecordOutputs {
  outcomeKey?: string;
  snapshots: WrittenSnapshot[];
}

function positionOf(message: Position): string {
  return `${message.topic}\u0000${message.partition}\u0000${message.offset}`;
}

export class PendingOutputs {
  /** Position of the consumed record -> what it left; a redelivery overwrites its own entry. */
  private readonly entries = new Map<string, RecordOutputs>();

  note(message: Position, outputs: RecordOutputs): void {
    this.entries.set(positionOf(message), outputs);
  }

  /** What the chunk's records left, in record order; nothing is released until `release`. */
  of(messages: readonly Position[]): { outcomeKeys: string[]; snapshots: WrittenSnapshot[] } {
    const outcomeKeys: string[] = [];
    const snapshots: WrittenSnapshot[] = [];
    for (const message of messages) {
      const entry = this.entries.get(positionOf(message));
      if (entry === undefined) continue;
      if (entry.outcomeKey !== undefined) outcomeKeys.push(entry.outcomeKey);
      snapshots.push(...entry.snapshots);
    }
    return { outcomeKeys, snapshots };
  }

  /** Forgets the chunk's entries, once its after-send step succeeded. */
  release(messages: readonly Position[]): void {
    for (const message of messages) this.entries.delete(positionOf(message));
  }

  /** Records noted and not yet released (abandoned chunks stay until redelivered here). */
  get size(): number {
    return this.entries.size;
  }
}
