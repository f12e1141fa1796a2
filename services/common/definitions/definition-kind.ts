// What a kind of definition is in code. Each kind (segment, computed_trait, destination, journey)
// registers one of these in kinds.ts; validation, the CLI and every service's follower are generic.
import type { z } from 'zod';

/** A JSON path inside one definition, e.g. ['condition', 'and', 2, 'value']. */
export type JsonPath = (string | number)[];

export interface DefinitionProblem {
  path: JsonPath;
  reason: string;
}

/** A definition this one needs: it cannot be published without it, nor that one deleted under it. */
export interface DefinitionRef {
  kind: string;
  id: string;
  path: JsonPath;
}

/** A stored definition: the validated body and its version. */
export interface StoredDefinition<T = unknown> {
  tenant: string;
  kind: string;
  id: string;
  version: number;
  body: T;
  updatedAt: number;
}

/** One tenant's definitions, as they would be after an apply: what set-level rules look at. */
export interface DefinitionSet {
  get(kind: string, id: string): StoredDefinition | undefined;
  list(kind: string): StoredDefinition[];
}

export interface DefinitionKind<T extends { kind: string; id: string } = { kind: string; id: string }> {
  /** The value of the body's `kind` field. */
  kind: string;
  /** The CLI group that manages it: `cdp <command> apply|list|delete`. */
  command: string;
  /** The whole body, `kind` and `id` included; its JSON Schema is published in docs/. */
  schema: z.ZodType<T>;
  /** Definitions this one refers to (checked to exist in the same tenant). */
  references?(body: T): DefinitionRef[];
  /** Rules over the whole set (e.g. no segment cycles); paths are inside `body`. */
  check?(body: T, set: DefinitionSet): DefinitionProblem[];
  /** A one-line summary for `list`. */
  summary?(body: T): string;
}
