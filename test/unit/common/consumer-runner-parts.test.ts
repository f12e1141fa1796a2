import type { ConsumedMessage } from '../../../services/common/kafka/consumed-message';
import { DLQ_HEADERS, deadLetter } from '../../../services/common/kafka/dead-letter';
import { backoffMs, forEachWithConcurrency, groupByKey } from '../../../services/common/kafka/key-groups';

function msg(offset: number, key: string | null): ConsumedMessage {
  return {
    topic: 't',
    partition: 2,
    offset: String(offset),
    key: key === null ? null : Buffer.from(key),
    value: Buffer.from(`v${offset}`),
    headers: { origin: Buffer.from('test') },
    timestamp: 1700000000000,
  };
}

describe('groupByKey', () => {
  it('keeps each key in offset order and puts keyless records alone', () => {
    const groups = groupByKey([
      msg(0, 'a'),
      msg(1, 'b'),
      msg(2, 'a'),
      msg(3, null),
      msg(4, null),
      msg(5, 'b'),
    ]);
    const asOffsets = groups.map((g) => g.map((x) => x.message.offset));
    expect(asOffsets).toEqual([['0', '2'], ['1', '5'], ['3'], ['4']]);
  });
});

describe('forEachWithConcurrency', () => {
  it('never runs more than the limit at once and visits every item', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachWithConcurrency([...Array(20).keys()], 3, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      seen.push(i);
      inFlight--;
    });
    expect(peak).toBe(3);
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
  });

  it('rejects with the task failure', async () => {
    await expect(
      forEachWithConcurrency([1, 2, 3], 2, async (i) => {
        if (i === 2) throw new Error('boom 2');
      }),
    ).rejects.toThrow('boom 2');
  });
});

describe('backoffMs', () => {
  it('grows and stays within the cap', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      const d = backoffMs(attempt, 100, 5000);
      expect(d).toBeGreaterThanOrEqual(Math.min(5000, 100 * 2 ** attempt) / 2 - 1);
      expect(d).toBeLessThanOrEqual(5000);
    }
  });
});

describe('deadLetter', () => {
  it('keeps the original key, bytes and headers and adds why and where from', () => {
    const original = msg(41, 'k');
    const dl = deadLetter(
      original,
      'dlq',
      'identity-resolver',
      'DecodeError',
      'bad magic byte',
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(dl.topic).toBe('dlq');
    expect(dl.key).toEqual(original.key);
    expect(dl.value).toEqual(original.value);
    expect(dl.headers).toMatchObject({
      origin: Buffer.from('test'),
      [DLQ_HEADERS.errorClass]: 'DecodeError',
      [DLQ_HEADERS.errorMessage]: 'bad magic byte',
      [DLQ_HEADERS.sourceTopic]: 't',
      [DLQ_HEADERS.sourcePartition]: '2',
      [DLQ_HEADERS.sourceOffset]: '41',
      [DLQ_HEADERS.service]: 'identity-resolver',
      [DLQ_HEADERS.failedAt]: '2026-01-01T00:00:00.000Z',
    });
  });
});
