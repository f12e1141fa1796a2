// Every topic is either listed with its retention on privacy receipts (its copies of a subject
// expire, they cannot be deleted one by one), or is the compacted profile topic (erased by
// tombstones), or is declared free of personal data: a new topic fails here until someone says which.
import { TOPICS } from '../../../services/common/kafka/topics';
import { RETAINED_TOPICS, TOPICS_WITHOUT_PERSONAL_DATA } from '../../../services/privacy/main';

it('classifies every topic for privacy', () => {
  const unclassified = Object.values(TOPICS).filter(
    (t) =>
      t !== TOPICS.profiles && !RETAINED_TOPICS.includes(t) && TOPICS_WITHOUT_PERSONAL_DATA[t] === undefined,
  );
  expect(unclassified).toEqual([]);
});

it('classifies no topic twice', () => {
  expect(RETAINED_TOPICS.filter((t) => TOPICS_WITHOUT_PERSONAL_DATA[t] !== undefined)).toEqual([]);
});
