import { latestPerKey } from '../../../services/common/kafka/latest-per-key';
import type { OutgoingMessage } from '../../../services/common/kafka/producer';

const msg = (topic: string, key: string | Buffer | null, value: string | null): OutgoingMessage => ({
  topic,
  key,
  value: value === null ? null : Buffer.from(value),
});

const describeAll = (list: OutgoingMessage[]) =>
  list.map((m) => `${m.topic}/${String(m.key)}=${m.value === null ? 'null' : m.value.toString()}`);

describe('latestPerKey', () => {
  it('keeps only the last record per key of the compacted topic, in order, and leaves other topics alone', () => {
    const out = latestPerKey(
      [
        msg('resolved', 'p1', 'e1'),
        msg('profiles', 'p1', 'v1'),
        msg('resolved', 'p1', 'e2'),
        msg('profiles', 'p2', 'w1'),
        msg('profiles', 'p1', 'v2'),
        msg('resolved', 'p1', 'e3'),
        msg('profiles', Buffer.from('p2'), null),
      ],
      'profiles',
    );
    expect(describeAll(out)).toEqual([
      'resolved/p1=e1',
      'resolved/p1=e2',
      'profiles/p1=v2',
      'resolved/p1=e3',
      'profiles/p2=null',
    ]);
  });

  it('never drops records without a key', () => {
    const out = latestPerKey([msg('profiles', null, 'a'), msg('profiles', null, 'b')], 'profiles');
    expect(describeAll(out)).toEqual(['profiles/null=a', 'profiles/null=b']);
  });
});
