// The language as `cdp segments apply` sees it: files refused whole, references checked, cycles refused.
import { DEFINITION_KINDS } from '../../../services/common/definitions/kinds';
import { validateDefinitionFiles } from '../../../services/common/definitions/validate-definitions';
import { stored } from '../../support/segment-fixtures';

const validate = (text: string, existing = [] as ReturnType<typeof stored>[]) =>
  validateDefinitionFiles([{ file: 'f.json', text }], existing, DEFINITION_KINDS);

test('the example of the issue is valid', () => {
  const { problems, definitions } = validate(
    JSON.stringify([
      {
        kind: 'computed_trait',
        id: 'lifetime_revenue',
        event: 'Order Completed',
        aggregate: 'sum',
        property: 'total',
      },
      {
        kind: 'segment',
        id: 'repeat-buyers',
        name: 'Repeat buyers in DE/AT',
        condition: {
          and: [
            { trait: 'country', op: 'in', value: ['DE', 'AT'] },
            { event: 'Order Completed', within_days: 30, count: { gte: 2 } },
            { computed: 'lifetime_revenue', op: 'gte', value: 100 },
            { not: { event: 'Subscription Cancelled', within_days: 30 } },
          ],
        },
      },
    ]),
  );
  expect(problems).toEqual([]);
  expect(definitions).toHaveLength(2);
});

test('one bad definition refuses the whole file, naming the JSON path', () => {
  const { problems, definitions } = validate(
    JSON.stringify([
      { kind: 'segment', id: 'ok', condition: { trait: 'a', op: 'exists' } },
      { kind: 'segment', id: 'bad', condition: { trait: 'a', op: 'in', value: 'x' } },
      { kind: 'computed_trait', id: 'avg', event: 'E', aggregate: 'avg' },
    ]),
  );
  expect(definitions).toEqual([]);
  expect(problems.map((p) => p.path)).toEqual(expect.arrayContaining(['$[2].property']));
  expect(problems.some((p) => p.path.startsWith('$[1].condition'))).toBe(true);
});

test('a missing computed trait is refused', () => {
  const { problems } = validate(
    JSON.stringify({ kind: 'segment', id: 's', condition: { computed: 'nope', op: 'gt', value: 1 } }),
  );
  expect(problems).toEqual([
    {
      file: 'f.json',
      path: '$.condition.computed',
      reason: "refers to computed_trait 'nope', which does not exist",
    },
  ]);
});

test('a segment cycle is refused, also through a stored segment', () => {
  const a = { kind: 'segment', id: 'a', condition: { segment: 'b' } };
  const { problems } = validate(JSON.stringify({ kind: 'segment', id: 'b', condition: { segment: 'a' } }), [
    stored('t', a),
  ]);
  expect(problems.map((p) => p.reason)).toEqual(['segment cycle: b -> a -> b']);
});
