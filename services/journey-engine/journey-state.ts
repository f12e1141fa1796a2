// What the engine keeps per (profile, journey), and its compact text form in Redis (short keys:
// a waiting instance is about 120 bytes of text; docs/journeys.md "Redis layout").
import { z } from 'zod';

export interface Instance {
  /** Deterministic: (tenant, journey, profile, the input that started it). */
  id: string;
  /** The journey version it runs on until it ends. */
  version: number;
  step: string;
  /** Steps reached so far; a timer names the seq it was set at, so a stale timer is ignored. */
  seq: number;
  enteredAt: number;
  /** When the wait or wait_for of `step` ends; absent while not waiting. */
  due?: number;
  /** The trigger event's name (or call type), time and the properties the send steps copy. */
  trigger: { name: string; at: number; fields?: Record<string, unknown> };
}

export interface JourneySlot {
  run?: Instance;
  /** Timestamps of trigger occurrences not yet used by an entry (Nth-occurrence triggers). */
  occurrences?: number[];
  /** Instances entered so far. */
  entries: number;
  /** When the last instance ended (re-entry `after_*`). */
  endedAt?: number;
}

export const EMPTY_SLOT: JourneySlot = { entries: 0 };

const encodedSchema = z.object({
  r: z
    .object({
      i: z.string(),
      v: z.number(),
      s: z.string(),
      q: z.number(),
      e: z.number(),
      d: z.number().optional(),
      t: z.object({ n: z.string(), a: z.number(), f: z.record(z.string(), z.unknown()).optional() }),
    })
    .optional(),
  o: z.array(z.number()).optional(),
  n: z.number(),
  x: z.number().optional(),
});

export function encodeSlot(slot: JourneySlot): string {
  const r = slot.run;
  return JSON.stringify({
    r:
      r === undefined
        ? undefined
        : {
            i: r.id,
            v: r.version,
            s: r.step,
            q: r.seq,
            e: r.enteredAt,
            d: r.due,
            t: { n: r.trigger.name, a: r.trigger.at, f: r.trigger.fields },
          },
    o: slot.occurrences?.length ? slot.occurrences : undefined,
    n: slot.entries,
    x: slot.endedAt,
  });
}

export function decodeSlot(text: string | null | undefined): JourneySlot {
  if (text === null || text === undefined) return { ...EMPTY_SLOT };
  const e = encodedSchema.parse(JSON.parse(text));
  return {
    run:
      e.r === undefined
        ? undefined
        : {
            id: e.r.i,
            version: e.r.v,
            step: e.r.s,
            seq: e.r.q,
            enteredAt: e.r.e,
            due: e.r.d,
            trigger: { name: e.r.t.n, at: e.r.t.a, fields: e.r.t.f },
          },
    occurrences: e.o,
    entries: e.n,
    endedAt: e.x,
  };
}

/** Slots equal as stored: what the property test compares. */
export function sameSlot(a: JourneySlot, b: JourneySlot): boolean {
  return encodeSlot(a) === encodeSlot(b);
}
