// Writes delivery decisions (rows of ClickHouse `deliveries`, via the clickhouse-sink) and
// destination dead letters to their topics. A worker awaits the write before it settles the
// queue, so a decision is never lost; a crash in between writes it twice (the row is a log).
import type { AvroCodec } from '../common/codec/avro-codec';
import type { MessageSender, OutgoingMessage } from '../common/kafka/producer';
import {
  deliveryDecisions,
  destinationDeadLetters,
  type DeliveryDecisionRecord,
  type DeliveryStatus,
  type DestinationDeadLetterRecord,
} from '../common/streams/activation';
import type { QueuedDelivery } from './delivery';

export interface DecisionTopics {
  deliveries: string;
  deadLetters: string;
}

export function decisionRow(
  d: Pick<
    QueuedDelivery,
    'tenant' | 'destinationId' | 'profileId' | 'sourceStream' | 'sourceId' | 'id' | 'createdAt'
  >,
  status: DeliveryStatus,
  details: { attempt: number; reason: string; httpStatus?: number; now?: number },
): DeliveryDecisionRecord {
  const now = details.now ?? Date.now();
  return {
    tenant: d.tenant,
    destinationId: d.destinationId,
    profileId: d.profileId,
    sourceStream: d.sourceStream,
    sourceId: d.sourceId,
    idempotencyId: d.id,
    attempt: details.attempt,
    status,
    reason: details.reason,
    httpStatus: details.httpStatus ?? 0,
    latencyMs: Math.max(0, now - d.createdAt),
    decidedAt: now,
  };
}

export class DecisionLog {
  constructor(
    private readonly codec: Pick<AvroCodec, 'encodeRecord'>,
    private readonly sender: MessageSender,
    private readonly topics: DecisionTopics,
  ) {}

  async decisionMessages(rows: readonly DeliveryDecisionRecord[]): Promise<OutgoingMessage[]> {
    const out: OutgoingMessage[] = [];
    for (const row of rows) {
      out.push({
        topic: this.topics.deliveries,
        key: deliveryDecisions.key(row),
        value: await this.codec.encodeRecord(deliveryDecisions, row, this.topics.deliveries),
      });
    }
    return out;
  }

  async write(
    rows: readonly DeliveryDecisionRecord[],
    deadLetters: readonly DestinationDeadLetterRecord[] = [],
  ): Promise<void> {
    const messages = await this.decisionMessages(rows);
    for (const dead of deadLetters) {
      messages.push({
        topic: this.topics.deadLetters,
        key: destinationDeadLetters.key(dead),
        value: await this.codec.encodeRecord(destinationDeadLetters, dead, this.topics.deadLetters),
      });
    }
    if (messages.length > 0) await this.sender.send(messages);
  }
}
