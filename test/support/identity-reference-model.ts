// Reference model of the identity graph: plain TypeScript, in memory, union-find (each identifier
// remembers the profile it first joined; `find` walks merged_into to the root) with the same rules
// as resolve-event-4.lua. The property test runs both on the same events and compares outcomes.
// It shares only the pure pieces with the product (event preparation and the trait-write rule);
// everything the Lua script does is written again here, the simple way.
import type { IdentityWarningCode, RefusedIdentifier } from '../../services/identity-resolver/identity-event';
import type {
  MergedAway,
  ProfileSnapshot,
  Tombstone,
  TraitChange,
} from '../../services/identity-resolver/identity-outcome';
import {
  compareTypePriority,
  limitFor,
  type IdentityRules,
} from '../../services/identity-resolver/identity-rules';
import type { ResolutionRequest } from '../../services/identity-resolver/prepare-resolution';
import {
  encodeTraitEntry,
  traitEntryWins,
  visibleTraitValue,
  type TraitEntry,
} from '../../services/identity-resolver/trait-operations';

interface ModelProfile {
  id: string;
  mergedInto: string | null;
  identifiers: string[];
  traits: Map<string, TraitEntry>;
  firstSeen: number;
  lastSeen: number;
  version: number;
  mergedFrom: string[];
}

export interface ModelOutcome {
  status: 'resolved' | 'replayed' | 'duplicate' | 'unresolved';
  profileId: string | null;
  version: number | null;
  created: boolean;
  changed: boolean;
  mergedFrom: string[];
  identifiersAdded: string[];
  identifiersRefused: RefusedIdentifier[];
  traitsChanged: TraitChange[];
  tombstones: Tombstone[];
  /** Code and subject (identifier, else trait) of each warning. */
  warningCodes: [IdentityWarningCode, string | null][];
  profile: ProfileSnapshot | null;
  /** replayed or duplicate: the profiles between the one applied to and today's, merged away since. */
  mergedSince: MergedAway[];
}

function typeOf(identifier: string): string {
  return identifier.slice(0, identifier.indexOf(':'));
}

/** What the trait caps count of one stored trait: bytes of the name and of the stored entry. */
function traitBytes(name: string, entry: TraitEntry): number {
  return Buffer.byteLength(name) + Buffer.byteLength(encodeTraitEntry(entry));
}

/** Byte order of the UTF-8 text, as the Lua script sorts. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function countByType(identifiers: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const identifier of identifiers)
    counts.set(typeOf(identifier), (counts.get(typeOf(identifier)) ?? 0) + 1);
  return counts;
}

export class IdentityReferenceModel {
  private readonly profiles = new Map<string, ModelProfile>();
  /** identifier -> the profile it first joined (not updated by merges: `find` resolves). */
  private readonly joined = new Map<string, string>();
  private readonly messages = new Map<string, string>();
  /** Outcomes of applied messages whose outputs are not acknowledged yet. */
  private readonly stored = new Map<string, Omit<ModelOutcome, 'status' | 'profile' | 'mergedSince'>>();

  constructor(private readonly rules: IdentityRules) {}

  find(profileId: string): ModelProfile | null {
    let profile = this.profiles.get(profileId) ?? null;
    while (profile !== null && profile.mergedInto !== null)
      profile = this.profiles.get(profile.mergedInto) ?? null;
    return profile;
  }

  lookup(identifier: string): ProfileSnapshot | null {
    const first = this.joined.get(identifier);
    const root = first === undefined ? null : this.find(first);
    return root === null ? null : this.snapshot(root);
  }

  profile(profileId: string): ProfileSnapshot | null {
    const root = this.find(profileId);
    return root === null ? null : this.snapshot(root);
  }

  profileIds(): string[] {
    return [...this.profiles.keys()];
  }

  /** The outputs of these messages were acknowledged: a redelivery is a plain duplicate. */
  acknowledge(messageIds: Iterable<string>): void {
    for (const messageId of messageIds) this.stored.delete(messageId);
  }

  /** The merged-away profiles from `profileId` to its live one, in merge order. */
  private mergedChain(profileId: string): MergedAway[] {
    const chain: MergedAway[] = [];
    let profile = this.profiles.get(profileId);
    while (profile !== undefined && profile.mergedInto !== null) {
      chain.push({ profileId: profile.id, version: profile.version });
      profile = this.profiles.get(profile.mergedInto);
    }
    return chain;
  }

  apply(request: ResolutionRequest): ModelOutcome {
    const rules = this.rules;
    const empty = {
      version: null,
      created: false,
      changed: false,
      mergedFrom: [],
      identifiersAdded: [],
      traitsChanged: [],
      tombstones: [],
      mergedSince: [],
    };
    if (request.identifiers.length === 0) {
      return {
        ...empty,
        status: 'unresolved',
        profileId: null,
        identifiersRefused: request.refused,
        warningCodes: request.warnings.map((w) => [w.code, w.identifier ?? w.trait ?? null]),
        profile: null,
      };
    }
    const kept = this.stored.get(request.messageId);
    if (kept !== undefined) {
      const root = this.find(kept.profileId!);
      return {
        ...kept,
        status: 'replayed',
        profile: root === null ? null : this.snapshot(root),
        mergedSince: this.mergedChain(kept.profileId!),
      };
    }
    const seen = this.messages.get(request.messageId);
    if (seen !== undefined) {
      const root = this.find(seen);
      return {
        ...empty,
        status: 'duplicate',
        profileId: root?.id ?? null,
        identifiersRefused: [],
        warningCodes: [],
        profile: root === null ? null : this.snapshot(root),
        mergedSince: this.mergedChain(seen),
      };
    }

    const refused: RefusedIdentifier[] = [...request.refused];
    const warningCodes: [IdentityWarningCode, string | null][] = request.warnings.map((w) => [
      w.code,
      w.identifier ?? w.trait ?? null,
    ]);
    // One warning per code for identifiers refused by the graph, naming the one when it is one.
    const summary = (code: IdentityWarningCode, items: string[]): void => {
      if (items.length > 0) warningCodes.push([code, items.length === 1 ? items[0]! : null]);
    };
    const rootOf = (identifier: string): ModelProfile | null => {
      const first = this.joined.get(identifier);
      return first === undefined ? null : this.find(first);
    };

    // Highest priority first, take each identifier unless linking it with those taken breaks a rule.
    const roots: ModelProfile[] = [];
    const fresh: string[] = [];
    const limited: string[] = [];
    for (const identifier of request.identifiers) {
      const root = rootOf(identifier);
      const nextRoots = root === null || roots.includes(root) ? roots : [...roots, root];
      const nextFresh = root === null ? [...fresh, identifier] : fresh;
      if (!this.linkable(nextRoots, nextFresh)) {
        limited.push(identifier);
        continue;
      }
      if (root === null) fresh.push(identifier);
      else if (!roots.includes(root)) roots.push(root);
    }
    for (const identifier of limited) refused.push({ identifier, reason: 'limit' });
    summary('limit', limited);

    const ts = request.timestampMs;
    let created = false;
    let changed = false;
    let target: ModelProfile;
    if (roots.length === 0) {
      target = {
        id: request.founderProfileId!,
        mergedInto: null,
        identifiers: [],
        traits: new Map(),
        firstSeen: ts,
        lastSeen: ts,
        version: 0,
        mergedFrom: [],
      };
      this.profiles.set(target.id, target);
      created = true;
      changed = true;
    } else {
      roots.sort((a, b) => this.survivorOrder(a, b));
      target = roots[0]!;
    }
    const traitsBefore = new Map(target.traits);

    const mergedFrom: string[] = [];
    const tombstones: Tombstone[] = [];
    const cappedTraits: string[] = [];
    if (roots.length > 1) {
      const losers = roots.slice(1);
      const merges = target.mergedFrom.length + losers.reduce((sum, p) => sum + 1 + p.mergedFrom.length, 0);
      const identifiers = roots.reduce((sum, p) => sum + p.identifiers.length, 0);
      if (merges > rules.maxMergesPerProfile) warningCodes.push(['merge_cap', null]);
      else if (identifiers > rules.maxIdentifiersPerProfile) warningCodes.push(['identifier_cap', null]);
      else {
        for (const loser of losers) {
          const moved = [...loser.identifiers].sort();
          target.identifiers.push(...loser.identifiers);
          for (const name of [...loser.traits.keys()].sort(byteOrder))
            this.writeTrait(target, name, loser.traits.get(name)!, cappedTraits);
          target.firstSeen = Math.min(target.firstSeen, loser.firstSeen);
          target.lastSeen = Math.max(target.lastSeen, loser.lastSeen);
          target.mergedFrom.push(loser.id, ...loser.mergedFrom);
          mergedFrom.push(loser.id);
          loser.mergedInto = target.id;
          loser.version += 1;
          loser.identifiers = [];
          loser.traits = new Map();
          loser.mergedFrom = [];
          tombstones.push({
            profileId: loser.id,
            mergedInto: target.id,
            version: loser.version,
            identifiersMoved: moved,
          });
        }
        changed = true;
      }
    }

    const added: string[] = [];
    const overCap: string[] = [];
    for (const identifier of fresh) {
      if (target.identifiers.length >= rules.maxIdentifiersPerProfile) {
        refused.push({ identifier, reason: 'identifier_cap' });
        overCap.push(identifier);
        continue;
      }
      target.identifiers.push(identifier);
      this.joined.set(identifier, target.id);
      added.push(identifier);
      changed = true;
    }
    summary('identifier_cap', overCap);

    for (const op of request.traitOperations) {
      const entry: TraitEntry =
        op.kind === 'unset' ? { kind: op.kind, ts } : { kind: op.kind, ts, value: op.value ?? 'null' };
      if (this.writeTrait(target, op.name, entry, cappedTraits)) changed = true;
    }
    summary('trait_cap', cappedTraits);
    if (ts < target.firstSeen || ts > target.lastSeen) changed = true;
    target.firstSeen = Math.min(target.firstSeen, ts);
    target.lastSeen = Math.max(target.lastSeen, ts);
    if (changed) target.version += 1;

    const traitsChanged: TraitChange[] = [];
    for (const name of new Set([...traitsBefore.keys(), ...target.traits.keys()])) {
      const oldValue = visibleTraitValue(traitsBefore.get(name)) ?? null;
      const newValue = visibleTraitValue(target.traits.get(name)) ?? null;
      if (oldValue !== newValue) traitsChanged.push({ name, oldValue, newValue });
    }
    traitsChanged.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

    this.messages.set(request.messageId, target.id);
    const outcome = {
      profileId: target.id,
      version: target.version,
      created,
      changed,
      mergedFrom,
      identifiersAdded: added,
      identifiersRefused: refused,
      traitsChanged,
      tombstones,
      warningCodes,
    };
    this.stored.set(request.messageId, outcome);
    return { ...outcome, status: 'resolved', profile: this.snapshot(target), mergedSince: [] };
  }

  /** No two profiles with a user_id, and no type over its limit unless it does not grow. */
  private linkable(roots: ModelProfile[], fresh: string[]): boolean {
    if (roots.filter((p) => p.identifiers.some((i) => typeOf(i) === 'user_id')).length > 1) return false;
    const union = countByType([...roots.flatMap((p) => p.identifiers), ...fresh]);
    for (const [type, count] of union) {
      const largest = Math.max(0, ...roots.map((p) => countByType(p.identifiers).get(type) ?? 0));
      if (count > limitFor(this.rules, type) && count > largest) return false;
    }
    return true;
  }

  private survivorOrder(a: ModelProfile, b: ModelProfile): number {
    const best = (p: ModelProfile): string | undefined =>
      [...new Set(p.identifiers.map(typeOf))].sort((x, y) => compareTypePriority(this.rules, x, y))[0];
    const ba = best(a);
    const bb = best(b);
    if (ba !== bb) {
      if (ba === undefined) return 1;
      if (bb === undefined) return -1;
      return compareTypePriority(this.rules, ba, bb);
    }
    if (a.firstSeen !== b.firstSeen) return a.firstSeen - b.firstSeen;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  }

  /** Last writer wins, within the trait caps: a write adding a trait past the count, or growing
   * the traits' bytes past the size cap, is refused (its name goes to `capped`). */
  private writeTrait(profile: ModelProfile, name: string, entry: TraitEntry, capped: string[]): boolean {
    const old = profile.traits.get(name);
    if (!traitEntryWins(old, entry)) return false;
    if (old === undefined && profile.traits.size >= this.rules.maxTraitsPerProfile) {
      capped.push(name);
      return false;
    }
    const grow = traitBytes(name, entry) - (old === undefined ? 0 : traitBytes(name, old));
    const bytes = [...profile.traits].reduce((sum, [n, e]) => sum + traitBytes(n, e), 0);
    if (grow > 0 && bytes + grow > this.rules.maxTraitBytesPerProfile) {
      capped.push(name);
      return false;
    }
    profile.traits.set(name, entry);
    return true;
  }

  private snapshot(p: ModelProfile): ProfileSnapshot {
    const names = [...p.traits.keys()].sort();
    const traits: Record<string, unknown> = {};
    const traitState: Record<string, TraitEntry> = {};
    for (const name of names) {
      const entry = p.traits.get(name)!;
      traitState[name] = entry;
      const visible = visibleTraitValue(entry);
      if (visible !== undefined) traits[name] = JSON.parse(visible) as unknown;
    }
    return {
      profileId: p.id,
      identifiers: [...p.identifiers].sort(),
      traits,
      traitState,
      version: p.version,
      firstSeen: new Date(p.firstSeen).toISOString(),
      lastSeen: new Date(p.lastSeen).toISOString(),
      mergedFrom: [...p.mergedFrom],
    };
  }
}
