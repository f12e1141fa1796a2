// cdp.definitions.v1: the control plane. Compacted; the latest version per key, a tombstone deletes.
import { z } from 'zod';
import { TOPICS } from '../kafka/topics';
import { avroInt, defineStream, epochMillis } from './stream';

export const definitionRecordSchema = z.object({
  tenant: z.string(),
  /** A registered kind (services/common/definitions/kinds.ts). */
  kind: z.string(),
  id: z.string(),
  /** 1 for the first publication, +1 for every changed body. */
  version: avroInt,
  /** The validated definition as JSON text. */
  body: z.string(),
  updatedAt: epochMillis,
});

export type DefinitionRecord = z.infer<typeof definitionRecordSchema>;

export function definitionKey(tenant: string, kind: string, id: string): string {
  return `${tenant}:${kind}:${id}`;
}

export const definitions = defineStream({
  name: 'definitions',
  topic: TOPICS.definitions,
  record: definitionRecordSchema,
  key: (record) => definitionKey(record.tenant, record.kind, record.id),
});
