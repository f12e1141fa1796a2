// The journey state machine, pure: one (profile, journey) slot and one input in, the new slot, the
// actions to send and the step log out. No clock, no I/O: time comes with the input, profile facts
// are given (or asked for with `needsFacts`), and every id is derived from the input and the state.
import {
  fallThrough,
  type Journey,
  type JourneyStep,
  type Trigger,
} from '../common/definitions/kinds/journey';
import { matchesCondition, matchesWhere, valueAt, type FactsSnapshot } from './filters';
import { actionId, instanceId, stepLogId } from './journey-ids';
import type { Instance, JourneySlot } from './journey-state';

export interface JourneyEvent {
  messageId: string;
  type: string;
  /** A track call's event name; null for other calls. */
  event: string | null;
  properties: Record<string, unknown>;
  /** When it happened (epoch ms): occurrence windows count in event time. */
  timestamp: number;
  userId: string | null;
}

/** Every input has an id (for ids derived from it) and the time it is handled at (epoch ms). */
export type JourneyInput =
  | { kind: 'event'; id: string; at: number; event: JourneyEvent }
  | { kind: 'membership'; id: string; at: number; segmentId: string; status: 'entered' | 'exited' }
  /** The timer set when the instance reached step seq `seq` fell due. */
  | { kind: 'timer'; id: string; at: number; seq: number }
  /** The journey was deleted: its running instance exits. */
  | { kind: 'deleted'; id: string; at: number };

export interface ProfileFactsValue extends FactsSnapshot {
  userId: string | null;
  identifiers: string[];
}

export interface JourneyAction {
  actionId: string;
  journeyId: string;
  journeyVersion: number;
  instanceId: string;
  stepId: string;
  profileId: string;
  destinationId: string;
  message: string;
  /** JSON text (the contract of cdp.journeys.actions.v1). */
  payload: string;
  createdAt: number;
}

export const STEP_LOG_KINDS = ['entered', 'step', 'action_sent', 'waiting', 'exited'] as const;
export type StepLogKind = (typeof STEP_LOG_KINDS)[number];

export interface StepLogEntry {
  entryId: string;
  journeyId: string;
  journeyVersion: number;
  instanceId: string;
  profileId: string;
  kind: StepLogKind;
  stepId: string;
  /** Steps the instance had reached: orders an instance's rows that share a time. */
  seq: number;
  /** Exit reason; the destination for action_sent; empty otherwise. */
  detail: string;
  at: number;
}

export interface MachineContext {
  tenant: string;
  profileId: string;
  journeyId: string;
  /** The current version and body; undefined once the journey is deleted. */
  current?: { version: number; journey: Journey };
  /** The body of an older version a running instance started on. */
  versionOf(version: number): Journey | undefined;
  /** Absent: the machine answers `needsFacts` when it must read them (send, branch, audience). */
  facts?: ProfileFactsValue;
}

export interface Transition {
  slot: JourneySlot;
  actions: JourneyAction[];
  log: StepLogEntry[];
  /** The slot or its output changed (nothing to write otherwise). */
  changed: boolean;
  /** The transition needs the profile's facts: read them and run again with them. */
  needsFacts?: boolean;
}

class NeedsFacts extends Error {}

export const DAY_MS = 86_400_000;

export function durationMs(d: { days?: number; hours?: number; minutes?: number; seconds?: number }): number {
  return Math.round(
    ((d.days ?? 0) * 86_400 + (d.hours ?? 0) * 3_600 + (d.minutes ?? 0) * 60 + (d.seconds ?? 0)) * 1000,
  );
}

function windowMs(t: Trigger): number | undefined {
  if ('segment' in t) return undefined;
  if (t.within_seconds !== undefined) return t.within_seconds * 1000;
  if (t.within_days !== undefined) return t.within_days * DAY_MS;
  return undefined;
}

export function eventMatches(
  spec: { event?: string; type?: string; where: Journey['exit_when'][number]['where'] },
  e: JourneyEvent,
): boolean {
  if (spec.event !== undefined && !(e.type === 'track' && e.event === spec.event)) return false;
  if (spec.type !== undefined && e.type !== spec.type) return false;
  return matchesWhere(spec.where, e.properties);
}

/** Trigger event properties the journey's send steps copy into payloads. */
function triggerFields(journey: Journey, e: JourneyEvent): Record<string, unknown> | undefined {
  const names = new Set(journey.steps.flatMap((s) => ('send' in s ? s.send.fields : [])));
  if (names.size === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const n of names) {
    const v = valueAt(e.properties, n);
    if (v !== undefined) out[n] = v;
  }
  return out;
}

/** What the payload calls the trigger: the event name, the call type, or `segment:<id>`. */
function triggerName(journey: Journey): string {
  const t = journey.trigger;
  return 'segment' in t ? `segment:${t.segment}` : 'event' in t ? t.event : t.type;
}

class Run {
  readonly actions: JourneyAction[] = [];
  readonly log: StepLogEntry[] = [];
  constructor(
    readonly ctx: MachineContext,
    public slot: JourneySlot,
  ) {}

  note(inst: Instance, kind: StepLogKind, stepId: string, detail: string, at: number): void {
    this.log.push({
      entryId: stepLogId(inst.id, inst.seq, kind),
      journeyId: this.ctx.journeyId,
      journeyVersion: inst.version,
      instanceId: inst.id,
      profileId: this.ctx.profileId,
      kind,
      stepId,
      seq: inst.seq,
      detail,
      at,
    });
  }

  facts(): ProfileFactsValue {
    if (this.ctx.facts === undefined) throw new NeedsFacts();
    return this.ctx.facts;
  }

  exit(inst: Instance, reason: string, at: number): void {
    this.note(inst, 'exited', inst.step, reason, at);
    this.slot = { ...this.slot, run: undefined, endedAt: at };
  }

  /** Runs from `stepId` until the instance waits or ends. */
  advance(journey: Journey, from: Instance, stepId: string | undefined, at: number): void {
    let inst: Instance = { ...from, due: undefined };
    let id = stepId;
    for (;;) {
      if (id === undefined) return this.exit(inst, 'completed', at);
      const index = journey.steps.findIndex((s) => s.id === id);
      const step: JourneyStep | undefined = journey.steps[index];
      if (step === undefined) return this.exit(inst, 'completed', at);
      inst = { ...inst, step: step.id, seq: inst.seq + 1 };
      this.note(inst, 'step', step.id, '', at);
      if ('send' in step) {
        this.send(journey, inst, step.id, step.send, at);
        id = step.next ?? fallThrough(journey, index);
      } else if ('wait' in step) {
        inst = { ...inst, due: at + durationMs(step.wait) };
        this.note(inst, 'waiting', step.id, String(inst.due), at);
        this.slot = { ...this.slot, run: inst };
        return;
      } else if ('wait_for' in step) {
        inst = { ...inst, due: at + Math.round(step.wait_for.timeout_seconds * 1000) };
        this.note(inst, 'waiting', step.id, String(inst.due), at);
        this.slot = { ...this.slot, run: inst };
        return;
      } else if ('branch' in step) {
        const facts = this.facts();
        const hit = step.branch.find((b) => matchesCondition(b.when, facts));
        id = hit?.next ?? step.else ?? fallThrough(journey, index);
      } else {
        return this.exit(inst, step.exit, at);
      }
    }
  }

  send(
    journey: Journey,
    inst: Instance,
    stepId: string,
    send: { destination: string; message: string },
    at: number,
  ): void {
    const facts = this.facts();
    const payload = {
      message: send.message,
      journeyId: journey.id,
      journeyVersion: inst.version,
      stepId,
      instanceId: inst.id,
      profileId: this.ctx.profileId,
      userId: facts.userId,
      identifiers: facts.identifiers,
      traits: facts.traits,
      trigger: {
        name: triggerName(journey),
        timestamp: inst.trigger.at,
        properties: inst.trigger.fields ?? {},
      },
    };
    this.actions.push({
      actionId: actionId(journey.id, inst.version, inst.id, stepId),
      journeyId: journey.id,
      journeyVersion: inst.version,
      instanceId: inst.id,
      stepId,
      profileId: this.ctx.profileId,
      destinationId: send.destination,
      message: send.message,
      payload: JSON.stringify(payload),
      createdAt: at,
    });
    this.note(inst, 'action_sent', stepId, send.destination, at);
  }

  /** Re-entry rule and audience: may a new instance start now? */
  mayEnter(journey: Journey, at: number): boolean {
    const s = this.slot;
    if (s.run !== undefined) return false;
    if (s.entries > 0) {
      const r = journey.reentry;
      if (r === 'never') return false;
      const after = 'after_days' in r ? r.after_days * DAY_MS : r.after_seconds * 1000;
      if (s.endedAt === undefined || at < s.endedAt + after) return false;
    }
    return true;
  }

  enter(
    current: { version: number; journey: Journey },
    input: JourneyInput,
    trigger: Instance['trigger'],
  ): void {
    const { journey, version } = current;
    if (journey.audience !== undefined && !this.facts().segments.includes(journey.audience.segment)) return;
    const inst: Instance = {
      id: instanceId(this.ctx.tenant, journey.id, this.ctx.profileId, input.id),
      version,
      step: journey.steps[0]!.id,
      seq: 0,
      trigger,
    };
    this.slot = { ...this.slot, run: inst, entries: this.slot.entries + 1, occurrences: undefined };
    this.note(
      inst,
      'entered',
      inst.step,
      input.kind === 'event' ? input.event.messageId : input.id,
      input.at,
    );
    this.advance(journey, inst, inst.step, input.at);
  }

  onEvent(input: Extract<JourneyInput, { kind: 'event' }>): void {
    const e = input.event;
    const run = this.slot.run;
    if (run !== undefined) {
      const journey = this.ctx.versionOf(run.version);
      if (journey === undefined || this.ctx.current === undefined)
        return this.exit(run, 'journey_deleted', input.at);
      const rule = journey.exit_when.find((x) => eventMatches({ event: x.event, where: x.where }, e));
      if (rule !== undefined) return this.exit(run, rule.reason, input.at);
      const step = journey.steps.find((s) => s.id === run.step);
      if (
        step !== undefined &&
        'wait_for' in step &&
        run.due !== undefined &&
        eventMatches(step.wait_for, e)
      ) {
        const index = journey.steps.indexOf(step);
        return this.advance(journey, run, step.on_event ?? fallThrough(journey, index), input.at);
      }
      return;
    }
    const current = this.ctx.current;
    if (current === undefined) return;
    const t = current.journey.trigger;
    if ('segment' in t) return;
    if (
      !eventMatches(
        { event: 'event' in t ? t.event : undefined, type: 'type' in t ? t.type : undefined, where: t.where },
        e,
      )
    )
      return;
    if (!this.mayEnter(current.journey, input.at)) return;
    const needed = t.occurrence ?? 1;
    const trigger = {
      at: e.timestamp,
      fields: triggerFields(current.journey, e),
    };
    if (needed <= 1) return this.enter(current, input, trigger);
    const window = windowMs(t) ?? Number.POSITIVE_INFINITY;
    const seen = [...(this.slot.occurrences ?? []), e.timestamp].sort((a, b) => a - b);
    const latest = seen[seen.length - 1]!;
    const inWindow = seen.filter((ts) => ts > latest - window).slice(-needed);
    if (inWindow.length >= needed) return this.enter(current, input, trigger);
    this.slot = { ...this.slot, occurrences: inWindow };
  }

  onMembership(input: Extract<JourneyInput, { kind: 'membership' }>): void {
    const current = this.ctx.current;
    if (current === undefined || input.status !== 'entered') return;
    const t = current.journey.trigger;
    if (!('segment' in t) || t.segment !== input.segmentId) return;
    if (!this.mayEnter(current.journey, input.at)) return;
    this.enter(current, input, { at: input.at });
  }

  onTimer(input: Extract<JourneyInput, { kind: 'timer' }>): void {
    const run = this.slot.run;
    if (run === undefined || run.seq !== input.seq || run.due === undefined) return;
    const journey = this.ctx.versionOf(run.version);
    if (journey === undefined || this.ctx.current === undefined)
      return this.exit(run, 'journey_deleted', Math.max(input.at, run.due));
    const index = journey.steps.findIndex((s) => s.id === run.step);
    const step = journey.steps[index];
    if (step === undefined) return this.exit(run, 'completed', input.at);
    // Time runs from the due time, not from when the timer loop got to it: no drift.
    const at = run.due;
    if ('wait_for' in step)
      return this.advance(journey, run, step.on_timeout ?? fallThrough(journey, index), at);
    if ('wait' in step) return this.advance(journey, run, step.next ?? fallThrough(journey, index), at);
    return this.exit(run, 'completed', at);
  }
}

export function transition(ctx: MachineContext, slot: JourneySlot, input: JourneyInput): Transition {
  const run = new Run(ctx, slot);
  try {
    switch (input.kind) {
      case 'event':
        run.onEvent(input);
        break;
      case 'membership':
        run.onMembership(input);
        break;
      case 'timer':
        run.onTimer(input);
        break;
      case 'deleted':
        if (slot.run !== undefined) run.exit(slot.run, 'journey_deleted', input.at);
        break;
    }
  } catch (err) {
    if (err instanceof NeedsFacts) return { slot, actions: [], log: [], changed: false, needsFacts: true };
    throw err;
  }
  return { slot: run.slot, actions: run.actions, log: run.log, changed: run.slot !== slot };
}

export interface MergedSlots {
  slot: JourneySlot;
  log: StepLogEntry[];
}

/**
 * Two profiles merged: their slots of one journey become one. Of two running instances the more
 * advanced (more steps reached; on a tie the smaller instance id) goes on, on the survivor; the
 * other exits with reason `merged`. Entries add up, so `reentry: never` holds for the person.
 */
export function mergeSlots(
  journeyId: string,
  survivorId: string,
  survivor: JourneySlot,
  loserId: string,
  loser: JourneySlot,
  at: number,
): MergedSlots {
  const log: StepLogEntry[] = [];
  const a = survivor.run;
  const b = loser.run;
  let keep = a ?? b;
  if (a !== undefined && b !== undefined) {
    const winner = a.seq !== b.seq ? (a.seq > b.seq ? a : b) : a.id <= b.id ? a : b;
    const other = winner === a ? b : a;
    const otherProfile = other === a ? survivorId : loserId;
    keep = winner;
    log.push({
      entryId: stepLogId(other.id, other.seq, 'exited'),
      journeyId,
      journeyVersion: other.version,
      instanceId: other.id,
      profileId: otherProfile,
      kind: 'exited',
      stepId: other.step,
      seq: other.seq,
      detail: 'merged',
      at,
    });
  }
  const occurrences = [...(survivor.occurrences ?? []), ...(loser.occurrences ?? [])].sort((x, y) => x - y);
  const ends = [survivor.endedAt, loser.endedAt].filter((x): x is number => x !== undefined);
  const endedAt = ends.length > 0 ? Math.max(...ends) : undefined;
  return {
    slot: {
      run: keep,
      occurrences: keep === undefined && occurrences.length > 0 ? occurrences : undefined,
      entries: survivor.entries + loser.entries,
      endedAt: log.length > 0 ? (endedAt === undefined ? at : Math.max(endedAt, at)) : endedAt,
    },
    log,
  };
}
