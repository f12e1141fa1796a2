// What the engine keeps per (profile, journey), and its compact text form in Redis: a profile's
// slots and input marks are one text of about 50 bytes for a waiting instance (docs/journeys.md
// "State in Redis").
import { createHash } from 'node:crypto';

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
// last (it may hold '|'). The instance id (16 hex digits) is kept as 11 base64url characters, and
// `due` as its distance from the trigger time (shorter than an epoch). A waiting instance is about
// 35 bytes.
// Times are whole milliseconds; a fraction (a duration in fractional days) is rounded, not kept.
const b36 = (n: number | undefined) => (n === undefined ? '' : Math.round(n).toString(36));
const num = (text: string | undefined, what: string): number => {
  const n = /^-?[0-9a-z]+$/.test(text ?? '') ? parseInt(text!, 36) : NaN;
  if (!Number.isFinite(n)) throw new Error(`journey slot: ${what} is not a number: ${JSON.stringify(text)}`);
  return n;
};
const optional = (text: string | undefined, what: string) => (text ? num(text, what) : undefined);

const HEX_ID = /^[0-9a-f]{16}$/;
const packId = (id: string) => (HEX_ID.test(id) ? Buffer.from(id, 'hex').toString('base64url') : `.${id}`);
const unpackId = (text: string) =>
  text.startsWith('.') ? text.slice(1) : Buffer.from(text, 'base64url').toString('hex');

export function encodeSlot(slot: JourneySlot): string {
  const head = [b36(slot.entries), b36(slot.endedAt), (slot.occurrences ?? []).map(b36).join(',')];
  const r = slot.run;
  if (r === undefined) return head.join('|');
  return [
    ...head,
    packId(r.id),
    b36(r.version),
    r.step,
    b36(r.seq),
    r.due === undefined ? '' : b36(Math.round(r.due) - Math.round(r.trigger.at)),
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
    const at = num(p[8], 'trigger time');
    const due = optional(p[7], 'due');
    slot.run = {
      id: unpackId(p[3]!),
      version: num(p[4], 'version'),
      step: p[5]!,
      seq: num(p[6], 'seq'),
      due: due === undefined ? undefined : at + due,
      trigger: { at, fields: fields ? (JSON.parse(fields) as Record<string, unknown>) : undefined },
    };
  }
  return slot;
}

/** A profile's journey state: its slots (journey id -> slot text) and its last applied input marks. */
export interface ProfileState {
  /** mark key (markKey) -> last applied offset. */
  offsets: Map<string, bigint>;
  /** journey id -> encoded slot. */
  slots: Map<string, string>;
}

/** A process has a handful of roles (one per input topic); each is hashed once. */
const markKeys = new Map<string, string>();

/**
 * An input mark's short name: the role's initial and 3 base64url characters of SHA-1 of the whole
 * role (`events:<topic>`), so the topic's name is not repeated in every profile's state.
 */
export function markKey(role: string): string {
  let key = markKeys.get(role);
  if (key === undefined) {
    key = `${role.charAt(0)}${createHash('sha1').update(role).digest('base64url').slice(0, 3)}`;
    markKeys.set(role, key);
  }
  return key;
}

// Text form of a profile's state: the marks `key=offset,...` (offsets in base 36), then a line
// `<journeyId> <slot>` per journey. Journey ids hold no space or newline, JSON no raw newline.
// An empty state is the empty text (the field is deleted).
export function encodeProfileState(state: ProfileState): string {
  const marks = [...state.offsets].map(([k, o]) => `${k}=${o.toString(36)}`).join(',');
  const slots = [...state.slots].map(([id, slot]) => `\n${id} ${slot}`).join('');
  return slots === '' && marks === '' ? '' : `${marks}${slots}`;
}

export function decodeProfileState(text: string | null | undefined): ProfileState {
  const state: ProfileState = { offsets: new Map(), slots: new Map() };
  if (!text) return state;
  const [marks, ...lines] = text.split('\n');
  for (const mark of marks ? marks.split(',') : []) {
    const [k, o] = mark.split('=');
    if (!k || !o || !/^[0-9a-z]+$/.test(o))
      throw new Error(`journey state: damaged input mark ${JSON.stringify(mark)}`);
    let offset = 0n;
    for (const c of o) offset = offset * 36n + BigInt(parseInt(c, 36));
    state.offsets.set(k, offset);
  }
  for (const line of lines) {
    const space = line.indexOf(' ');
    if (space <= 0) throw new Error(`journey state: damaged slot line ${JSON.stringify(line)}`);
    state.slots.set(line.slice(0, space), line.slice(space + 1));
  }
  return state;
}

/** Slots equal as stored: what the property test compares. */
export function sameSlot(a: JourneySlot, b: JourneySlot): boolean {
  return encodeSlot(a) === encodeSlot(b);
}
