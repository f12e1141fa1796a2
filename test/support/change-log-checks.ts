// What the crash test checks on the resolver's change log, as plain functions over records read back
// from Kafka. The version rule comes from lua/resolve-event-4.lua: a profile is created at version
// 1; every change of a profile (the only thing that bumps its version) is one change record with the
// new version; a merged-away profile gets one more version with its forwarding pointer and no change
// record. So a live profile's change versions are exactly 1..v, a loser's exactly 1..v-1 (v in Redis).

export interface ChangeRecord {
  profileId: string;
  version: number;
  /** The record's bytes as written: a re-sent change must be identical. */
  bytes: Buffer;
}

export interface ChangeLog {
  /** Distinct versions per profile, ascending. */
  versions: Map<string, number[]>;
  /** Records that repeat a (profileId, version) already seen. */
  resent: number;
  /** Repeats whose bytes differ from the first record of that version. */
  differing: string[];
}

export function readChangeLog(records: ChangeRecord[]): ChangeLog {
  const first = new Map<string, Buffer>();
  const versions = new Map<string, number[]>();
  const differing: string[] = [];
  let resent = 0;
  for (const r of records) {
    const id = `${r.profileId}:${r.version}`;
    const seen = first.get(id);
    if (seen) {
      resent++;
      if (!seen.equals(r.bytes)) differing.push(id);
      continue;
    }
    first.set(id, r.bytes);
    const list = versions.get(r.profileId);
    if (list) list.push(r.version);
    else versions.set(r.profileId, [r.version]);
  }
  for (const list of versions.values()) list.sort((a, b) => a - b);
  return { versions, resent, differing };
}

/** What Redis holds for one profile: its version and, when merged away, where it points. */
export interface StoredProfile {
  version: number;
  mergedInto: string | null;
}

/**
 * Profiles whose change versions are not exactly what Redis says they must be (see the rule above),
 * with what was found: a gap, a missing tail, or changes of a profile Redis does not know.
 */
export function changeVersionProblems(log: ChangeLog, stored: Map<string, StoredProfile>): string[] {
  const problems: string[] = [];
  for (const [profileId, profile] of stored) {
    const expectedMax = profile.mergedInto === null ? profile.version : profile.version - 1;
    const found = log.versions.get(profileId) ?? [];
    const exact = found.length === expectedMax && found.every((v, i) => v === i + 1);
    if (!exact) {
      problems.push(
        `${profileId}: change versions [${compact(found)}], expected 1..${expectedMax}${profile.mergedInto ? ' (merged away)' : ''}`,
      );
    }
  }
  for (const profileId of log.versions.keys()) {
    if (!stored.has(profileId)) problems.push(`${profileId}: changes for a profile Redis does not hold`);
  }
  return problems;
}

/** 1,2,3,5,6 -> "1-3,5-6": a gap reads at a glance. */
function compact(sorted: number[]): string {
  const parts: string[] = [];
  let start = sorted[0];
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i] as number;
    const next = sorted[i + 1];
    if (next !== v + 1) {
      parts.push(start === v ? String(v) : `${start}-${v}`);
      start = next;
    }
  }
  return parts.join(',');
}
