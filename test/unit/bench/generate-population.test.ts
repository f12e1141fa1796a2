import { createPopulation, type Population } from '../../../bench/population/generate-population';
import {
  HOT_EVENT_SHARE,
  HOT_PEOPLE_FRACTION,
  JUNK_VALUES,
} from '../../../bench/population/population-fractions';
import type { PublishableEvent } from '../../../services/common/events/event-producer';
import { cdpEventSchema } from '../../../services/common/events/event-model';
import { extractIdentifiers } from '../../../services/identity-resolver/extract-identifiers';
import { DEFAULT_IDENTITY_RULES } from '../../../services/identity-resolver/identity-rules';

const START = new Date('2026-03-01T00:00:00Z');
const options = (seed: number, events: number) => ({ seed, events, tenant: 'bench-test', start: START });

function take(population: Population, count: number): PublishableEvent[] {
  const events: PublishableEvent[] = [];
  for (const event of population.events) {
    events.push(event);
    if (events.length === count) break;
  }
  return events;
}

function identifiersOf(event: PublishableEvent): string[] {
  return extractIdentifiers({ ...event, timestamp: event.timestamp ?? '' }, DEFAULT_IDENTITY_RULES)
    .identifiers;
}

describe('createPopulation determinism', () => {
  test('the same seed and options give the same stream; another seed another one', () => {
    const a = take(createPopulation(options(7, 20_000)), 2_000);
    const b = take(createPopulation(options(7, 20_000)), 2_000);
    const c = take(createPopulation(options(8, 20_000)), 2_000);
    expect(a).toHaveLength(2_000);
    expect(b.map((e) => e.messageId)).toEqual(a.map((e) => e.messageId));
    expect(b).toEqual(a);
    const other = new Set(c.map((e) => e.messageId));
    expect(a.filter((e) => other.has(e.messageId))).toHaveLength(0);
  });

  test('refuses a non-positive event count', () => {
    expect(() => createPopulation(options(1, 0))).toThrow(/positive event count/);
  });
});

describe('a 20k-event population', () => {
  const population = createPopulation(options(42, 20_000));
  const events = [...population.events];
  const extracted = events.map(identifiersOf);
  const { truth, counters, plan } = population;
  const ownerOfEvent = (ids: string[]): string | undefined =>
    ids.map((id) => truth.ownerOf(id)).find((owner) => owner !== undefined);

  test('every event is valid per the event model', () => {
    const invalid = events.filter(
      (event) => !cdpEventSchema.safeParse({ ...event, receivedAt: event.timestamp }).success,
    );
    expect(invalid).toEqual([]);
  });

  test('size and counters agree with the stream', () => {
    expect(events.length).toBeGreaterThan(18_000);
    expect(events.length).toBeLessThan(22_000);
    expect(counters.eventsYielded).toBe(events.length);
    expect(counters.peopleFinished).toBe(plan.people);
    const summary = population.summary();
    expect(summary.expectedUniqueMessageIds).toBe(new Set(events.map((e) => e.messageId)).size);
    expect(summary.identifiers).toBe([...truth.entries()].length);
  });

  test('the truth holds exactly the identifiers the resolver derives', () => {
    const derived = new Set(extracted.flat());
    const inTruth = new Set([...truth.entries()].map((entry) => entry.id));
    expect([...derived].filter((id) => !inTruth.has(id))).toEqual([]);
    expect([...inTruth].filter((id) => !derived.has(id))).toEqual([]);
    for (const id of derived) expect(id).not.toMatch(/^(user_id|anonymous_id):(null|undefined|0|anonymous)$/);
  });

  test('households: shared emails of 2-3 people, only ever sent with a userId', () => {
    const emails = [...truth.entries()].filter((e) => 'shared' in e && e.id.startsWith('email:'));
    expect(emails).toHaveLength(plan.households);
    expect(plan.households).toBeGreaterThanOrEqual(2);
    for (const entry of emails) {
      if (!('shared' in entry)) throw new Error('not shared');
      expect(entry.shared.length).toBeGreaterThanOrEqual(2);
      expect(entry.shared.length).toBeLessThanOrEqual(3);
    }
    const withShared = extracted.filter((ids) =>
      ids.some((id) => id.startsWith('email:') && truth.isShared(id)),
    );
    expect(withShared.length).toBeGreaterThan(0);
    for (const ids of withShared) expect(ids.some((id) => id.startsWith('user_id:'))).toBe(true);
  });

  test('kiosks: shared anonymous ids, logged into and browsed anonymously by several people', () => {
    const kiosks = [...truth.entries()].filter((e) => 'shared' in e && e.id.startsWith('anonymous_id:'));
    expect(kiosks).toHaveLength(plan.kiosks);
    for (const entry of kiosks) if ('shared' in entry) expect(entry.shared.length).toBeGreaterThanOrEqual(2);
    const onKiosk = extracted.filter((ids) => ids.some((id) => id.startsWith('anonymous_id:kiosk-')));
    expect(onKiosk.filter((ids) => ids.length === 1).length).toBeGreaterThan(0);
    expect(onKiosk.filter((ids) => ids.some((id) => id.startsWith('user_id:'))).length).toBeGreaterThan(0);
  });

  test('junk: blocked values beside real identifiers, and junk-only events that cannot resolve', () => {
    const junk = (event: PublishableEvent) =>
      JUNK_VALUES.includes(event.userId ?? '') || JUNK_VALUES.includes(event.anonymousId ?? '');
    const junkOnly = events.filter((event, i) => junk(event) && extracted[i]?.length === 0);
    const companions = events.filter((event, i) => junk(event) && (extracted[i]?.length ?? 0) > 0);
    expect(counters.junkOnlyEvents).toBeGreaterThan(0);
    // Duplicates of junk-only events are junk-only too.
    const uniqueJunkOnly = new Set(junkOnly.map((e) => e.messageId)).size;
    expect(uniqueJunkOnly).toBe(counters.junkOnlyEvents);
    expect(companions.length).toBeGreaterThan(50);
    expect(extracted.filter((ids) => ids.length === 0)).toHaveLength(junkOnly.length);
  });

  test('duplicates are exact copies sent later', () => {
    const first = new Map<string, PublishableEvent>();
    let duplicates = 0;
    for (const event of events) {
      const original = first.get(event.messageId);
      if (original === undefined) first.set(event.messageId, event);
      else {
        duplicates++;
        expect(event).toEqual(original);
        expect(event).not.toBe(original);
      }
    }
    expect(duplicates).toBe(counters.duplicates);
    expect(duplicates).toBeGreaterThan(100);
  });

  test('some events of a person are stamped before that person’s earlier events', () => {
    const latest = new Map<string, number>();
    const seen = new Set<string>();
    let late = 0;
    events.forEach((event, i) => {
      if (seen.has(event.messageId)) return;
      seen.add(event.messageId);
      const person = ownerOfEvent(extracted[i] ?? []);
      if (person === undefined) return;
      const time = Date.parse(event.originalTimestamp ?? '');
      if (time < (latest.get(person) ?? -Infinity)) late++;
      latest.set(person, Math.max(time, latest.get(person) ?? -Infinity));
    });
    expect(counters.outOfOrderEvents).toBeGreaterThan(events.length * 0.01);
    // Kiosk-only and junk-only events are not attributable here, so this sees slightly fewer.
    expect(late).toBeGreaterThan(counters.outOfOrderEvents * 0.8);
    expect(late).toBeLessThanOrEqual(counters.outOfOrderEvents);
  });

  test('hot users: about 1% of people produce about 20% of events', () => {
    const perPerson = new Map<string, number>();
    for (const ids of extracted) {
      const person = ownerOfEvent(ids);
      if (person !== undefined) perPerson.set(person, (perPerson.get(person) ?? 0) + 1);
    }
    const counts = [...perPerson.values()].sort((a, b) => b - a);
    const top = counts.slice(0, plan.hotPeople).reduce((a, b) => a + b, 0);
    const all = counts.reduce((a, b) => a + b, 0);
    expect(plan.hotPeople).toBe(Math.round(plan.people * HOT_PEOPLE_FRACTION));
    expect(top / all).toBeGreaterThan(HOT_EVENT_SHARE * 0.8);
    expect(counters.hotEvents / counters.personEvents).toBeCloseTo(HOT_EVENT_SHARE, 1);
  });

  test('people are interleaved in the stream', () => {
    const people = new Set(
      extracted
        .slice(0, 1_000)
        .map(ownerOfEvent)
        .filter((p) => p !== undefined),
    );
    expect(people.size).toBeGreaterThan(100);
  });

  test('cross-device links, never-linked devices, and normalization are all exercised', () => {
    const entries = [...truth.entries()];
    const anonymousComponents = new Map<string, number>();
    for (const e of entries) {
      if ('component' in e && e.id.startsWith('anonymous_id:'))
        anonymousComponents.set(e.component, (anonymousComponents.get(e.component) ?? 0) + 1);
    }
    expect([...anonymousComponents.values()].some((n) => n >= 2)).toBe(true);
    const userComponents = new Set(
      entries.flatMap((e) => ('component' in e && e.id.startsWith('user_id:') ? [e.component] : [])),
    );
    const loneDevices = entries.filter(
      (e) => 'component' in e && e.id.startsWith('anonymous_id:') && !userComponents.has(e.component),
    );
    expect(loneDevices.length).toBeGreaterThan(0);
    const traits = events.flatMap((e) => (e.traits === undefined ? [] : [e.traits]));
    const emails = traits.flatMap((t) => (typeof t.email === 'string' ? [t.email] : []));
    const phones = traits.flatMap((t) => (typeof t.phone === 'string' ? [t.phone] : []));
    expect(emails.some((email) => email !== email.trim().toLowerCase())).toBe(true);
    expect(phones.some((phone) => !/^\+\d+$/.test(phone))).toBe(true);
    expect(extracted.flat().some((id) => id.startsWith('device_id:'))).toBe(true);
    expect(extracted.flat().some((id) => id.startsWith('phone:'))).toBe(true);
  });
});
