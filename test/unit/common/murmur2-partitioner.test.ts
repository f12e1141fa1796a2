// The 32-bit murmur2 partitioner against kafkajs's own (Long arithmetic): the same hash for every
// key, so producers using either agree on every key's partition.
import fc from 'fast-check';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { Murmur2Partitioner, murmur2 } from '../../../services/common/kafka/murmur2-partitioner';
// kafkajs's implementation, the reference (not part of its typed API).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (
  key: Buffer | string,
) => number;

const partitions = (n: number): PartitionMetadata[] =>
  Array.from({ length: n }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
  }));

describe('murmur2', () => {
  it('equals kafkajs murmur2 for byte keys of every length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const key = Buffer.from(bytes);
        expect(murmur2(key)).toBe(kafkajsMurmur2(key));
      }),
      { numRuns: 2000 },
    );
  });

  it('equals kafkajs murmur2 for string keys, read as UTF-8', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (key) => {
        expect(murmur2(key)).toBe(kafkajsMurmur2(key));
      }),
      { numRuns: 2000 },
    );
    expect(murmur2('bench:user_id:u-1')).toBe(kafkajsMurmur2('bench:user_id:u-1'));
  });
});

describe('Murmur2Partitioner', () => {
  it('puts every keyed message on the partition of kafkajs DefaultPartitioner', () => {
    const ours = Murmur2Partitioner();
    const theirs = Partitioners.DefaultPartitioner();
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.integer({ min: 1, max: 64 }), (key, n) => {
        const args = { topic: 't', partitionMetadata: partitions(n), message: { key, value: null } };
        expect(ours(args)).toBe(theirs(args));
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps a message its own partition, and spreads unkeyed messages over partitions with a leader', () => {
    const partition = Murmur2Partitioner();
    const metadata = partitions(4);
    expect(
      partition({
        topic: 't',
        partitionMetadata: metadata,
        message: { key: 'k', value: null, partition: 3 },
      }),
    ).toBe(3);
    const leaderless = metadata.map((p) => (p.partitionId === 2 ? { ...p, leader: -1 } : p));
    const chosen = new Set(
      Array.from({ length: 12 }, () =>
        partition({ topic: 't', partitionMetadata: leaderless, message: { value: null } }),
      ),
    );
    expect([...chosen].sort()).toEqual([0, 1, 3]);
  });
});
