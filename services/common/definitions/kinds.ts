// Every kind of definition the platform knows. A kind is added here with its module; the CLI's
// `apply|list|delete` and every service's DefinitionsFollower work for it with no other change.
import type { DefinitionKind } from './definition-kind';
import { computedTraitKind } from './kinds/computed-trait';
import { destinationKind } from './kinds/destination';
import { journeyKind } from './kinds/journey';
import { segmentKind } from './kinds/segment';

export const DEFINITION_KINDS: readonly DefinitionKind[] = [
  segmentKind as unknown as DefinitionKind,
  computedTraitKind as unknown as DefinitionKind,
  destinationKind as unknown as DefinitionKind,
  journeyKind as unknown as DefinitionKind,
];

export function definitionKind(kind: string, kinds: readonly DefinitionKind[] = DEFINITION_KINDS) {
  return kinds.find((k) => k.kind === kind);
}
