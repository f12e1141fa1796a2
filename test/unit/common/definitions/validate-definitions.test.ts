import type { StoredDefinition } from '../../../../services/common/definitions/definition-kind';
import {
  jsonPath,
  referrersOf,
  sameBody,
  validateDefinitionFiles,
} from '../../../../services/common/definitions/validate-definitions';
import { widgetKind } from '../../../support/toy-definition-kind';

const kinds = [widgetKind];
const stored = (id: string, body: Record<string, unknown>, version = 1): StoredDefinition => ({
  tenant: 't',
  kind: 'widget',
  id,
  version,
  body: { kind: 'widget', id, uses: [], ...body },
  updatedAt: 0,
});

describe('validateDefinitionFiles', () => {
  it('accepts one definition or an array of them', () => {
    const { definitions, problems } = validateDefinitionFiles(
      [
        { file: 'a.json', text: '{"kind":"widget","id":"a","size":1}' },
        { file: 'b.json', text: '[{"kind":"widget","id":"b","size":2,"uses":["a"]}]' },
      ],
      [],
      kinds,
    );
    expect(problems).toEqual([]);
    expect(definitions.map((d) => [d.id, d.at])).toEqual([
      ['a', '$'],
      ['b', '$[0]'],
    ]);
  });

  it('refuses the whole apply and names file, JSON path and reason for each problem', () => {
    const { definitions, problems } = validateDefinitionFiles(
      [
        { file: 'good.json', text: '{"kind":"widget","id":"a","size":1}' },
        { file: 'bad.json', text: '[{"kind":"widget","id":"b","size":-2}, {"kind":"gadget","id":"c"}]' },
        { file: 'broken.json', text: '{"kind":' },
      ],
      [],
      kinds,
    );
    expect(definitions).toEqual([]);
    expect(problems.map((p) => `${p.file} ${p.path}`)).toEqual([
      'bad.json $[0].size',
      'bad.json $[1].kind',
      'broken.json $',
    ]);
    expect(problems[1]!.reason).toContain('kind must be one of widget');
    expect(problems[2]!.reason).toContain('not valid JSON');
  });

  it('refuses a reference to a definition that does not exist, and accepts one stored or in the same apply', () => {
    const missing = validateDefinitionFiles(
      [{ file: 'x.json', text: '{"kind":"widget","id":"x","size":1,"uses":["nope"]}' }],
      [],
      kinds,
    );
    expect(missing.problems).toEqual([
      { file: 'x.json', path: '$.uses[0]', reason: "refers to widget 'nope', which does not exist" },
    ]);
    const present = validateDefinitionFiles(
      [{ file: 'x.json', text: '{"kind":"widget","id":"x","size":1,"uses":["old"]}' }],
      [stored('old', { size: 3 })],
      kinds,
    );
    expect(present.problems).toEqual([]);
  });

  it('runs the set-level rules on the set as it would be after the apply (a cycle through a stored one)', () => {
    const { problems } = validateDefinitionFiles(
      [{ file: 'a.json', text: '[{"kind":"widget","id":"a","size":1,"uses":["b"]}]' }],
      [stored('b', { size: 1, uses: ['a'] }), stored('a', { size: 1 })],
      kinds,
    );
    expect(problems).toEqual([
      { file: 'a.json', path: '$[0].uses', reason: "widget 'a' uses itself through its uses" },
    ]);
  });

  it('refuses the same definition twice in one apply', () => {
    const { problems } = validateDefinitionFiles(
      [
        { file: 'a.json', text: '{"kind":"widget","id":"a","size":1}' },
        { file: 'b.json', text: '{"kind":"widget","id":"a","size":2}' },
      ],
      [],
      kinds,
    );
    expect(problems).toEqual([
      { file: 'b.json', path: '$.id', reason: "widget 'a' is also defined at a.json $" },
    ]);
  });
});

describe('helpers', () => {
  it('writes JSONPath with brackets where a name needs them', () => {
    expect(jsonPath(['condition', 'and', 2, 'a b'])).toBe('$.condition.and[2]["a b"]');
  });

  it('finds the definitions that use one', () => {
    const set = [stored('a', { size: 1 }), stored('b', { size: 1, uses: ['a'] })];
    expect(referrersOf('widget', 'a', set, kinds).map((d) => d.id)).toEqual(['b']);
    expect(referrersOf('widget', 'b', set, kinds)).toEqual([]);
  });

  it('compares bodies whatever their key order', () => {
    expect(sameBody({ a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 })).toBe(true);
    expect(sameBody({ a: 1 }, { a: 2 })).toBe(false);
  });
});

it('reads stored bodies through their schema when looking for users, and skips one it cannot read', () => {
  const stored = (id: string, body: Record<string, unknown>): StoredDefinition => ({
    tenant: 't',
    kind: 'widget',
    id,
    version: 1,
    body: { kind: 'widget', id, ...body },
    updatedAt: 0,
  });
  // `uses` defaults to [] in the schema: a body stored without it refers to nothing.
  const set = [stored('a', { size: 1 }), stored('b', { size: 2 }), stored('bad', { size: 'x', uses: ['a'] })];
  expect(referrersOf('widget', 'a', set, [widgetKind])).toEqual([]);
});
