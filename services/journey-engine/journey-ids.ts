// Deterministic ids: the same input on the same state always yields the same ids, so a redelivery
// or a retried transition re-sends records a consumer recognises.
import { createHash } from 'node:crypto';

function digest(parts: readonly (string | number)[], length: number): string {
  return createHash('sha1').update(parts.join('\u0000')).digest('hex').slice(0, length);
}

export function instanceId(tenant: string, journeyId: string, profileId: string, inputId: string): string {
  return digest([tenant, journeyId, profileId, inputId], 16);
}

/** The delivery idempotency id: one per (journey, version, instance, step); a step runs once. */
export function actionId(journeyId: string, version: number, instance: string, stepId: string): string {
  return `${journeyId}:${version}:${instance}:${stepId}`;
}

export function stepLogId(instance: string, seq: number, what: string): string {
  return digest([instance, seq, what], 24);
}
