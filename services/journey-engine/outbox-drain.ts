// Moves what transitions queued in Redis to where it goes: actions to cdp.journeys.actions.v1, step
// log rows to ClickHouse journey_steps. An entry is deleted only after Kafka (or ClickHouse)
// acknowledged it, so a crash in between sends it again with the same actionId / entry id: the
// consumer's idempotency id (and ReplacingMergeTree) make that repeat harmless. Never lost.
import type { Redis } from 'ioredis';
import type { AvroCodec } from '../common/codec/avro-codec';
import type { MessageSender } from '../common/kafka/producer';
import { journeyActions, journeyActionRecordSchema } from '../common/streams/journey-actions';
import { actionsOutboxKey, stepLogOutboxKey } from './journey-keys';
import type { StepLogRow } from './journey-engine';
import { stepLogRow, type JourneyStepRow } from './step-rows';

const BATCH = 500;

async function entries(redis: Redis, key: string): Promise<{ ids: string[]; texts: string[] }> {
  const reply = (await redis.xrange(key, '-', '+', 'COUNT', BATCH)) as [string, string[]][];
  return { ids: reply.map(([id]) => id), texts: reply.map(([, fields]) => fields[1] ?? '') };
}

export interface OutboxTargets {
  redis: Redis;
  codec: Pick<AvroCodec, 'encodeRecord'>;
  producer: MessageSender;
  actionsTopic: string;
  /** Inserts journey_steps rows; absent: the step log stays in Redis (a test without ClickHouse). */
  insertSteps?: (rows: JourneyStepRow[]) => Promise<void>;
}

/** Sends queued actions until the outbox is empty; returns how many were sent. */
export async function drainActions(t: OutboxTargets, tenant: string): Promise<number> {
  const key = actionsOutboxKey(tenant);
  let sent = 0;
  for (;;) {
    const { ids, texts } = await entries(t.redis, key);
    if (ids.length === 0) return sent;
    const messages = await Promise.all(
      texts.map(async (text) => {
        const record = journeyActionRecordSchema.parse(JSON.parse(text));
        return {
          topic: t.actionsTopic,
          key: journeyActions.key(record),
          value: await t.codec.encodeRecord(journeyActions, record, t.actionsTopic),
        };
      }),
    );
    await t.producer.send(messages);
    await t.redis.xdel(key, ...ids);
    sent += ids.length;
  }
}

export async function drainStepLog(t: OutboxTargets, tenant: string): Promise<number> {
  if (t.insertSteps === undefined) return 0;
  const key = stepLogOutboxKey(tenant);
  let inserted = 0;
  for (;;) {
    const { ids, texts } = await entries(t.redis, key);
    if (ids.length === 0) return inserted;
    await t.insertSteps(texts.map((text) => stepLogRow(JSON.parse(text) as StepLogRow)));
    await t.redis.xdel(key, ...ids);
    inserted += ids.length;
  }
}
