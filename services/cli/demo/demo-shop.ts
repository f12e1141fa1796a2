// A small simulated shop for `cdp demo`: pure and seeded, so the same seed and day always give the
// same events (message ids included), and a rerun on the same day is deduplicated by the pipeline.

/** A Segment message as an SDK would put it in a /v1/batch body (the tenant comes from the write key). */
export interface ShopMessage {
  type: 'identify' | 'track' | 'page';
  messageId: string;
  timestamp: string;
  userId?: string;
  anonymousId?: string;
  event?: string;
  name?: string;
  traits?: Record<string, unknown>;
  properties?: Record<string, unknown>;
}

export interface Person {
  userId: string;
  email: string;
  laptop: string;
  /** Set when the person later logs in on a phone they first browsed anonymously. */
  phone?: string;
}

export interface ShopPlan {
  /** Phase 1: anonymous browsing on every device, sign-ups on the first device. Over HTTP. */
  browsing: ShopMessage[];
  /** Phase 2: logins on second devices, the shared kiosk, more browsing, checkouts. Over HTTP. */
  logins: ShopMessage[];
  /** Orders confirmed server-side: published with the producer library, not through the collector. */
  orders: ShopMessage[];
  /** Track calls without an event name: the collector answers 400 for them and writes the rest. */
  invalid: ShopMessage[];
  /** Bytes that are not Avro, written straight to the raw topic: the resolver dead-letters them. */
  garbage: Buffer[];
  /** People who used two devices (the first two are shown before and after their merge). */
  twoDevicePeople: Person[];
  kiosk: { anonymousId: string; userIds: [string, string] };
}

export interface ShopOptions {
  seed: number;
  /** Start of the UTC day the demo runs: events fall in the six days before it, ids carry its date. */
  day: Date;
  customers: number;
}

const HOUR = 3_600_000;
const PAGES = ['/', '/category/shoes', '/category/bags', '/sale', '/about'];
const PRODUCTS = ['sku-100', 'sku-200', 'sku-300', 'sku-400', 'sku-500', 'sku-600'];
const PRICES: Record<string, number> = {
  'sku-100': 49.9,
  'sku-200': 89,
  'sku-300': 19.5,
  'sku-400': 120,
  'sku-500': 9.99,
  'sku-600': 64,
};

/** mulberry32: tiny, fast, and good enough for sample data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function dayTag(day: Date): string {
  return day.toISOString().slice(0, 10).replace(/-/g, '');
}

export function demoShop(options: ShopOptions): ShopPlan {
  const rnd = seededRandom(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const int = (min: number, max: number) => min + Math.floor(rnd() * (max - min + 1));
  const tag = dayTag(options.day);
  const start = options.day.getTime() - 6 * 24 * HOUR;
  let seq = 0;
  const id = () => `demo-${tag}-${options.seed}-${String(seq++).padStart(5, '0')}`;
  // Phase 1 happens in days 1-3 of the window, phase 2 in days 4-6: a login always follows browsing.
  const at = (phase: 1 | 2, step: number) =>
    new Date(start + (phase - 1) * 72 * HOUR + Math.floor(rnd() * 60 * HOUR) + step * 60_000).toISOString();

  const browse = (phase: 1 | 2, who: { anonymousId: string; userId?: string }, n: number): ShopMessage[] =>
    Array.from({ length: n }, (_, step): ShopMessage => {
      const timestamp = at(phase, step);
      if (rnd() < 0.5) {
        const path = pick(PAGES);
        return { type: 'page', messageId: id(), timestamp, ...who, name: path, properties: { path } };
      }
      const sku = pick(PRODUCTS);
      const event = rnd() < 0.75 ? 'Product Viewed' : 'Product Added';
      return {
        type: 'track',
        messageId: id(),
        timestamp,
        ...who,
        event,
        properties: { sku, price: PRICES[sku] },
      };
    });

  const plan: ShopPlan = {
    browsing: [],
    logins: [],
    orders: [],
    invalid: [],
    garbage: [],
    twoDevicePeople: [],
    kiosk: { anonymousId: `anon-${tag}-kiosk`, userIds: [`u-${tag}-000`, `u-${tag}-001`] },
  };
  for (let i = 0; i < options.customers; i++) {
    const n = String(i).padStart(3, '0');
    const person: Person = {
      userId: `u-${tag}-${n}`,
      email: `customer${n}.${tag}@shop.example`,
      laptop: `anon-${tag}-${n}-laptop`,
    };
    // The first two customers always sign up and use two devices, so the demo has people to show.
    const signsUp = i < 2 || rnd() < 0.7;
    if (i < 2 || (signsUp && rnd() < 0.6)) person.phone = `anon-${tag}-${n}-phone`;
    plan.browsing.push(...browse(1, { anonymousId: person.laptop }, int(8, 20)));
    if (person.phone) plan.browsing.push(...browse(1, { anonymousId: person.phone }, int(4, 10)));
    if (!signsUp) continue;
    const traits = { email: person.email, name: `Customer ${n}`, plan: pick(['free', 'member', 'vip']) };
    plan.browsing.push(
      {
        type: 'identify',
        messageId: id(),
        timestamp: at(1, 30),
        userId: person.userId,
        anonymousId: person.laptop,
        traits,
      },
      { type: 'track', messageId: id(), timestamp: at(1, 31), userId: person.userId, event: 'Signed Up' },
    );
    const device = person.phone ?? person.laptop;
    if (person.phone) {
      plan.twoDevicePeople.push(person);
      plan.logins.push({
        type: 'identify',
        messageId: id(),
        timestamp: at(2, 0),
        userId: person.userId,
        anonymousId: person.phone,
        traits: { last_device: 'phone' },
      });
    }
    plan.logins.push(...browse(2, { anonymousId: device, userId: person.userId }, int(5, 15)));
    for (let o = int(0, 3); o > 0; o--) {
      const sku = pick(PRODUCTS);
      const quantity = int(1, 3);
      const props = { sku, quantity, revenue: Math.round((PRICES[sku] ?? 0) * quantity * 100) / 100 };
      const timestamp = at(2, 40 + o);
      plan.logins.push({
        type: 'track',
        messageId: id(),
        timestamp,
        userId: person.userId,
        anonymousId: device,
        event: 'Checkout Started',
        properties: props,
      });
      plan.orders.push({
        type: 'track',
        messageId: id(),
        timestamp,
        userId: person.userId,
        event: 'Order Completed',
        properties: { ...props, currency: 'EUR', order_id: `o-${tag}-${n}-${o}` },
      });
    }
  }
  // Two customers sign in on the same shop kiosk: one device, two user ids, which must never merge.
  plan.kiosk.userIds.forEach((userId, k) =>
    plan.logins.push({
      type: 'identify',
      messageId: id(),
      timestamp: at(2, 50 + k),
      userId,
      anonymousId: plan.kiosk.anonymousId,
    }),
  );
  for (let k = 0; k < 5; k++) {
    plan.invalid.push({
      type: 'track',
      messageId: id(),
      timestamp: at(2, 60),
      anonymousId: `anon-${tag}-broken-${k}`,
      properties: { sku: pick(PRODUCTS) },
    });
  }
  plan.garbage = [
    Buffer.from('not avro'),
    Buffer.from('{"type":"track","json":"not avro"}'),
    Buffer.from([0xff, 0xfe, 0x01, 0x02]),
  ];
  return plan;
}
