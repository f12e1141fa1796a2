// The demo's sample shop: deterministic for a seed and day (so a rerun is deduplicated), and shaped
// so the demo has what it shows: two-device people, a shared kiosk, invalid events and garbage.
import { demoShop } from '../../../services/cli/demo/demo-shop';

const day = new Date('2026-01-10T00:00:00Z');
const plan = demoShop({ seed: 7, day, customers: 30 });
const valid = [...plan.browsing, ...plan.logins, ...plan.orders];

describe('demoShop', () => {
  it('is deterministic for a seed and day', () => {
    expect(demoShop({ seed: 7, day, customers: 30 })).toEqual(plan);
    expect(demoShop({ seed: 8, day, customers: 30 }).browsing[0]?.messageId).not.toBe(
      plan.browsing[0]?.messageId,
    );
  });

  it('gives every event a unique message id and a time in the six days before the day', () => {
    const all = [...valid, ...plan.invalid];
    expect(new Set(all.map((m) => m.messageId)).size).toBe(all.length);
    for (const m of all) {
      const t = Date.parse(m.timestamp);
      expect(t).toBeGreaterThanOrEqual(day.getTime() - 6 * 86_400_000);
      expect(t).toBeLessThan(day.getTime());
    }
  });

  it('logs people in on a second device only after they browsed there anonymously', () => {
    const [person] = plan.twoDevicePeople;
    expect(person?.phone).toBeDefined();
    const anonymous = plan.browsing.filter((m) => m.anonymousId === person?.phone && m.userId === undefined);
    const login = plan.logins.find((m) => m.type === 'identify' && m.anonymousId === person?.phone);
    expect(anonymous.length).toBeGreaterThan(0);
    expect(login?.userId).toBe(person?.userId);
    const lastAnonymous = Math.max(...anonymous.map((m) => Date.parse(m.timestamp)));
    expect(Date.parse(login?.timestamp ?? '')).toBeGreaterThan(lastAnonymous);
  });

  it('has a kiosk shared by two user ids, invalid tracks and garbage', () => {
    const kiosk = plan.logins.filter((m) => m.anonymousId === plan.kiosk.anonymousId).map((m) => m.userId);
    expect(kiosk).toEqual(plan.kiosk.userIds);
    expect(plan.invalid.every((m) => m.type === 'track' && m.event === undefined)).toBe(true);
    expect(plan.garbage.length).toBeGreaterThan(0);
    expect(
      plan.orders.every((m) => m.event === 'Order Completed' && typeof m.properties?.revenue === 'number'),
    ).toBe(true);
  });
});
