// A seeded, streaming synthetic customer population for the identity benchmarks: people with
// devices, sign-ups, cross-device logins, households, kiosks, junk ids, duplicates and late events,
// and the ground truth of who is who, built as the events are yielded. Memory grows with people
// (roles, truth), never with events: only ACTIVE_PEOPLE people are being played at once.
import type { PublishableEvent } from '../../services/common/events/event-producer';
import * as F from './population-fractions';
import { GroundTruth, type TruthSummary } from './ground-truth';
import {
  anonymousIdOf,
  deviceIdOf,
  emailOf,
  householdEmailLocal,
  kioskAnonymousId,
  personLabel,
  personalEmailLocal,
  phoneOf,
  userIdOf,
  type SentIdentifier,
} from './person-identifiers';
import { createSeededRandom, type SeededRandom } from './seeded-random';

export interface PopulationOptions {
  seed: number;
  /** Approximate total events (duplicates and junk-only events included); sets the number of people. */
  events: number;
  tenant: string;
  /** Events are stamped within SPAN_DAYS after this. */
  start: Date;
}

export interface PopulationPlan {
  people: number;
  hotPeople: number;
  hotBudget: number;
  households: number;
  householdPeople: number;
  kiosks: number;
  kioskPeople: number;
}

export interface PopulationCounters {
  /** Everything yielded: person events, junk-only events and duplicates. */
  eventsYielded: number;
  personEvents: number;
  hotEvents: number;
  duplicates: number;
  junkOnlyEvents: number;
  junkCompanionEvents: number;
  /** Person events stamped before that person's latest earlier-yielded event. */
  outOfOrderEvents: number;
  peopleStarted: number;
  peopleFinished: number;
}

export interface Population {
  readonly plan: PopulationPlan;
  /** Iterate once; the truth and counters are complete when it is exhausted. */
  readonly events: Generator<PublishableEvent, void, undefined>;
  readonly counters: Readonly<PopulationCounters>;
  readonly truth: GroundTruth;
  summary(): TruthSummary;
}

const enum Role {
  Ordinary = 0,
  Hot = 1,
  Household = 2,
  Kiosk = 3,
}

interface DeviceState {
  anonymous: SentIdentifier;
  deviceId: SentIdentifier | undefined;
  mobile: boolean;
  logsIn: boolean;
  loggedIn: boolean;
}

interface Session {
  device: DeviceState;
  kiosk: boolean;
  remaining: number;
  position: number;
  loginPending: boolean;
}

interface PersonState {
  label: string;
  hot: boolean;
  user: SentIdentifier | undefined;
  email: SentIdentifier | undefined;
  phone: SentIdentifier | undefined;
  kiosk: SentIdentifier | undefined;
  kioskVisits: number;
  devices: DeviceState[];
  newsletterDevice: DeviceState | undefined;
  budget: number;
  emitted: number;
  signUpAt: number;
  signedUp: boolean;
  session: Session | undefined;
  sessionStarted: boolean;
  start: number;
  step: number;
  clock: number;
  latest: number;
}

/** What one event carries, before junk, message id and time are added. */
interface Draft {
  type: 'identify' | 'track' | 'page' | 'screen';
  user?: SentIdentifier | undefined;
  anonymous?: SentIdentifier | undefined;
  device?: DeviceState | undefined;
  email?: SentIdentifier | undefined;
  phone?: SentIdentifier | undefined;
  contextEmail?: SentIdentifier | undefined;
  event?: string;
  name?: string;
}

const PAGES = ['Home', 'Pricing', 'Docs', 'Blog', 'Product', 'Cart', 'Checkout', 'Account'];
const SCREENS = ['Feed', 'Search', 'Product', 'Cart', 'Settings', 'Profile'];
const TRACKS = ['Product Viewed', 'Product Added', 'Search Performed', 'Video Played', 'Order Completed'];
const DAY_MS = 24 * 3600 * 1000;

function planPopulation(options: PopulationOptions, random: SeededRandom) {
  const personEvents = options.events / (1 + F.DUPLICATE_FRACTION + F.JUNK_ONLY_FRACTION);
  const people = Math.max(F.MIN_PEOPLE, Math.round(personEvents / F.MEAN_EVENTS_PER_PERSON));
  const hotPeople = Math.max(1, Math.round(people * F.HOT_PEOPLE_FRACTION));
  const householdPeople = Math.max(4, Math.round(people * F.HOUSEHOLD_PEOPLE_FRACTION));
  const kioskPeople = Math.max(4, Math.round(people * F.KIOSK_PEOPLE_FRACTION));
  const kiosks = Math.max(2, Math.floor(kioskPeople / F.KIOSK_PEOPLE_PER_KIOSK));

  // Roles go to a seeded permutation of people, so special people are spread over the stream.
  const order = new Int32Array(people);
  for (let i = 0; i < people; i++) order[i] = i;
  for (let i = people - 1; i > 0; i--) {
    const j = random.int(0, i);
    const swap = order[i] as number;
    order[i] = order[j] as number;
    order[j] = swap;
  }
  const roles = new Uint8Array(people);
  const groups = new Int32Array(people).fill(-1);
  let at = 0;
  for (; at < hotPeople; at++) roles[order[at] as number] = Role.Hot;
  let households = 0;
  for (let left = householdPeople; left > 0; households++) {
    // Never a household of one: a lone "shared" email would just be a personal one.
    const size = left <= 3 ? left : left === 4 ? 2 : random.int(2, 3);
    for (let k = 0; k < size; k++, at++) {
      roles[order[at] as number] = Role.Household;
      groups[order[at] as number] = households;
    }
    left -= size;
  }
  for (let k = 0; k < kioskPeople; k++, at++) {
    roles[order[at] as number] = Role.Kiosk;
    groups[order[at] as number] = k % kiosks;
  }

  const hotBudget = Math.max(3, Math.round((F.HOT_EVENT_SHARE * personEvents) / hotPeople));
  const meanBudget = ((1 - F.HOT_EVENT_SHARE) * personEvents) / (people - hotPeople);
  const plan: PopulationPlan = {
    people,
    hotPeople,
    hotBudget,
    households,
    householdPeople,
    kiosks,
    kioskPeople,
  };
  return { plan, roles, groups, meanBudget };
}

function weightedIndex(weights: readonly number[], random: SeededRandom): number {
  let roll = random.float() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weights.length; i++) {
    roll -= weights[i] as number;
    if (roll < 0) return i;
  }
  return weights.length - 1;
}

export function createPopulation(options: PopulationOptions): Population {
  if (!Number.isFinite(options.events) || options.events < 1)
    throw new Error(`population needs a positive event count, got ${options.events}`);
  if (Number.isNaN(options.start.getTime())) throw new Error('population start is not a valid date');
  const random = createSeededRandom(options.seed);
  const { plan, roles, groups, meanBudget } = planPopulation(options, random);
  const truth = new GroundTruth();
  for (let h = 0; h < plan.households; h++)
    truth.declareShared(`email:${householdEmailLocal(h)}@example.com`);
  for (let k = 0; k < plan.kiosks; k++) truth.declareShared(kioskAnonymousId(k).canonical);
  const counters: PopulationCounters = {
    eventsYielded: 0,
    personEvents: 0,
    hotEvents: 0,
    duplicates: 0,
    junkOnlyEvents: 0,
    junkCompanionEvents: 0,
    outOfOrderEvents: 0,
    peopleStarted: 0,
    peopleFinished: 0,
  };
  const startMs = options.start.getTime();
  const spanMs = F.SPAN_DAYS * DAY_MS;

  function createPerson(index: number): PersonState {
    const role = roles[index] as Role;
    const group = groups[index] as number;
    const signsUp = role !== Role.Ordinary || random.chance(F.SIGNUP_FRACTION);
    const low = Math.max(3, Math.round(0.5 * meanBudget));
    const high = Math.max(low, Math.round(1.5 * meanBudget));
    const budget =
      role === Role.Hot ? plan.hotBudget : Math.max(role === Role.Kiosk ? 8 : 3, random.int(low, high));
    const deviceCount = weightedIndex(F.DEVICE_COUNT_WEIGHTS, random) + 1;
    const devices: DeviceState[] = [];
    for (let d = 0; d < deviceCount; d++) {
      const mobile = random.chance(F.MOBILE_DEVICE_FRACTION);
      devices.push({
        anonymous: anonymousIdOf(index, d),
        deviceId: mobile ? deviceIdOf(index, d, random) : undefined,
        mobile,
        logsIn: signsUp && (d === 0 || random.chance(F.OTHER_DEVICE_LOGIN_FRACTION)),
        loggedIn: false,
      });
    }
    const household = role === Role.Household ? group : undefined;
    const email = signsUp
      ? emailOf(
          household === undefined ? personalEmailLocal(index) : householdEmailLocal(household),
          random.chance(F.DECORATED_EMAIL_FRACTION),
          random,
        )
      : undefined;
    const phone =
      signsUp && random.chance(F.PHONE_FRACTION)
        ? phoneOf(index, random.chance(F.FORMATTED_PHONE_FRACTION), random)
        : undefined;
    const anonymousOnly = devices.filter((d) => !d.logsIn);
    const newsletterDevice =
      signsUp && household === undefined && anonymousOnly.length > 0 && random.chance(F.NEWSLETTER_FRACTION)
        ? random.pick(anonymousOnly)
        : undefined;
    const start = startMs + random.float() * spanMs * 0.5;
    const span = spanMs * 0.5 * (0.1 + 0.9 * random.float());
    counters.peopleStarted++;
    return {
      label: personLabel(index),
      hot: role === Role.Hot,
      user: signsUp ? userIdOf(index) : undefined,
      email,
      phone,
      kiosk: role === Role.Kiosk ? kioskAnonymousId(group) : undefined,
      kioskVisits: 0,
      devices,
      newsletterDevice,
      budget,
      emitted: 0,
      signUpAt: signsUp ? random.int(1, Math.min(4, budget - 1)) : -1,
      signedUp: false,
      session: undefined,
      sessionStarted: false,
      start,
      step: span / budget,
      clock: start,
      latest: -Infinity,
    };
  }

  function startSession(p: PersonState): Session {
    const kiosk =
      p.kiosk !== undefined && p.signedUp && (p.kioskVisits === 0 || random.chance(F.KIOSK_RETURN_FRACTION));
    if (kiosk) p.kioskVisits++;
    const device = p.session === undefined ? (p.devices[0] as DeviceState) : random.pick(p.devices);
    return {
      device,
      kiosk,
      remaining: kiosk ? random.int(3, 6) : p.hot ? random.int(5, 20) : random.int(2, 8),
      position: 0,
      loginPending: !kiosk && p.signedUp && device.logsIn && !device.loggedIn,
    };
  }

  function loginDraft(user: SentIdentifier, anonymous: SentIdentifier, device?: DeviceState): Draft {
    return random.chance(F.LOGIN_IDENTIFY_FRACTION)
      ? { type: 'identify', user, anonymous, device }
      : { type: 'track', event: 'Signed In', user, anonymous, device };
  }

  function browseDraft(
    user: SentIdentifier | undefined,
    anonymous: SentIdentifier,
    device?: DeviceState,
  ): Draft {
    const draft: Draft = random.chance(0.3)
      ? { type: 'track', event: random.pick(TRACKS) }
      : device?.mobile
        ? { type: 'screen', name: random.pick(SCREENS) }
        : { type: 'page', name: random.pick(PAGES) };
    return { ...draft, user, anonymous, device };
  }

  function kioskDraft(p: PersonState, position: number): Draft {
    const kiosk = p.kiosk as SentIdentifier;
    const user = p.user as SentIdentifier;
    // Browse first, log in second: the anonymous part is what a resolver may pin on the wrong person.
    if (position === 0) return browseDraft(undefined, kiosk);
    if (position === 1) return loginDraft(user, kiosk);
    return browseDraft(user, kiosk);
  }

  function nextDraft(p: PersonState): Draft {
    p.sessionStarted = false;
    if (p.emitted === p.signUpAt) {
      p.signedUp = true;
      const device = p.devices[0] as DeviceState;
      device.loggedIn = true;
      // Kiosk people go to their kiosk right after signing up, so every kiosk is really shared.
      if (p.kiosk !== undefined) p.session = undefined;
      const { user, email, phone } = p;
      return { type: 'identify', user, anonymous: device.anonymous, device, email, phone };
    }
    if (p.session === undefined || p.session.remaining <= 0) {
      p.session = startSession(p);
      p.sessionStarted = true;
    }
    const s = p.session;
    s.remaining--;
    const position = s.position++;
    if (s.kiosk) return kioskDraft(p, position);
    const device = s.device;
    if (s.loginPending) {
      s.loginPending = false;
      device.loggedIn = true;
      return loginDraft(p.user as SentIdentifier, device.anonymous, device);
    }
    if (p.newsletterDevice === device) {
      p.newsletterDevice = undefined;
      const draft: Draft = { type: 'track', event: 'Newsletter Subscribed', anonymous: device.anonymous };
      return { ...draft, device, contextEmail: p.email };
    }
    const user = device.loggedIn && random.chance(F.LOGGED_IN_USER_ID_FRACTION) ? p.user : undefined;
    if (user !== undefined && random.chance(F.TRAIT_UPDATE_FRACTION)) {
      return { type: 'identify', user, anonymous: device.anonymous, device, email: p.email, phone: p.phone };
    }
    return browseDraft(user, device.anonymous, device);
  }

  function eventTime(p: PersonState): number {
    if (p.latest > -Infinity && random.chance(F.OUT_OF_ORDER_FRACTION)) {
      const [low, high] = F.OUT_OF_ORDER_SECONDS;
      return Math.max(startMs, p.latest - random.int(low, high) * 1000);
    }
    p.clock = p.sessionStarted
      ? Math.max(p.clock + 1000, p.start + p.emitted * p.step)
      : p.clock + random.int(5, 120) * 1000;
    return p.clock;
  }

  /** The event, and the canonical identifiers it carries for the truth (junk values excluded). */
  function materialize(draft: Draft, time: number): { event: PublishableEvent; ids: string[] } {
    const iso = new Date(time).toISOString();
    const event: PublishableEvent = {
      messageId: random.uuid(),
      type: draft.type,
      tenant: options.tenant,
      originalTimestamp: iso,
      timestamp: iso,
    };
    const ids: string[] = [];
    const user = draft.user;
    let anonymous = draft.anonymous;
    let junkUser: string | undefined;
    let junkAnonymous: string | undefined;
    if (random.chance(F.JUNK_COMPANION_FRACTION)) {
      counters.junkCompanionEvents++;
      // An SDK that lost its anonymous id, or wrote a missing user as text; never the real userId.
      if (user !== undefined) {
        junkAnonymous = random.pick(F.JUNK_VALUES);
        anonymous = undefined;
      } else junkUser = random.pick(F.JUNK_VALUES);
    }
    if (user !== undefined) {
      event.userId = user.raw;
      ids.push(user.canonical);
    } else if (junkUser !== undefined) event.userId = junkUser;
    if (anonymous !== undefined) {
      event.anonymousId = anonymous.raw;
      ids.push(anonymous.canonical);
    } else if (junkAnonymous !== undefined) event.anonymousId = junkAnonymous;
    if (draft.event !== undefined) event.event = draft.event;
    if (draft.name !== undefined) event.name = draft.name;
    if (draft.type === 'identify') {
      const traits: Record<string, unknown> = {};
      if (draft.email !== undefined) {
        traits.email = draft.email.raw;
        ids.push(draft.email.canonical);
      }
      if (draft.phone !== undefined) {
        traits.phone = draft.phone.raw;
        ids.push(draft.phone.canonical);
      }
      event.traits = traits;
    } else if (draft.type === 'track') {
      event.properties = { source: 'bench-population' };
    } else {
      event.properties = { path: `/${(draft.name ?? '').toLowerCase()}` };
    }
    const context: Record<string, unknown> = { library: { name: 'bench-population', version: '1' } };
    const device = draft.device;
    if (device?.mobile) {
      const id = device.deviceId;
      if (id !== undefined && random.chance(F.MOBILE_DEVICE_ID_FRACTION)) {
        context.device = { id: id.raw, type: 'ios' };
        ids.push(id.canonical);
      } else context.device = { type: 'ios' };
    }
    if (draft.contextEmail !== undefined) {
      context.traits = { email: draft.contextEmail.raw };
      ids.push(draft.contextEmail.canonical);
    }
    event.context = context;
    return { event, ids };
  }

  function junkOnlyEvent(): PublishableEvent {
    const iso = new Date(startMs + random.float() * spanMs).toISOString();
    const value = random.pick(F.JUNK_VALUES);
    const base = { messageId: random.uuid(), tenant: options.tenant, originalTimestamp: iso, timestamp: iso };
    return random.chance(0.5)
      ? { ...base, type: 'page', anonymousId: value, name: 'Home' }
      : { ...base, type: 'track', userId: value, event: 'Product Viewed' };
  }

  function* play(): Generator<PublishableEvent, void, undefined> {
    const active: PersonState[] = [];
    const pending: { due: number; event: PublishableEvent }[] = [];
    let nextIndex = 0;
    const admit = (): void => {
      while (active.length < F.ACTIVE_PEOPLE && nextIndex < plan.people)
        active.push(createPerson(nextIndex++));
    };
    const maybeResend = (event: PublishableEvent): void => {
      if (!random.chance(F.DUPLICATE_FRACTION)) return;
      const [low, high] = F.DUPLICATE_DELAY;
      pending.push({ due: counters.eventsYielded + random.int(low, high), event: structuredClone(event) });
    };
    admit();
    while (active.length > 0) {
      for (let i = 0; i < pending.length;) {
        const entry = pending[i] as { due: number; event: PublishableEvent };
        if (entry.due > counters.eventsYielded) {
          i++;
          continue;
        }
        pending.splice(i, 1);
        counters.duplicates++;
        counters.eventsYielded++;
        yield entry.event;
      }
      if (random.chance(F.JUNK_ONLY_FRACTION)) {
        const junk = junkOnlyEvent();
        counters.junkOnlyEvents++;
        counters.eventsYielded++;
        maybeResend(junk);
        yield junk;
      }
      const slot = random.int(0, active.length - 1);
      const p = active[slot] as PersonState;
      const draft = nextDraft(p);
      const time = eventTime(p);
      if (time < p.latest) counters.outOfOrderEvents++;
      p.latest = Math.max(p.latest, time);
      p.emitted++;
      const { event, ids } = materialize(draft, time);
      truth.observe(p.label, ids);
      counters.personEvents++;
      if (p.hot) counters.hotEvents++;
      counters.eventsYielded++;
      maybeResend(event);
      if (p.emitted >= p.budget) {
        active[slot] = active[active.length - 1] as PersonState;
        active.pop();
        counters.peopleFinished++;
        admit();
      }
      yield event;
    }
    pending.sort((a, b) => a.due - b.due);
    for (const entry of pending) {
      counters.duplicates++;
      counters.eventsYielded++;
      yield entry.event;
    }
  }

  return {
    plan,
    events: play(),
    counters,
    truth,
    summary: () => ({
      people: counters.peopleFinished,
      identifiers: truth.identifierCount,
      sharedIdentifiers: truth.sharedCount,
      junkOnlyEvents: counters.junkOnlyEvents,
      duplicates: counters.duplicates,
      expectedUniqueMessageIds: counters.eventsYielded - counters.duplicates,
    }),
  };
}
