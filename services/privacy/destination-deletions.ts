// The destinations step of a delete or suppress: every destination of the tenant that declares
// `supports_deletion` gets one deletion call for the subject (activation's deleteSubject), and its
// answer becomes a store row of the receipt, `destination:<id>`: removed 1 when it answered 2xx (or
// the Kafka destination took the record), else 0, with the answer in the note. A retryable answer
// (5xx, 408, 429, timeout, connection error) is tried again within the request, a few times with
// backoff; what still fails, or is refused (other 4xx), is recorded as failed and fails the receipt.
// Each answer is recorded in the request's progress as soon as it is final, so a restart never
// calls a destination again that already answered; a call in flight when the process died is
// repeated with the same id (deletionCall's id derives from the request id).
import type { Destination } from '../common/definitions/kinds/destination';
import type { PrivacyStoreResult } from '../common/streams/privacy-receipts';
import { retryDelayMs, type BackoffSettings } from '../activation/backoff';
import type { DeletionSubject } from '../activation/delete-subject';
import type { Answer } from '../activation/transports';
import type { RequestProgress } from './request-progress';
import type { Subject } from './subject';

export interface DestinationRetry {
  /** Calls per destination, the first included. */
  attempts: number;
  backoff: BackoffSettings;
}

/** 4 calls over about 1 + 2 + 4 s (with jitter): the request waits, other requests wait behind it. */
export const DEFAULT_DESTINATION_RETRY: DestinationRetry = {
  attempts: 4,
  backoff: { initialMs: 1000, maxMs: 10_000 },
};

export interface DestinationDeletionDeps {
  /** The tenant's destinations as currently defined (the definitions follower's view). */
  destinations(tenant: string): readonly Destination[];
  /** One deletion call (activation's deleteSubject with the service's codec and producer). */
  callDestination(destination: Destination, subject: DeletionSubject): Promise<Answer>;
  destinationRetry?: DestinationRetry;
  sleep?: (ms: number) => Promise<void>;
}

export const DESTINATION_STORE_PREFIX = 'destination:';

export const destinationStore = (destinationId: string) => `${DESTINATION_STORE_PREFIX}${destinationId}`;

/** A destination row that did not confirm the deletion (the receipt fails on it). */
export function isUnconfirmedDestination(result: PrivacyStoreResult): boolean {
  return result.store.startsWith(DESTINATION_STORE_PREFIX) && result.removed === 0;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Calls one destination until it answers for good or the attempts are spent. */
async function callWithRetries(
  deps: DestinationDeletionDeps,
  destination: Destination,
  subject: DeletionSubject,
): Promise<PrivacyStoreResult> {
  const retry = deps.destinationRetry ?? DEFAULT_DESTINATION_RETRY;
  const sleep = deps.sleep ?? sleepFor;
  let answer: Answer = { kind: 'retry', status: 0, answer: 'not called' };
  let attempt = 0;
  while (attempt < retry.attempts) {
    attempt += 1;
    answer = await deps.callDestination(destination, subject);
    if (answer.kind !== 'retry') break;
    if (attempt < retry.attempts) await sleep(retryDelayMs(attempt, answer.retryAfterMs, retry.backoff));
  }
  const tries = `${attempt} attempt${attempt === 1 ? '' : 's'}`;
  const note =
    answer.kind === 'delivered'
      ? `deletion accepted: ${answer.answer}`
      : answer.kind === 'refused'
        ? `deletion refused: ${answer.answer}`
        : `deletion not confirmed after ${tries}: ${answer.answer}`;
  return {
    store: destinationStore(destination.id),
    removed: answer.kind === 'delivered' ? 1 : 0,
    // What a destination keeps cannot be counted from here: its answer is the evidence.
    remaining: null,
    expiresAt: null,
    note,
  };
}

/** One row per destination declaring supports_deletion, in id order. */
export async function deleteAtDestinations(
  deps: DestinationDeletionDeps,
  progress: Pick<RequestProgress, 'requestId' | 'step' | 'saveStep'>,
  subject: Subject,
): Promise<PrivacyStoreResult[]> {
  const results: PrivacyStoreResult[] = [];
  const targets = deps
    .destinations(subject.tenant)
    .filter((d) => d.supports_deletion)
    .sort((a, b) => a.id.localeCompare(b.id));
  for (const destination of targets) {
    let done = progress.step(destinationStore(destination.id));
    if (done === undefined) {
      done = await callWithRetries(deps, destination, {
        tenant: subject.tenant,
        profileId: subject.profileId,
        identifiers: [...subject.identifiers],
        requestId: progress.requestId,
      });
      await progress.saveStep(done);
    }
    results.push(done);
  }
  return results;
}
