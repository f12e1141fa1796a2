// A small kind of definition for the tests of the generic definitions code: a "widget" may use
// other widgets (references), and uses must not form a cycle (a set-level rule).
import { z } from 'zod';
import type {
  DefinitionKind,
  DefinitionProblem,
  DefinitionSet,
} from '../../services/common/definitions/definition-kind';

export const widgetSchema = z.strictObject({
  kind: z.literal('widget'),
  id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'id: lower-case letters, digits and dashes'),
  size: z.number().int().positive(),
  uses: z.array(z.string()).default([]),
});

export type Widget = z.infer<typeof widgetSchema>;

function cycleFrom(start: string, set: DefinitionSet): boolean {
  const seen = new Set<string>();
  const stack = [...((set.get('widget', start)?.body as Widget | undefined)?.uses ?? [])];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === start) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...((set.get('widget', id)?.body as Widget | undefined)?.uses ?? []));
  }
  return false;
}

export const widgetKind: DefinitionKind<Widget> = {
  kind: 'widget',
  command: 'widgets',
  schema: widgetSchema,
  references: (w) => w.uses.map((id, i) => ({ kind: 'widget', id, path: ['uses', i] })),
  check: (w, set): DefinitionProblem[] =>
    cycleFrom(w.id, set) ? [{ path: ['uses'], reason: `widget '${w.id}' uses itself through its uses` }] : [],
  summary: (w) => `size ${w.size}`,
};
