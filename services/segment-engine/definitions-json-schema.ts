// The JSON Schema of segment and computed_trait definitions, generated from the zod schemas;
// docs/segments.md holds a copy that a unit test keeps equal.
import { z } from 'zod';
import { computedTraitSchema } from '../common/definitions/kinds/computed-trait';
import { segmentSchema } from '../common/definitions/kinds/segment';

export function definitionsJsonSchema(): string {
  const schema = z.toJSONSchema(z.union([segmentSchema, computedTraitSchema]), { unrepresentable: 'any' });
  return JSON.stringify(schema, null, 2);
}
