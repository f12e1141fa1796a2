// The chunk logic without Kafka: poison and repeated failures to the DLQ, outputs before commit,
// the after-chunk and after-send steps in their places, oversized outputs, and stops mid-retry.
import { PoisonMessageError, type ConsumedMessage } from '../../../services/common/kafka/consumed-message';
import {
  processChunk,
  type ChunkSettings,
  type ChunkSource,
} from '../../../services/common/kafka/chunk-processor';
import { DLQ_HEADERS } from '../../../services/common/kafka/dead-letter';
import type { OutgoingMessage } from '../../../services/common/kafka/producer';
import { RetryClock } from '../../../services/common/kafka/retry-clock';
import { createLogger } from '../../../services/common/logger';

function msg(offset: number, key: string, value: string): ConsumedMessage {
  return {
    topic: 'in',
    partition: 0,
    offset: String(offset),
    key: Buffer.from(key),
    value: Buffer.from(value),
    headers: {},
    timestamp: 1700000000000,
  };
}

interface Harness {
  source: ChunkSource;
  log: string[];
  sent: OutgoingMessage[][];
  stop(): void;
  losePartition(): void;
}

function harness(): Harness {
  const log: string[] = [];
  const sent: OutgoingMessage[][] = [];
  let active = true;
  let owned = true;
  return {
    log,
    sent,
    stop: () => (active = false),
    losePartition: () => (owned = active = false),
    source: {
      topic: 'in',
      partition: 0,
      isActive: () => active,
      ownsPartition: () => owned,
      heartbeat: async () => undefined,
      commit: async (offset) => void log.push(`commit ${offset}`),
    },
  };
}

const echo = async (m: ConsumedMessage): Promise<OutgoingMessage[]> => [
  { topic: 'out', key: m.key, value: m.value },
];

function settings(h: Harness, overrides: Partial<ChunkSettings> = {}): ChunkSettings {
  return {
    service: 'test',
    dlqTopic: 'dlq',
    handle: echo,
    send: async (messages) => {
      h.sent.push(messages);
      h.log.push(`send ${messages.map((m) => `${m.topic}:${m.value?.toString() ?? 'null'}`).join(',')}`);
    },
    keyConcurrency: 4,
    maxUnknownFailures: 3,
    maxRequestBytes: 10_000,
    retryInitialMs: 1,
    retryMaxMs: 1,
    clock: new RetryClock(),
    logger: createLogger('chunk-test', 'silent'),
    sleep: async () => undefined,
    ...overrides,
  };
}

const values = (list: OutgoingMessage[]) => list.map((m) => `${m.topic}:${m.value?.toString() ?? 'null'}`);

describe('processChunk', () => {
  it('sends a poison record to the DLQ with its bytes and reason, and the next record goes on', async () => {
    const h = harness();
    const result = await processChunk([msg(0, 'k', 'a'), msg(1, 'k', 'poison'), msg(2, 'k', 'b')], h.source, {
      ...settings(h),
      handle: async (m) => {
        if (m.value?.toString() === 'poison') throw new PoisonMessageError('not an event', 'Decode');
        return echo(m);
      },
    });
    expect(result).toBe('committed');
    const all = h.sent.flat();
    expect(values(all)).toEqual(['out:a', 'dlq:poison', 'out:b']);
    expect(all[1]?.headers).toMatchObject({
      [DLQ_HEADERS.errorClass]: 'Decode',
      [DLQ_HEADERS.errorMessage]: 'not an event',
      [DLQ_HEADERS.sourceOffset]: '1',
    });
    expect(h.log[h.log.length - 1]).toBe('commit 2');
  });

  it('sends every output, after-chunk outputs included, before the commit and runs after-send between', async () => {
    const h = harness();
    const result = await processChunk([msg(0, 'a', '1'), msg(1, 'b', '2')], h.source, {
      ...settings(h),
      afterChunk: async () => {
        h.log.push('after-chunk');
        return [{ topic: 'dlq', key: null, value: Buffer.from('refused-row') }];
      },
      afterSend: async (messages) => void h.log.push(`after-send ${messages.length}`),
    });
    expect(result).toBe('committed');
    expect(h.log).toEqual(['after-chunk', 'send out:1,out:2,dlq:refused-row', 'after-send 2', 'commit 1']);
  });

  it('retries a failing send and commits only after it succeeded', async () => {
    const h = harness();
    let failures = 2;
    const base = settings(h);
    const result = await processChunk([msg(0, 'a', '1')], h.source, {
      ...base,
      send: async (messages) => {
        if (failures-- > 0) throw Object.assign(new Error('broker gone'), { code: 'ECONNREFUSED' });
        await base.send(messages);
      },
    });
    expect(result).toBe('committed');
    expect(h.log).toEqual(['send out:1', 'commit 0']);
  });

  it('abandons the chunk uncommitted when the runner stops during a retry', async () => {
    const h = harness();
    let attempts = 0;
    const result = await processChunk([msg(0, 'a', '1'), msg(1, 'a', '2')], h.source, {
      ...settings(h),
      handle: async () => {
        attempts++;
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
      },
      sleep: async () => {
        if (attempts >= 5) h.stop();
      },
    });
    expect(result).toBe('abandoned');
    expect(attempts).toBe(5);
    expect(h.log).toEqual([]);
  });

  it('does not send when the partition was lost while handling', async () => {
    const h = harness();
    const result = await processChunk([msg(0, 'a', '1')], h.source, {
      ...settings(h),
      handle: async (m) => {
        h.losePartition();
        return echo(m);
      },
    });
    expect(result).toBe('abandoned');
    expect(h.log).toEqual([]);
  });

  it('retries a dependency failure for as long as it lasts, past the unknown-failure bound', async () => {
    const h = harness();
    let failures = 20;
    const result = await processChunk([msg(0, 'a', '1')], h.source, {
      ...settings(h),
      handle: async (m) => {
        if (failures-- > 0) throw new Error('Connection is closed.');
        return echo(m);
      },
    });
    expect(result).toBe('committed');
    expect(values(h.sent.flat())).toEqual(['out:1']);
  });

  it('dead-letters a RangeError at once and an unknown error after the bound, with its stack', async () => {
    const h = harness();
    const calls = new Map<string, number>();
    const result = await processChunk(
      [msg(0, 'a', 'range'), msg(1, 'b', 'odd'), msg(2, 'c', 'fine')],
      h.source,
      {
        ...settings(h),
        handle: async (m) => {
          const v = m.value!.toString();
          calls.set(v, (calls.get(v) ?? 0) + 1);
          if (v === 'range') throw new RangeError('Invalid time value');
          if (v === 'odd') throw new Error('something nobody foresaw');
          return echo(m);
        },
      },
    );
    expect(result).toBe('committed');
    expect(calls).toEqual(
      new Map([
        ['range', 1],
        ['odd', 3],
        ['fine', 1],
      ]),
    );
    const dead = h.sent.flat().filter((m) => m.topic === 'dlq');
    expect(values(dead).sort()).toEqual(['dlq:odd', 'dlq:range']);
    const odd = dead.find((m) => m.value?.toString() === 'odd')!;
    expect(odd.headers?.[DLQ_HEADERS.errorClass]).toBe('Error');
    expect(String(odd.headers?.[DLQ_HEADERS.errorStack])).toContain('something nobody foresaw');
    const range = dead.find((m) => m.value?.toString() === 'range')!;
    expect(range.headers?.[DLQ_HEADERS.errorClass]).toBe('RangeError');
    expect(range.headers?.[DLQ_HEADERS.errorStack]).toBeUndefined();
  });

  it('splits outputs into requests below the limit in order, and dead-letters an output too large alone', async () => {
    const h = harness();
    const big = 'x'.repeat(2_000);
    const result = await processChunk([msg(0, 'k', 'small-input'), msg(1, 'k', 'huge-input')], h.source, {
      ...settings(h, { maxRequestBytes: 5_000 }),
      handle: async (m) =>
        m.value!.toString() === 'huge-input'
          ? [{ topic: 'out', key: m.key, value: Buffer.from('y'.repeat(6_000)) }]
          : [1, 2, 3, 4, 5].map((i) => ({ topic: 'out', key: m.key, value: Buffer.from(`${i}${big}`) })),
    });
    expect(result).toBe('committed');
    // Five 2 KB outputs in requests of at most two, in their order; the 6 KB one became a dead letter.
    expect(h.sent.map((r) => r.length)).toEqual([2, 2, 2]);
    const all = h.sent.flat();
    expect(all.slice(0, 5).map((m) => m.value!.toString()[0])).toEqual(['1', '2', '3', '4', '5']);
    expect(all[5]?.topic).toBe('dlq');
    expect(all[5]?.value?.toString()).toBe('huge-input');
    expect(all[5]?.headers).toMatchObject({ [DLQ_HEADERS.errorClass]: 'OutputTooLarge' });
    expect(String(all[5]?.headers?.[DLQ_HEADERS.errorMessage])).toMatch(
      /exceeds the send limit of 5000 bytes/,
    );
  });

  it('keeps the retry clock running while a partition retries and clears it when the chunk ends', async () => {
    const h = harness();
    const clock = new RetryClock();
    const seen: number[] = [];
    let failures = 2;
    await processChunk([msg(0, 'a', '1')], h.source, {
      ...settings(h, { clock }),
      handle: async (m) => {
        seen.push(clock.retrying().length);
        if (failures-- > 0) throw new Error('Connection is closed.');
        return echo(m);
      },
    });
    expect(seen).toEqual([0, 1, 1]);
    expect(clock.retrying()).toEqual([]);
  });
});
