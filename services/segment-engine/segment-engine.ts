// The engine's steps: a resolved event, a profile change, a merge, time passing and a definition
// change each read the profiles they touch, evaluate them (pure code) and commit the new states with
// the records they emit (segment-state-store.ts). A step whose input was committed before returns
// the records stored then, so a redelivery re-sends the same bytes and never a second version.
// A chunk's events are grouped by profile (onEvents): a profile is read once, each of its events is
// applied and evaluated in turn (the same records, ids and stored outcomes as one at a time), and one
// commit script writes the state and every event's records. Round trips per chunk: the reads of its
// profiles and their commits, pipelined (ioredis auto-pipelining), not two per event.
import type { Redis } from 'ioredis';
import { flattenProperties } from '../common/events/flat-json';
import type { IdentityMergeRecord } from '../common/streams/identity-merges';
import type { ProfileChangeRecord } from '../common/streams/profile-changes';
import type { ResolvedEventRecord } from '../common/streams/resolved-events';
import { evaluateProfile } from './evaluate-profile';
import { exitAll, membershipChange, noOutputs, outputsOf, type ProfileOutputs } from './profile-outputs';
import {
  applyEvent,
  applyTraitChanges,
  dayOf,
  emptyState,
  foldInto,
  matchesSignature,
  nextExpiry,
  pruneBuckets,
  type EventInput,
  type ProfileState,
} from './profile-state';
import { expiryKey, membersKey, statePattern, profileIdOfStateKey } from './redis-keys';
import { buildPlan, selectionFor, type SegmentPlan } from './segment-plan';
import { commitStep, loadState, readOutcome, type LoadedState } from './segment-state-store';

export interface StepResult {
  tenant: string;
  /** Set when records were stored under it (release them once sent). */
  inputId?: string;
  outputs: ProfileOutputs;
}

/** A resolved event as the engine reads it (properties parsed once, where a bad record can be refused). */
export interface PreparedEvent {
  tenant: string;
  profileId: string;
  /** Null for an event with no name (it matches nothing). */
  input: EventInput | null;
}

export function preparedEvent(record: ResolvedEventRecord): PreparedEvent {
  const { tenant, profileId } = record;
  if (record.event === null) return { tenant, profileId, input: null };
  return {
    tenant,
    profileId,
    input: {
      messageId: record.messageId,
      event: record.event,
      timestamp: record.timestamp,
      properties:
        record.properties === null ? { keys: [], values: [] } : flattenProperties(record.properties),
    },
  };
}

export interface EngineDeps {
  redis: Redis;
  planFor(tenant: string): SegmentPlan | undefined;
  now(): number;
}

const MAX_MERGE_HOPS = 16;

function matchesAny(plan: SegmentPlan, input: EventInput): boolean {
  for (const sig of plan.signatures.values()) if (matchesSignature(sig, input)) return true;
  return false;
}

/** What a step decides for the profiles it read. */
interface Decision {
  states: Map<string, ProfileState | null>;
  outputs: ProfileOutputs;
}

export class SegmentEngine {
  constructor(private readonly deps: EngineDeps) {}

  private async step(
    tenant: string,
    inputId: string,
    ids: (loaded: Map<string, LoadedState>) => Promise<string[]> | string[],
    decide: (loaded: Map<string, LoadedState>, plan: SegmentPlan, now: number) => Decision | null,
    options: { unsent?: boolean; plan?: SegmentPlan } = {},
  ): Promise<StepResult> {
    const { redis } = this.deps;
    for (;;) {
      const plan = options.plan ?? this.deps.planFor(tenant);
      if (plan === undefined) return { tenant, outputs: noOutputs() };
      const loaded = new Map<string, LoadedState>();
      for (const id of await ids(loaded))
        if (!loaded.has(id)) loaded.set(id, await loadState(redis, tenant, id));
      const now = this.deps.now();
      const decision = decide(loaded, plan, now);
      if (decision === null) {
        // Nothing new: the input may have been applied before and its records not yet acknowledged
        // (a redelivery): they are re-sent as stored. Read only here, so a new input costs no GET.
        const stored = await readOutcome(redis, tenant, inputId);
        return stored === null ? { tenant, outputs: noOutputs() } : { tenant, inputId, outputs: stored };
      }
      const expiries = new Map<string, number | null>();
      for (const [id, state] of decision.states) {
        if (state === null) {
          expiries.set(id, null);
          continue;
        }
        state.v = (loaded.get(id)?.v ?? 0) + 1;
        expiries.set(id, state.mergedInto === undefined ? nextExpiry(state, plan, now) : null);
      }
      const result = await commitStep(redis, tenant, {
        read: new Map([...loaded].map(([id, l]) => [id, l.v])),
        states: decision.states,
        expiries,
        outcomes: [{ inputId, outputs: decision.outputs }],
        unsent: options.unsent,
      });
      // Moved: another step changed a profile since the read: read again and decide again.
      if (result === 'moved') continue;
      if (result === 'done-before') {
        // Another delivery of this input (or another instance's timer) committed first: its records count.
        const stored = await readOutcome(redis, tenant, inputId);
        if (stored !== null) return { tenant, inputId, outputs: stored };
        continue;
      }
      const any = decision.outputs.membership.length + decision.outputs.computed.length > 0;
      return any ? { tenant, inputId, outputs: decision.outputs } : { tenant, outputs: decision.outputs };
    }
  }

  /** The profile an id stands for now: merged-away profiles point at their survivor. */
  private async follow(tenant: string, profileId: string, loaded: Map<string, LoadedState>): Promise<string> {
    let id = profileId;
    for (let hop = 0; hop < MAX_MERGE_HOPS; hop++) {
      const l = await loadState(this.deps.redis, tenant, id);
      loaded.set(id, l);
      if (l.state.mergedInto === undefined) return id;
      id = l.state.mergedInto;
    }
    return id;
  }

  /**
   * The profile's outputs after a step. `touched` (the signatures an event counted into, the trait
   * names a change set) limits the evaluation to the definitions that read them when the state was
   * last evaluated in full on this day under this plan (ProfileState.e): every other definition's
   * result is then the one last emitted, so the records are those of a full evaluation. Otherwise
   * (a new day, new definitions, a merge, time, a backfill) every definition is evaluated.
   */
  private evaluated(
    state: ProfileState,
    plan: SegmentPlan,
    tenant: string,
    id: string,
    now: number,
    touched?: { signatures: string[]; traits: string[] },
  ): ProfileOutputs {
    const mark = `${dayOf(now)}:${plan.fingerprint}`;
    if (touched !== undefined && state.e === mark) {
      const selection = selectionFor(plan, touched.signatures, touched.traits);
      if (selection.traits.length + selection.segments.length === 0) return noOutputs();
      return outputsOf(state, plan, evaluateProfile(state, plan, now, selection), tenant, id, now, selection);
    }
    pruneBuckets(state, plan, now);
    state.e = mark;
    return outputsOf(state, plan, evaluateProfile(state, plan, now), tenant, id, now);
  }

  /** Applies an event and evaluates what it touched; null when it was counted before. */
  private appliedEvent(
    state: ProfileState,
    plan: SegmentPlan,
    input: EventInput,
    tenant: string,
    id: string,
    now: number,
  ): ProfileOutputs | null {
    const signatures: string[] = [];
    if (!applyEvent(state, plan, input, now, signatures)) return null;
    return this.evaluated(state, plan, tenant, id, now, { signatures, traits: [] });
  }

  async onEvent(record: ResolvedEventRecord): Promise<StepResult> {
    return (await this.onEvents([preparedEvent(record)]))[0]!;
  }

  /**
   * A chunk's resolved events, in offset order: one result per event, in the same order. Events of
   * one profile are read, applied (each evaluated after it, as if alone) and committed together;
   * profiles run concurrently.
   */
  async onEvents(events: PreparedEvent[]): Promise<StepResult[]> {
    const results: StepResult[] = new Array<StepResult>(events.length);
    const groups = new Map<string, number[]>();
    events.forEach((e, i) => {
      results[i] = { tenant: e.tenant, outputs: noOutputs() };
      const plan = e.input === null ? undefined : this.deps.planFor(e.tenant);
      // Most events match no definition: they cost no Redis round trip.
      if (plan === undefined || !matchesAny(plan, e.input!)) return;
      const key = `${e.tenant}\u0000${e.profileId}`;
      const group = groups.get(key);
      if (group === undefined) groups.set(key, [i]);
      else group.push(i);
    });
    await Promise.all(
      [...groups.values()].map(async (indexes) => {
        const out = await this.profileEvents(indexes.map((i) => events[i]!));
        indexes.forEach((i, k) => (results[i] = out[k]!));
      }),
    );
    return results;
  }

  /** Events of one profile (one tenant), in order. */
  private async profileEvents(events: PreparedEvent[]): Promise<StepResult[]> {
    const { redis } = this.deps;
    const { tenant, profileId } = events[0]!;
    const inputIds = events.map((e) => `e:${e.input!.messageId}`);
    if (events.length === 1) return [await this.oneEvent(events[0]!)];
    for (;;) {
      const plan = this.deps.planFor(tenant);
      if (plan === undefined) return events.map(() => ({ tenant, outputs: noOutputs() }));
      const loaded = new Map<string, LoadedState>();
      const target = await this.follow(tenant, profileId, loaded);
      const { state, v } = loaded.get(target)!;
      const now = this.deps.now();
      // null: counted before (a redelivery): its stored records, if any, are re-sent.
      const applied = events.map((e) => this.appliedEvent(state, plan, e.input!, tenant, target, now));
      if (applied.some((o) => o !== null)) {
        state.v = v + 1;
        const expiry = state.mergedInto === undefined ? nextExpiry(state, plan, now) : null;
        const result = await commitStep(redis, tenant, {
          read: new Map([...loaded].map(([id, l]) => [id, l.v])),
          states: new Map([[target, state]]),
          expiries: new Map([[target, expiry]]),
          outcomes: applied.flatMap((outputs, k) => (outputs ? [{ inputId: inputIds[k], outputs }] : [])),
        });
        if (result === 'moved') continue;
        // Another delivery committed one of them first: one at a time, each finds its own records.
        if (result === 'done-before') return this.oneByOne(events);
      }
      return Promise.all(applied.map((outputs, k) => this.resultOf(tenant, inputIds[k]!, outputs)));
    }
  }

  private async oneByOne(events: PreparedEvent[]): Promise<StepResult[]> {
    const out: StepResult[] = [];
    for (const e of events) out.push(await this.oneEvent(e));
    return out;
  }

  private async oneEvent(e: PreparedEvent): Promise<StepResult> {
    const { tenant } = e;
    const input = e.input!;
    const record = { profileId: e.profileId, messageId: input.messageId };
    let target = record.profileId;
    return this.step(
      tenant,
      `e:${record.messageId}`,
      async (loaded) => [(target = await this.follow(tenant, record.profileId, loaded))],
      (loaded, p, now) => {
        const state = loaded.get(target)!.state;
        const outputs = this.appliedEvent(state, p, input, tenant, target, now);
        return outputs === null ? null : { states: new Map([[target, state]]), outputs };
      },
    );
  }

  /** Whether a change can change anything here (one with no trait and not a profile's first changes nothing). */
  private counts(record: ProfileChangeRecord): boolean {
    return (
      this.deps.planFor(record.tenant) !== undefined &&
      (record.traitsChanged.length > 0 || record.kind === 'created')
    );
  }

  /**
   * A chunk's profile changes, in offset order: one result per change, in the same order. Changes of
   * one profile are read, applied (each evaluated after it, as if alone) and committed together, as
   * events are (onEvents).
   */
  async onProfileChanges(records: ProfileChangeRecord[]): Promise<StepResult[]> {
    const results: StepResult[] = records.map((r) => ({ tenant: r.tenant, outputs: noOutputs() }));
    const groups = new Map<string, number[]>();
    records.forEach((r, i) => {
      if (!this.counts(r)) return;
      const key = `${r.tenant}\u0000${r.profileId}`;
      const group = groups.get(key);
      if (group === undefined) groups.set(key, [i]);
      else group.push(i);
    });
    await Promise.all(
      [...groups.values()].map(async (indexes) => {
        const out =
          indexes.length === 1
            ? [await this.onProfileChange(records[indexes[0]!]!)]
            : await this.profileChanges(indexes.map((i) => records[i]!));
        indexes.forEach((i, k) => (results[i] = out[k]!));
      }),
    );
    return results;
  }

  /** Changes of one profile (one tenant), in order. */
  private async profileChanges(records: ProfileChangeRecord[]): Promise<StepResult[]> {
    const { redis } = this.deps;
    const { tenant, profileId } = records[0]!;
    const inputIds = records.map((r) => `c:${r.changeId}`);
    for (;;) {
      const plan = this.deps.planFor(tenant);
      if (plan === undefined) return records.map(() => ({ tenant, outputs: noOutputs() }));
      const loaded = await loadState(redis, tenant, profileId);
      const { state } = loaded;
      const now = this.deps.now();
      let fresh = !loaded.stored;
      // null: nothing new (superseded, or a merged-away profile): stored records, if any, are re-sent.
      const applied = records.map((r): ProfileOutputs | null => {
        if (state.mergedInto !== undefined) return null;
        if (!applyTraitChanges(state, r.version, r.traitsChanged) && !fresh) return null;
        fresh = false;
        const traits = r.traitsChanged.map((t) => t.name);
        return this.evaluated(state, plan, tenant, profileId, now, { signatures: [], traits });
      });
      if (applied.some((o) => o !== null)) {
        state.v = loaded.v + 1;
        const result = await commitStep(redis, tenant, {
          read: new Map([[profileId, loaded.v]]),
          states: new Map([[profileId, state]]),
          expiries: new Map([[profileId, nextExpiry(state, plan, now)]]),
          outcomes: applied.flatMap((outputs, k) => (outputs ? [{ inputId: inputIds[k], outputs }] : [])),
        });
        if (result === 'moved') continue;
        if (result === 'done-before') {
          const out: StepResult[] = [];
          for (const r of records) out.push(await this.onProfileChange(r));
          return out;
        }
      }
      return Promise.all(applied.map((outputs, k) => this.resultOf(tenant, inputIds[k]!, outputs)));
    }
  }

  /** A step's result for one input: its new records, or (applied before) the records stored then. */
  private async resultOf(
    tenant: string,
    inputId: string,
    outputs: ProfileOutputs | null,
  ): Promise<StepResult> {
    if (outputs === null) {
      const stored = await readOutcome(this.deps.redis, tenant, inputId);
      return stored === null ? { tenant, outputs: noOutputs() } : { tenant, inputId, outputs: stored };
    }
    const any = outputs.membership.length + outputs.computed.length > 0;
    return any ? { tenant, inputId, outputs } : { tenant, outputs };
  }

  async onProfileChange(record: ProfileChangeRecord): Promise<StepResult> {
    const { tenant, profileId } = record;
    // Most changes only add identifiers: with no trait in them they change nothing here (a profile's
    // first change creates its state, so a profile with no event is evaluated too). No Redis for them.
    if (!this.counts(record)) return { tenant, outputs: noOutputs() };
    return this.step(
      tenant,
      `c:${record.changeId}`,
      () => [profileId],
      (loaded, plan, now) => {
        const { state } = loaded.get(profileId)!;
        const fresh = !loaded.get(profileId)!.stored;
        if (state.mergedInto !== undefined) return null;
        // A change with no new trait value still creates the profile's state (it is a profile now).
        if (!applyTraitChanges(state, record.version, record.traitsChanged) && !fresh) return null;
        const traits = record.traitsChanged.map((t) => t.name);
        return {
          states: new Map([[profileId, state]]),
          // A fresh state has no full evaluation yet (no mark): it gets one.
          outputs: this.evaluated(state, plan, tenant, profileId, now, { signatures: [], traits }),
        };
      },
    );
  }

  async onMerge(record: IdentityMergeRecord): Promise<StepResult> {
    const { tenant, loserId, survivorId } = record;
    let survivor = survivorId;
    return this.step(
      tenant,
      `m:${record.mergeId}`,
      async (loaded) => {
        loaded.set(loserId, await loadState(this.deps.redis, tenant, loserId));
        survivor = await this.follow(tenant, survivorId, loaded);
        return [loserId, survivor];
      },
      (loaded, plan, now) => {
        const loser = loaded.get(loserId)!.state;
        if (loser.mergedInto !== undefined || survivor === loserId) return null;
        const kept = loaded.get(survivor)!.state;
        const outputs = exitAll(loser, tenant, loserId, plan, now);
        for (const t of plan.traits) {
          const before = loser.ct[t.id];
          if (before?.value !== undefined && before.value !== null) {
            const version = before.version + 1;
            loser.ct[t.id] = { value: null, version };
            outputs.computed.push({
              changeId: `${tenant}:${t.id}:${loserId}:${version}`,
              tenant,
              traitId: t.id,
              profileId: loserId,
              value: null,
              previous: before.value,
              version,
              definitionVersion: t.version,
              changedAt: now,
            });
          }
        }
        foldInto(kept, loser);
        const after = this.evaluated(kept, plan, tenant, survivor, now);
        // The loser keeps only what a late input needs: where it went, and its records' versions.
        const tombstone: ProfileState = {
          ...emptyState(),
          mergedInto: survivor,
          seg: loser.seg,
          ct: loser.ct,
        };
        return {
          states: new Map<string, ProfileState | null>([
            [loserId, tombstone],
            [survivor, kept],
          ]),
          outputs: {
            membership: [...outputs.membership, ...after.membership],
            computed: [...outputs.computed, ...after.computed],
          },
        };
      },
    );
  }

  /**
   * A profile's traits as ClickHouse last stored them (its snapshot at `version`): what a backfill
   * knows of a profile the engine has not seen, or saw before its tenant had definitions. Each trait
   * is taken only if no change of a higher version set it, so a live change is never overwritten.
   */
  async onProfileSnapshot(
    tenant: string,
    profileId: string,
    version: number,
    traits: Record<string, unknown>,
    label: string,
  ): Promise<StepResult> {
    return this.step(
      tenant,
      `s:${label}:${profileId}:${version}`,
      () => [profileId],
      (loaded, plan, now) => {
        const l = loaded.get(profileId)!;
        if (l.state.mergedInto !== undefined) return null;
        const names = new Set([...Object.keys(traits), ...Object.keys(l.state.traits)]);
        applyTraitChanges(
          l.state,
          version,
          [...names].map((name) => ({
            name,
            newValue:
              traits[name] === undefined || traits[name] === null ? null : JSON.stringify(traits[name]),
          })),
        );
        return {
          states: new Map([[profileId, l.state]]),
          outputs: this.evaluated(l.state, plan, tenant, profileId, now),
        };
      },
      { unsent: true },
    );
  }

  /**
   * Events from ClickHouse history for a profile (a backfill): each counts into the signatures that
   * have not counted it yet, so live, redelivered and backfilled copies of an event count once.
   */
  async onHistory(
    tenant: string,
    profileId: string,
    events: { messageId: string; event: string; timestamp: number; properties: string }[],
    label: string,
  ): Promise<StepResult> {
    const { v } = await loadState(this.deps.redis, tenant, profileId);
    let target = profileId;
    return this.step(
      tenant,
      `b:${label}:${profileId}:${v}`,
      async (loaded) => [(target = await this.follow(tenant, profileId, loaded))],
      (loaded, plan, now) => {
        const { state } = loaded.get(target)!;
        let counted = false;
        for (const e of events) {
          const input = { ...e, properties: flattenProperties(e.properties) };
          counted = applyEvent(state, plan, input, now) || counted;
        }
        if (!counted) return null;
        return {
          states: new Map([[target, state]]),
          outputs: this.evaluated(state, plan, tenant, target, now),
        };
      },
      { unsent: true },
    );
  }

  /** Re-evaluates one profile whose window moved: the timer's step. */
  async onTime(tenant: string, profileId: string): Promise<StepResult> {
    const { v } = await loadState(this.deps.redis, tenant, profileId);
    return this.step(
      tenant,
      `t:${profileId}:${v}`,
      () => [profileId],
      (loaded, plan, now) => {
        const l = loaded.get(profileId)!;
        if (!l.stored || l.state.mergedInto !== undefined)
          return { states: new Map([[profileId, null]]), outputs: noOutputs() };
        return {
          states: new Map([[profileId, l.state]]),
          outputs: this.evaluated(l.state, plan, tenant, profileId, now),
        };
      },
      { unsent: true },
    );
  }

  /** Profiles whose next expiry is due at `now`. */
  async due(tenant: string, limit: number): Promise<string[]> {
    return this.deps.redis.zrangebyscore(expiryKey(tenant), '-inf', this.deps.now(), 'LIMIT', 0, limit);
  }

  /** A definition changed: re-evaluates every profile of the tenant the engine holds (engine-state backfill). */
  async reevaluateAll(
    tenant: string,
    label: string,
    progress?: (done: number) => void,
  ): Promise<StepResult[]> {
    const results: StepResult[] = [];
    let cursor = '0';
    let done = 0;
    do {
      const [next, keys] = await this.deps.redis.scan(cursor, 'MATCH', statePattern(tenant), 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        const profileId = profileIdOfStateKey(tenant, key);
        const { v } = await loadState(this.deps.redis, tenant, profileId);
        const r = await this.step(
          tenant,
          `d:${label}:${profileId}:${v}`,
          () => [profileId],
          (loaded, plan, now) => {
            const l = loaded.get(profileId)!;
            if (!l.stored || l.state.mergedInto !== undefined) return null;
            return {
              states: new Map([[profileId, l.state]]),
              outputs: this.evaluated(l.state, plan, tenant, profileId, now),
            };
          },
          { unsent: true },
        );
        if (r.inputId !== undefined) results.push(r);
        done += 1;
      }
      progress?.(done);
    } while (cursor !== '0');
    return results;
  }

  /** A deleted segment: every member exits (its records carry the last version of the definition). */
  async exitSegment(tenant: string, segmentId: string, segmentVersion: number): Promise<StepResult[]> {
    const results: StepResult[] = [];
    const members = await this.deps.redis.zrange(membersKey(tenant, segmentId), 0, -1);
    const plan: SegmentPlan = this.deps.planFor(tenant) ?? buildPlan([], []);
    for (const profileId of members) {
      const { v } = await loadState(this.deps.redis, tenant, profileId);
      const r = await this.step(
        tenant,
        `d:${segmentId}:${profileId}:${v}`,
        () => [profileId],
        (loaded, _plan, now) => {
          const { state } = loaded.get(profileId)!;
          const change = membershipChange(state, tenant, profileId, segmentId, segmentVersion, false, now);
          return {
            states: new Map([[profileId, state]]),
            outputs: { membership: change ? [change] : [], computed: [] },
          };
        },
        { unsent: true, plan },
      );
      if (r.inputId !== undefined) results.push(r);
    }
    return results;
  }
}
