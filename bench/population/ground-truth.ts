// Who each identifier really belongs to, built while the population is generated: per person, a
// union-find over identifiers seen together in one event (what any resolver could link at best);
// shared identifiers (household emails, kiosk ids) only collect the people who used them.
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

export type TruthEntry = { id: string; person: string; component: string } | { id: string; shared: string[] };

export interface TruthSummary {
  people: number;
  identifiers: number;
  sharedIdentifiers: number;
  junkOnlyEvents: number;
  duplicates: number;
  expectedUniqueMessageIds: number;
}

export class GroundTruth {
  private readonly node = new Map<string, number>();
  private readonly parent: number[] = [];
  private readonly owner: string[] = [];
  private readonly shared = new Map<string, Set<string>>();

  /** Shared identifiers are known before any event: they must never join two ids of one person. */
  declareShared(id: string): void {
    if (this.node.has(id))
      throw new Error(`cannot declare ${id} shared: already owned by ${this.ownerOf(id)}`);
    if (!this.shared.has(id)) this.shared.set(id, new Set());
  }

  /** Records the canonical identifiers of one event of `person`. */
  observe(person: string, ids: readonly string[]): void {
    let first: number | undefined;
    for (const id of ids) {
      const sharers = this.shared.get(id);
      if (sharers !== undefined) {
        sharers.add(person);
        continue;
      }
      let index = this.node.get(id);
      if (index === undefined) {
        index = this.parent.length;
        this.node.set(id, index);
        this.parent.push(index);
        this.owner.push(person);
      } else if (this.owner[index] !== person) {
        throw new Error(`identifier ${id} of ${this.owner[index]} also sent by ${person}`);
      }
      if (first === undefined) first = index;
      else this.union(first, index);
    }
  }

  ownerOf(id: string): string | undefined {
    const index = this.node.get(id);
    return index === undefined ? undefined : this.owner[index];
  }

  isShared(id: string): boolean {
    return this.shared.has(id);
  }

  sameComponent(a: string, b: string): boolean {
    const ia = this.node.get(a);
    const ib = this.node.get(b);
    return ia !== undefined && ib !== undefined && this.find(ia) === this.find(ib);
  }

  get identifierCount(): number {
    return this.node.size + this.shared.size;
  }

  get sharedCount(): number {
    return this.shared.size;
  }

  /**
   * Person identifiers first, in order of first sight; components numbered per person in the same
   * order (`p17#0` holds the person's first identifier).
   */
  *entries(): Generator<TruthEntry> {
    const labels = new Map<number, string>();
    const perPerson = new Map<string, number>();
    for (const [id, index] of this.node) {
      const root = this.find(index);
      const person = this.owner[index] as string;
      let component = labels.get(root);
      if (component === undefined) {
        const next = perPerson.get(person) ?? 0;
        perPerson.set(person, next + 1);
        component = `${person}#${next}`;
        labels.set(root, component);
      }
      yield { id, person, component };
    }
    for (const [id, people] of this.shared) yield { id, shared: [...people].sort() };
  }

  private find(index: number): number {
    let root = index;
    while (this.parent[root] !== root) root = this.parent[root] as number;
    // Path compression keeps later finds near O(1) on millions of identifiers.
    let at = index;
    while (this.parent[at] !== root) {
      const next = this.parent[at] as number;
      this.parent[at] = root;
      at = next;
    }
    return root;
  }

  private union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

/** Streams the truth as NDJSON, one identifier a line, waiting on the disk rather than buffering. */
export async function writeTruth(path: string, entries: Iterable<TruthEntry>): Promise<number> {
  const out = createWriteStream(path, { encoding: 'utf8' });
  let lines = 0;
  let chunk = '';
  try {
    for (const entry of entries) {
      chunk += `${JSON.stringify(entry)}\n`;
      lines++;
      if (chunk.length >= 1 << 16) {
        if (!out.write(chunk)) await once(out, 'drain');
        chunk = '';
      }
    }
    out.end(chunk);
    await once(out, 'finish');
  } catch (error) {
    out.destroy();
    throw error;
  }
  return lines;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

export function parseTruthLine(line: string, where = 'truth'): TruthEntry {
  const value: unknown = JSON.parse(line);
  if (typeof value === 'object' && value !== null && 'id' in value && typeof value.id === 'string') {
    if ('shared' in value && isStringArray(value.shared)) return { id: value.id, shared: value.shared };
    if (
      'person' in value &&
      typeof value.person === 'string' &&
      'component' in value &&
      typeof value.component === 'string'
    ) {
      return { id: value.id, person: value.person, component: value.component };
    }
  }
  throw new Error(`${where}: not a truth entry: ${line.slice(0, 200)}`);
}

export async function* readTruth(path: string): AsyncGenerator<TruthEntry> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() !== '') yield parseTruthLine(line, `${path}:${number}`);
  }
}
