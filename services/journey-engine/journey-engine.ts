// The journey engine's shell around the pure machine: read a profile's slots, run the machine for
// each journey the input concerns, and commit the result in one script (read, compute, commit; a
// concurrent write of the same profile makes the commit fail and the whole step run again).
import type { Journey } from '../common/definitions/kinds/journey';
import type { JourneyActionRecord } from '../common/streams/journey-actions';
import { parseTimerMember, timerMember, timersKey } from './journey-keys';
import {
  mergeSlots,
  transition,
  type JourneyInput,
  type ProfileFactsValue,
  type StepLogEntry,
  type Transition,
} from './journey-machine';
import { decodeSlot, encodeProfileState, encodeSlot, markKey, type JourneySlot } from './journey-state';
import type { Commit, JourneyStateStore, ProfileJourneys } from './journey-state-store';
import type { JourneyVersions } from './journey-versions';
import type { ProfileFacts } from './profile-facts';

export interface CurrentJourney {
  id: string;
  version: number;
  body: Journey;
}

export interface JourneyEngineDeps {
  store: JourneyStateStore;
  versions: JourneyVersions;
  facts: ProfileFacts;
  /** The tenant's journeys as the definitions topic has them now. */
  current(tenant: string): CurrentJourney[];
}

/** The row a step log entry becomes in ClickHouse journey_steps (tenant added). */
export type StepLogRow = StepLogEntry & { tenant: string };

export type ApplyResult = 'applied' | 'unchanged' | 'skipped' | 'stale';

/** An input already applied is recognised by the offset of its topic, kept per profile. */
export interface InputMark {
  role: string;
  offset: bigint;
}

const MAX_ATTEMPTS = 100;

function timerOf(profileId: string, journeyId: string, slot: JourneySlot): [number, string] | undefined {
  const run = slot.run;
  return run?.due === undefined ? undefined : [run.due, timerMember(profileId, journeyId, run.seq)];
}

export class JourneyEngine {
  constructor(private readonly deps: JourneyEngineDeps) {}

  private async context(tenant: string, state: ProfileJourneys, only?: string) {
    const current = new Map(this.deps.current(tenant).map((j) => [j.id, j]));
    const ids = new Set<string>([...current.keys(), ...state.slots.keys()]);
    if (only !== undefined) for (const id of [...ids]) if (id !== only) ids.delete(id);
    const slots = new Map<string, JourneySlot>();
    for (const id of ids) {
      const slot = decodeSlot(state.slots.get(id));
      slots.set(id, slot);
      if (slot.run !== undefined) await this.deps.versions.load(tenant, id, slot.run.version);
    }
    for (const j of current.values())
      if (ids.has(j.id)) await this.deps.versions.save(tenant, j.id, j.version, j.body);
    return { current, slots };
  }

  /** Applies one input to one profile's journeys (or to one journey with `only`). */
  async apply(
    tenant: string,
    profileId: string,
    input: JourneyInput,
    options: { only?: string; mark?: InputMark; requireTimer?: string } = {},
  ): Promise<ApplyResult> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const state = await this.deps.store.read(tenant, profileId);
      const { mark } = options;
      if (mark !== undefined && (state.offsets.get(markKey(mark.role)) ?? -1n) >= mark.offset)
        return 'skipped';
      const { current, slots } = await this.context(tenant, state, options.only);
      const run = (facts?: ProfileFactsValue) =>
        [...slots].map(([id, slot]): [string, JourneySlot, Transition] => {
          const cur = current.get(id);
          return [
            id,
            slot,
            transition(
              {
                tenant,
                profileId,
                journeyId: id,
                current: cur === undefined ? undefined : { version: cur.version, journey: cur.body },
                versionOf: (v) => this.deps.versions.get(tenant, id, v),
                facts,
              },
              slot,
              input,
            ),
          ];
        });
      let results = run();
      if (results.some(([, , t]) => t.needsFacts))
        results = run(await this.deps.facts.read(tenant, profileId));
      const changed = results.filter(([, , t]) => t.changed);
      if (changed.length === 0) {
        if (options.requireTimer !== undefined)
          await this.deps.store.removeTimer(tenant, options.requireTimer);
        return options.requireTimer !== undefined ? 'stale' : 'unchanged';
      }
      const next = { offsets: new Map(state.offsets), slots: new Map(state.slots) };
      const commit: Commit = {
        profileId,
        expected: state.version,
        next: '',
        requireTimer: options.requireTimer,
        zrem: [],
        zadd: [],
        actions: [],
        log: [],
      };
      for (const [id, before, t] of changed) {
        next.slots.set(id, encodeSlot(t.slot));
        const old = timerOf(profileId, id, before);
        const now = timerOf(profileId, id, t.slot);
        if (old?.[1] !== now?.[1]) {
          if (old !== undefined) commit.zrem.push(old[1]);
          if (now !== undefined) commit.zadd.push(now);
        }
        for (const a of t.actions)
          commit.actions.push(JSON.stringify({ ...a, tenant } satisfies JourneyActionRecord));
        for (const l of t.log) commit.log.push(JSON.stringify({ ...l, tenant } satisfies StepLogRow));
      }
      if (options.requireTimer !== undefined && !commit.zrem.includes(options.requireTimer))
        commit.zrem.push(options.requireTimer);
      if (mark !== undefined) next.offsets.set(markKey(mark.role), mark.offset);
      commit.next = encodeProfileState(next);
      const result = await this.deps.store.commit(tenant, commit);
      if (result === 'ok') return 'applied';
      if (result === 'stale') return 'stale';
    }
    throw new Error(
      `journey engine: profile ${profileId} of tenant ${tenant} kept changing under ${MAX_ATTEMPTS} attempts`,
    );
  }

  /** Fires one due timer: exactly one transition per timer, whoever fires it. */
  async fireTimer(tenant: string, member: string, due: number): Promise<ApplyResult> {
    const timer = parseTimerMember(member);
    if (timer === null) {
      await this.deps.store.removeTimer(tenant, member);
      return 'stale';
    }
    return this.apply(
      tenant,
      timer.profileId,
      { kind: 'timer', id: member, at: due, seq: timer.seq },
      { only: timer.journeyId, requireTimer: member },
    );
  }

  /** A profile merged into another: their slots of each journey become one (mergeSlots). */
  async merge(
    tenant: string,
    survivorId: string,
    loserId: string,
    at: number,
    mark?: InputMark,
  ): Promise<ApplyResult> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const [s, l] = await Promise.all([
        this.deps.store.read(tenant, survivorId),
        this.deps.store.read(tenant, loserId),
      ]);
      if (mark !== undefined && (s.offsets.get(markKey(mark.role)) ?? -1n) >= mark.offset) return 'skipped';
      if (l.slots.size === 0 || survivorId === loserId) return 'unchanged';
      const commit: Commit = {
        profileId: survivorId,
        expected: s.version,
        loser: { profileId: loserId, expected: l.version },
        next: '',
        zrem: [],
        zadd: [],
        actions: [],
        log: [],
      };
      const next = { offsets: new Map(s.offsets), slots: new Map(s.slots) };
      for (const [id, text] of l.slots) {
        const loser = decodeSlot(text);
        const survivor = decodeSlot(s.slots.get(id));
        const merged = mergeSlots(id, survivorId, survivor, loserId, loser, at);
        next.slots.set(id, encodeSlot(merged.slot));
        for (const [profile, slot] of [
          [survivorId, survivor],
          [loserId, loser],
        ] as const) {
          const t = timerOf(profile, id, slot);
          if (t !== undefined) commit.zrem.push(t[1]);
        }
        const kept = timerOf(survivorId, id, merged.slot);
        if (kept !== undefined) {
          commit.zrem = commit.zrem.filter((m) => m !== kept[1]);
          commit.zadd.push(kept);
        }
        for (const e of merged.log) commit.log.push(JSON.stringify({ ...e, tenant } satisfies StepLogRow));
      }
      if (mark !== undefined) next.offsets.set(markKey(mark.role), mark.offset);
      commit.next = encodeProfileState(next);
      const result = await this.deps.store.commit(tenant, commit);
      if (result === 'ok') return 'applied';
    }
    throw new Error(`journey engine: merge of ${loserId} into ${survivorId} kept conflicting`);
  }

  /** A deleted journey: every running instance (each waits on a timer) exits with journey_deleted. */
  async exitDeleted(tenant: string, journeyId: string, at: number): Promise<number> {
    let exited = 0;
    let cursor = '0';
    do {
      const [next, flat] = await this.deps.store.redis.zscan(timersKey(tenant), cursor, 'COUNT', 500);
      cursor = next;
      for (let i = 0; i < flat.length; i += 2) {
        const timer = parseTimerMember(flat[i]!);
        if (timer === null || timer.journeyId !== journeyId) continue;
        const r = await this.apply(
          tenant,
          timer.profileId,
          { kind: 'deleted', id: `deleted:${journeyId}`, at },
          { only: journeyId },
        );
        if (r === 'applied') exited++;
      }
    } while (cursor !== '0');
    return exited;
  }
}
