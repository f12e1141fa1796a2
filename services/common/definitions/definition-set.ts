// One tenant's definitions in memory: what is stored, with pending changes laid over it.
import type { DefinitionSet, StoredDefinition } from './definition-kind';

export function setKey(kind: string, id: string): string {
  return `${kind}:${id}`;
}

export class MemoryDefinitionSet implements DefinitionSet {
  private readonly byKey = new Map<string, StoredDefinition>();

  constructor(definitions: Iterable<StoredDefinition> = []) {
    for (const d of definitions) this.put(d);
  }

  put(definition: StoredDefinition): void {
    this.byKey.set(setKey(definition.kind, definition.id), definition);
  }

  remove(kind: string, id: string): void {
    this.byKey.delete(setKey(kind, id));
  }

  get(kind: string, id: string): StoredDefinition | undefined {
    return this.byKey.get(setKey(kind, id));
  }

  list(kind: string): StoredDefinition[] {
    return [...this.byKey.values()].filter((d) => d.kind === kind).sort((a, b) => a.id.localeCompare(b.id));
  }

  all(): StoredDefinition[] {
    return [...this.byKey.values()];
  }
}
