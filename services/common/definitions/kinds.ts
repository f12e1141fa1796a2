// Every kind of definition the platform knows. A kind is added here with its module; the CLI's
// `apply|list|delete` and every service's DefinitionsFollower work for it with no other change.
import type { DefinitionKind } from './definition-kind';
import { computedTraitKind } from './kinds/computed-trait';
import { segmentKind } from './kinds/segment';

export const DEFINITION_KINDS: readonly DefinitionKind[] = [
  segmentKind as unknown as DefinitionKind,
  computedTraitKind as unknown as DefinitionKind,
];

export function definitionKind(kind: string, kinds: readonly DefinitionKind[] = DEFINITION_KINDS) {
  return kinds.find((k) => k.kind === kind);
}
