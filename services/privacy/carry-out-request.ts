// Carries out one privacy request, step by step, recording each step's result in Redis
// (request-progress.ts) so a restart resumes and the receipt reports the first run's counts.
// delete:     hold the subject's identifiers (suppression while erasing) -> every personal state
//             store -> tombstones on the compacted profile topic -> every personal-data ClickHouse
//             table (mutation, wait, count again; with the other requests in hand, one mutation
//             per table: clickhouse-erasure.ts) -> a deletion call to every destination that
//             declares supports_deletion (destination-deletions.ts) -> topics that cannot delete
//             single records, with their horizon -> release the hold -> receipt
// suppress:   the same, with a suppression that stays until unsuppress
// unsuppress: lifts the suppression of the subject the identifier belonged to
// access:     the JSON document of everything held on the subject, written to the export directory
import { createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import type { ClickHouseClient } from '../common/clickhouse/clickhouse-client';
import type { MessageSender } from '../common/kafka/producer';
import type { PersonalStateStore } from '../common/privacy/personal-state';
import type { SuppressionList } from '../common/privacy/suppression';
import type { Redis } from '../common/redis/redis-client';
import type { PrivacyReceiptRecord, PrivacyStoreResult } from '../common/streams/privacy-receipts';
import type { PrivacyRequestRecord } from '../common/streams/privacy-requests';
import { normalizeIdentifier } from '../identity-resolver/extract-identifiers';
import type { IdentityRules } from '../identity-resolver/identity-rules';
import { writeAccessDocument } from './access-export';
import type { ClickHouseEraser } from './clickhouse-erasure';
import {
  deleteAtDestinations,
  isUnconfirmedDestination,
  type DestinationDeletionDeps,
} from './destination-deletions';
import type { PersonalDataTable } from './personal-data-tables';
import { RequestProgress } from './request-progress';
import { findSubject, type Subject, type SubjectName, type SubjectSources } from './subject';
import { expiryOf, type TopicHorizon } from './topic-horizons';

export interface PrivacyDeps extends SubjectSources, DestinationDeletionDeps {
  redis: Redis;
  clickhouse: ClickHouseClient;
  database: string;
  /** Erases the personal-data tables, the requests handled at the same time together. */
  eraser: ClickHouseEraser;
  suppression: SuppressionList;
  stores: readonly PersonalStateStore[];
  tables: readonly PersonalDataTable[];
  /** Sends the profile tombstones (durably, before the step is recorded). */
  producer: MessageSender;
  profilesTopic: string;
  /** Horizons of the topics that hold copies and cannot delete single records (read at start-up). */
  horizons: () => Promise<readonly TopicHorizon[]>;
  rulesFor(tenant: string): IdentityRules | undefined;
  exportDir: string;
  now?: () => number;
}

export function receiptIdOf(requestId: string): string {
  return `receipt:${requestId}`;
}

type Outcome = Pick<
  PrivacyReceiptRecord,
  'status' | 'detail' | 'stores' | 'profileIds' | 'identifiers' | 'exportPath'
>;

const result = (
  store: string,
  removed: number,
  remaining: number | null,
  extra: Partial<PrivacyStoreResult> = {},
): PrivacyStoreResult => ({ store, removed, remaining, expiresAt: null, note: null, ...extra });

/** The request's subject name, normalized under the tenant's rules; a string is the reason it is bad. */
function subjectNameOf(request: PrivacyRequestRecord, rules: IdentityRules): SubjectName | string {
  if (request.identifier !== null) {
    const normalized = normalizeIdentifier(request.identifier, rules);
    return normalized.ok
      ? { identifier: normalized.identifier }
      : `identifier ${JSON.stringify(request.identifier)}: ${normalized.reason}`;
  }
  if (request.profileId !== null && request.profileId !== '') return { profileId: request.profileId };
  return 'the request names neither an identifier nor a profileId';
}

/** Resolves the subject once per request (recorded), blocking its identifiers as soon as they are known. */
async function subjectOf(
  deps: PrivacyDeps,
  progress: RequestProgress,
  request: PrivacyRequestRecord,
  name: SubjectName,
  block: ((identifiers: readonly string[]) => Promise<void>) | null,
): Promise<Subject | null> {
  const saved = progress.subject();
  if (saved !== undefined) return saved;
  // Block the named identifier before looking: an event in flight cannot add to what we find.
  if (block !== null && 'identifier' in name) await block([name.identifier]);
  const found = await findSubject(deps, request.tenant, name);
  if (found !== null && block !== null) {
    await block(found.identifiers);
    // A merge between the look-up and the block may have joined more: look once more, block those.
    const again = await findSubject(deps, request.tenant, { profileId: found.profileId });
    if (again !== null) {
      const added = again.identifiers.filter((i) => !found.identifiers.includes(i));
      await block(added);
      found.identifiers = [...new Set([...found.identifiers, ...again.identifiers])].sort();
      found.profileIds = [...new Set([...found.profileIds, ...again.profileIds])];
    }
  }
  await progress.saveSubject(found);
  return found;
}

async function erase(
  deps: PrivacyDeps,
  progress: RequestProgress,
  subject: Subject,
): Promise<PrivacyStoreResult[]> {
  const { tenant, profileIds, identifiers } = subject;
  const now = deps.now ?? Date.now;
  const results: PrivacyStoreResult[] = [];
  for (const store of deps.stores) {
    let done = progress.step(store.name);
    if (done === undefined) {
      const { removed } = await store.remove(tenant, profileIds, identifiers);
      done = result(store.name, removed, await store.count(tenant, profileIds, identifiers));
      await progress.saveStep(done);
    }
    results.push(done);
  }
  const tombstones = `kafka:${deps.profilesTopic}`;
  let tomb = progress.step(tombstones);
  if (tomb === undefined) {
    await deps.producer.send(profileIds.map((id) => ({ topic: deps.profilesTopic, key: id, value: null })));
    const compacted = (await deps.horizons()).find((h) => h.topic === deps.profilesTopic);
    tomb = result(tombstones, profileIds.length, null, {
      expiresAt: compacted === undefined ? null : now() + compacted.segmentMs,
      note: 'tombstones written for every profile id; compaction drops the older snapshots once their segment closes',
    });
    await progress.saveStep(tomb);
  }
  results.push(tomb);
  for (const table of deps.tables) {
    const name = `clickhouse:${table.table}`;
    let done = progress.step(name);
    if (done === undefined) {
      const erased = await deps.eraser.erase({
        table,
        subject,
        before: progress.before(name),
        // Recorded before the mutation: a restart after it still reports what it removed.
        recordBefore: (rows) => progress.saveBefore(name, rows),
      });
      done = result(name, erased.removed, erased.remaining);
      await progress.saveStep(done);
    }
    results.push(done);
  }
  results.push(...(await deleteAtDestinations(deps, progress, subject)));
  for (const h of await deps.horizons()) {
    if (h.topic === deps.profilesTopic) continue;
    const name = `kafka:${h.topic}`;
    let done = progress.step(name);
    if (done === undefined) {
      const expiresAt = expiryOf(h, now());
      done = result(name, 0, null, {
        expiresAt,
        note:
          expiresAt === null
            ? 'kept for ever: no single-record delete'
            : 'copies expire with retention (no single-record delete)',
      });
      await progress.saveStep(done);
    }
    results.push(done);
  }
  return results;
}

async function exportAccess(deps: PrivacyDeps, request: PrivacyRequestRecord, subject: Subject) {
  const dir = path.join(deps.exportDir, request.tenant);
  await mkdir(dir, { recursive: true });
  const target = path.join(dir, `${request.requestId.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
  const partial = `${target}.partial`;
  const out = createWriteStream(partial);
  const counts = await writeAccessDocument(
    deps,
    { requestId: request.requestId, generatedAt: new Date((deps.now ?? Date.now)()).toISOString() },
    subject,
    out,
  );
  out.end();
  await finished(out);
  // Renamed only when complete: a restart re-writes it, a reader never sees half a document.
  await rename(partial, target);
  return { target, counts };
}

async function outcomeOf(
  deps: PrivacyDeps,
  progress: RequestProgress,
  request: PrivacyRequestRecord,
): Promise<Outcome> {
  const rules = deps.rulesFor(request.tenant);
  const base: Outcome = {
    status: 'completed',
    detail: null,
    stores: [],
    profileIds: [],
    identifiers: [],
    exportPath: null,
  };
  if (rules === undefined)
    return { ...base, status: 'failed', detail: `tenant '${request.tenant}' is not in the tenants file` };
  const name = subjectNameOf(request, rules);
  if (typeof name === 'string') return { ...base, status: 'failed', detail: name };
  const { tenant, requestId } = request;

  if (request.action === 'unsuppress') {
    if (!('identifier' in name))
      return { ...base, status: 'failed', detail: 'unsuppress names an identifier' };
    let done = progress.step('redis:suppression-list');
    if (done === undefined) {
      done = result('redis:suppression-list', await deps.suppression.unsuppress(tenant, name.identifier), 0);
      await progress.saveStep(done);
    }
    return done.removed === 0
      ? { ...base, status: 'not_found', detail: 'the identifier was not suppressed', stores: [done] }
      : { ...base, stores: [done], identifiers: [name.identifier] };
  }

  const block =
    request.action === 'suppress'
      ? (ids: readonly string[]) => deps.suppression.suppress(tenant, ids, requestId)
      : request.action === 'delete'
        ? (ids: readonly string[]) => deps.suppression.holdDuringErasure(tenant, ids, requestId)
        : null;
  const subject = await subjectOf(deps, progress, request, name, block);
  if (subject === null) {
    if (request.action === 'delete' && 'identifier' in name)
      await deps.suppression.releaseErasure(tenant, [name.identifier]);
    const detail =
      request.action === 'suppress'
        ? 'no data held on this identifier; it is suppressed nonetheless'
        : 'no profile holds this identifier in this tenant';
    return { ...base, status: 'not_found', detail };
  }
  const who = { profileIds: [...subject.profileIds], identifiers: [...subject.identifiers] };

  if (request.action === 'access') {
    const { target, counts } = await exportAccess(deps, request, subject);
    const stores = Object.entries(counts).map(([store, n]) => result(store, n, n));
    return { ...base, ...who, stores, exportPath: target };
  }

  const stores = await erase(deps, progress, subject);
  if (request.action === 'delete') await deps.suppression.releaseErasure(tenant, subject.identifiers);
  if (request.action === 'suppress')
    stores.unshift(
      result('redis:suppression-list', 0, null, {
        note: `${subject.identifiers.length} identifiers suppressed`,
      }),
    );
  const left = stores.filter((s) => s.remaining !== null && s.remaining > 0);
  const unconfirmed = stores.filter(isUnconfirmedDestination);
  const problems = [
    ...(left.length > 0
      ? [`rows remain in ${left.map((s) => s.store).join(', ')}; the request may be retried`]
      : []),
    ...(unconfirmed.length > 0
      ? [`${unconfirmed.map((s) => s.store).join(', ')} did not confirm the deletion`]
      : []),
  ];
  if (problems.length > 0) return { ...base, ...who, stores, status: 'failed', detail: problems.join('; ') };
  return { ...base, ...who, stores };
}

/**
 * The receipt of a request: built once, recorded, and re-sent unchanged if the request comes again
 * before its receipt was acknowledged. null: the receipt was already acknowledged.
 */
export async function carryOutRequest(
  deps: PrivacyDeps,
  request: PrivacyRequestRecord,
): Promise<PrivacyReceiptRecord | null> {
  const receiptOf = (outcome: Outcome): PrivacyReceiptRecord => ({
    requestId: request.requestId,
    tenant: request.tenant,
    action: request.action,
    component: 'privacy',
    receiptId: receiptIdOf(request.requestId),
    ...outcome,
    completedAt: (deps.now ?? Date.now)(),
  });
  // An unknown tenant has no keys to record progress under (and may not even be a valid id).
  if (deps.rulesFor(request.tenant) === undefined)
    return receiptOf({
      status: 'failed',
      detail: `tenant '${request.tenant}' is not in the tenants file`,
      stores: [],
      profileIds: [],
      identifiers: [],
      exportPath: null,
    });
  if (await RequestProgress.isDone(deps.redis, request.tenant, request.requestId)) return null;
  const progress = await RequestProgress.load(deps.redis, request.tenant, request.requestId);
  const recorded = progress.receipt();
  if (recorded !== undefined) return recorded;
  const receipt = receiptOf(await outcomeOf(deps, progress, request));
  await progress.saveReceipt(receipt);
  return receipt;
}
