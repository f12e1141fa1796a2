// kind `segment`: a named condition over a profile's traits, computed traits, events and other
// segments. The engine (services/segment-engine) keeps membership live; the SQL compiler recomputes it.
import { z } from 'zod';
import type {
  DefinitionKind,
  DefinitionProblem,
  DefinitionRef,
  DefinitionSet,
  JsonPath,
} from '../definition-kind';
import {
  computedCondition,
  countComparison,
  definitionId,
  eventFilter,
  propertyComparison,
  traitCondition,
} from './conditions';

export const EVENT_AGGREGATES = ['count', 'sum', 'avg', 'min', 'max'] as const;

export const eventCondition = z
  .strictObject({
    ...eventFilter,
    count: countComparison.optional(),
    sum: propertyComparison.optional(),
    avg: propertyComparison.optional(),
    min: propertyComparison.optional(),
    max: propertyComparison.optional(),
  })
  .refine((c) => EVENT_AGGREGATES.filter((a) => c[a] !== undefined).length <= 1, {
    message: 'an event condition takes at most one of count, sum, avg, min, max',
  });

export const segmentRefCondition = z.strictObject({ segment: definitionId });

export type EventCondition = z.infer<typeof eventCondition>;
export type Condition =
  | { and: Condition[] }
  | { or: Condition[] }
  | { not: Condition }
  | z.infer<typeof traitCondition>
  | z.infer<typeof computedCondition>
  | EventCondition
  | z.infer<typeof segmentRefCondition>;

export const condition: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ and: z.array(condition).min(1) }),
    z.strictObject({ or: z.array(condition).min(1) }),
    z.strictObject({ not: condition }),
    traitCondition,
    computedCondition,
    eventCondition,
    segmentRefCondition,
  ]),
);

export const segmentSchema = z.strictObject({
  kind: z.literal('segment'),
  id: definitionId,
  name: z.string().max(200).optional(),
  description: z.string().max(2000).optional(),
  condition,
});

export type SegmentDefinition = z.infer<typeof segmentSchema>;

/** Every sub-condition with its JSON path inside the definition. */
export function walkCondition(
  c: Condition,
  path: JsonPath,
  visit: (c: Condition, path: JsonPath) => void,
): void {
  visit(c, path);
  if ('and' in c) c.and.forEach((x, i) => walkCondition(x, [...path, 'and', i], visit));
  else if ('or' in c) c.or.forEach((x, i) => walkCondition(x, [...path, 'or', i], visit));
  else if ('not' in c) walkCondition(c.not, [...path, 'not'], visit);
}

export function segmentReferences(body: SegmentDefinition): DefinitionRef[] {
  const refs: DefinitionRef[] = [];
  walkCondition(body.condition, ['condition'], (c, path) => {
    if ('computed' in c) refs.push({ kind: 'computed_trait', id: c.computed, path: [...path, 'computed'] });
    if ('segment' in c) refs.push({ kind: 'segment', id: c.segment, path: [...path, 'segment'] });
  });
  return refs;
}

/** The segment ids reachable from `start` through segment conditions, `start` included if on a cycle. */
function cyclePath(start: string, set: DefinitionSet): string[] | null {
  const usedBy = (id: string): string[] => {
    const body = set.get('segment', id)?.body as SegmentDefinition | undefined;
    return body === undefined
      ? []
      : segmentReferences(body)
          .filter((r) => r.kind === 'segment')
          .map((r) => r.id);
  };
  const seen = new Set<string>();
  const search = (id: string, trail: string[]): string[] | null => {
    for (const next of usedBy(id)) {
      if (next === start) return [...trail, next];
      if (seen.has(next)) continue;
      seen.add(next);
      const found = search(next, [...trail, next]);
      if (found) return found;
    }
    return null;
  };
  return search(start, [start]);
}

export const segmentKind: DefinitionKind<SegmentDefinition> = {
  kind: 'segment',
  command: 'segments',
  schema: segmentSchema,
  references: segmentReferences,
  check: (body, set): DefinitionProblem[] => {
    const cycle = cyclePath(body.id, set);
    return cycle === null ? [] : [{ path: ['condition'], reason: `segment cycle: ${cycle.join(' -> ')}` }];
  },
  summary: (body) => body.name ?? '',
};
