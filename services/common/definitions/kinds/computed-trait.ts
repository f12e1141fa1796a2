// kind `computed_trait`: one aggregate over a profile's events of one name (optionally filtered and
// windowed). Segments compare it with `{ "computed": id, ... }`; the engine publishes its value.
import { z } from 'zod';
import type { DefinitionKind } from '../definition-kind';
import { definitionId, eventFilter } from './conditions';

export const TRAIT_AGGREGATES = [
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'first',
  'last',
  'unique_count',
  'most_frequent',
] as const;
export type TraitAggregate = (typeof TRAIT_AGGREGATES)[number];

export const computedTraitSchema = z
  .strictObject({
    kind: z.literal('computed_trait'),
    id: definitionId,
    name: z.string().max(200).optional(),
    ...eventFilter,
    aggregate: z.enum(TRAIT_AGGREGATES),
    /** The top-level event property aggregated; every aggregate but count needs one. */
    property: z.string().min(1).optional(),
  })
  .superRefine((t, ctx) => {
    if (t.aggregate !== 'count' && t.property === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['property'],
        message: `aggregate ${t.aggregate} needs a property`,
      });
    if (t.aggregate === 'count' && t.property !== undefined)
      ctx.addIssue({ code: 'custom', path: ['property'], message: 'aggregate count takes no property' });
  });

export type ComputedTraitDefinition = z.infer<typeof computedTraitSchema>;

export const computedTraitKind: DefinitionKind<ComputedTraitDefinition> = {
  kind: 'computed_trait',
  command: 'segments',
  schema: computedTraitSchema,
  summary: (t) =>
    `${t.aggregate}${t.property ? `(${t.property})` : ''} of ${t.event}${t.within_days ? ` in ${t.within_days}d` : ''}`,
};
