// Every kind of definition the platform knows. A kind is added here with its module; the CLI's
// `apply|list|delete` and every service's DefinitionsFollower work for it with no other change.
import type { DefinitionKind } from './definition-kind';
import { destinationKind } from './kinds/destination';
import { journeyKind } from './kinds/journey';

export const DEFINITION_KINDS: readonly DefinitionKind[] = [
  destinationKind as unknown as DefinitionKind,
  journeyKind as unknown as DefinitionKind,
];

export function definitionKind(kind: string, kinds: readonly DefinitionKind[] = DEFINITION_KINDS) {
  return kinds.find((k) => k.kind === kind);
}
