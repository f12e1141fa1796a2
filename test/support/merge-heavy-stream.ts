// A merge-heavy event stream for the crash test: every person browses anonymously on two devices,
// then logs in on both, so the second login finds two profiles and merges them. Published in rounds:
// round r carries the browsing of group r and the logins of group r-1, so merges keep coming while
// the resolver is being killed. Pure: the test publishes the rounds.
import type { PublishableEvent } from '../../services/common/events/event-producer';
import type { SeededRandom } from '../../bench/population/seeded-random';

export interface Person {
  index: number;
  userId: string;
  devices: [string, string];
  /** Every messageId of this person's events. */
  messageIds: string[];
}

export interface MergeHeavyStream {
  people: Person[];
  rounds: PublishableEvent[][];
}

export function mergeHeavyStream(options: {
  tenant: string;
  /** Keeps messageIds unique across runs that share a topic name space. */
  run: string;
  people: number;
  perRound: number;
  random: SeededRandom;
}): MergeHeavyStream {
  const { tenant, run, random } = options;
  const people: Person[] = [];
  const browsing: PublishableEvent[][] = [];
  const logins: PublishableEvent[][] = [];
  for (let i = 0; i < options.people; i++) {
    const person: Person = {
      index: i,
      userId: `user-${run}-${i}`,
      devices: [`anon-${run}-${i}-1`, `anon-${run}-${i}-2`],
      messageIds: [],
    };
    const event = (fields: Omit<PublishableEvent, 'messageId' | 'tenant'>): PublishableEvent => {
      const messageId = `m-${run}-${i}-${person.messageIds.length}`;
      person.messageIds.push(messageId);
      return { messageId, tenant, ...fields };
    };
    const [a, b] = person.devices;
    const userId = person.userId;
    browsing.push([
      event({ type: 'page', anonymousId: a, name: 'Home' }),
      event({ type: 'track', anonymousId: a, event: 'Product Viewed', properties: { sku: `s${i}` } }),
      event({ type: 'page', anonymousId: b, name: 'Pricing' }),
      event({ type: 'track', anonymousId: b, event: 'Product Viewed', properties: { sku: `t${i}` } }),
    ]);
    logins.push([
      event({ type: 'identify', anonymousId: a, userId, traits: { plan: 'free', person: i } }),
      event({ type: 'track', anonymousId: a, userId, event: 'Signed In' }),
      event({ type: 'identify', anonymousId: b, userId, traits: { plan: 'pro' } }),
      event({ type: 'track', anonymousId: b, userId, event: 'Signed In' }),
    ]);
    people.push(person);
  }
  const groups = Math.ceil(options.people / options.perRound);
  // One list per person: the slices of group g.
  const slice = (lists: PublishableEvent[][], g: number) =>
    g < 0 || g >= groups ? [] : lists.slice(g * options.perRound, (g + 1) * options.perRound);
  const rounds: PublishableEvent[][] = [];
  for (let r = 0; r <= groups; r++) {
    // Shuffled across people (each person's own events keep their order per device and login).
    rounds.push(interleave([...slice(browsing, r), ...slice(logins, r - 1)], random));
  }
  return { people, rounds };
}

/** A random merge of the lists that keeps the order within each list. */
function interleave(lists: PublishableEvent[][], random: SeededRandom): PublishableEvent[] {
  const queues = lists.map((l) => [...l]).filter((l) => l.length > 0);
  const out: PublishableEvent[] = [];
  while (queues.length > 0) {
    const k = random.int(0, queues.length - 1);
    const queue = queues[k] as PublishableEvent[];
    out.push(queue.shift() as PublishableEvent);
    if (queue.length === 0) queues.splice(k, 1);
  }
  return out;
}
