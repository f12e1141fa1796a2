// What the engine keeps per (profile, journey), and its compact text form in Redis (short keys:
// a waiting instance is about 120 bytes of text; docs/journeys.md "Redis layout").
export interface Instance {
  /** Deterministic: (tenant, journey, profile, the input that started it). */
  id: string;
  /** The journey version it runs on until it ends. */
  version: number;
  step: string;
  /** Steps reached so far; a timer names the seq it was set at, so a stale timer is ignored. */
  seq: number;
  /** When the wait or wait_for of `step` ends; absent while not waiting. */
  due?: number;
  /** The trigger's time and the trigger event properties the send steps copy. */
  trigger: { at: number; fields?: Record<string, unknown> };
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

// Text form: `entries|endedAt|occurrences` and, while an instance runs,
// `|id|version|step|seq|due|triggerAt|fields`; numbers in base 36, absent values empty, fields JSON
// last (it may hold '|'). A waiting instance is about 50 bytes: under Redis's 64-byte
// hash-max-listpack-value, so a profile's hash stays a compact listpack.
// Times are whole milliseconds; a fraction (a duration in fractional days) is rounded, not kept.
const b36 = (n: number | undefined) => (n === undefined ? '' : Math.round(n).toString(36));
const num = (text: string | undefined, what: string): number => {
  const n = /^-?[0-9a-z]+$/.test(text ?? '') ? parseInt(text!, 36) : NaN;
  if (!Number.isFinite(n)) throw new Error(`journey slot: ${what} is not a number: ${JSON.stringify(text)}`);
  return n;
};
const optional = (text: string | undefined, what: string) => (text ? num(text, what) : undefined);

export function encodeSlot(slot: JourneySlot): string {
  const head = [b36(slot.entries), b36(slot.endedAt), (slot.occurrences ?? []).map(b36).join(',')];
  const r = slot.run;
  if (r === undefined) return head.join('|');
  return [
    ...head,
    r.id,
    b36(r.version),
    r.step,
    b36(r.seq),
    b36(r.due),
    b36(r.trigger.at),
    r.trigger.fields === undefined ? '' : JSON.stringify(r.trigger.fields),
  ].join('|');
}

export function decodeSlot(text: string | null | undefined): JourneySlot {
  if (text === null || text === undefined) return { ...EMPTY_SLOT };
  const p = text.split('|');
  const occurrences = p[2] ? p[2].split(',').map((o) => num(o, 'occurrence')) : undefined;
  const slot: JourneySlot = {
    entries: num(p[0], 'entries'),
    endedAt: optional(p[1], 'endedAt'),
    occurrences,
  };
  if (p.length > 3) {
    const fields = p.slice(9).join('|');
    slot.run = {
      id: p[3]!,
      version: num(p[4], 'version'),
      step: p[5]!,
      seq: num(p[6], 'seq'),
      due: optional(p[7], 'due'),
      trigger: {
        at: num(p[8], 'trigger time'),
        fields: fields ? (JSON.parse(fields) as Record<string, unknown>) : undefined,
      },
    };
  }
  return slot;
}

/** Slots equal as stored: what the property test compares. */
export function sameSlot(a: JourneySlot, b: JourneySlot): boolean {
  return encodeSlot(a) === encodeSlot(b);
}
