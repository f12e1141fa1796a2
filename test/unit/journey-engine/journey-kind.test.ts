// The journey kind: the pinned seed-004 example is valid; invalid files are refused whole, every
// problem naming its JSON path; the JSON Schema in docs/journeys.md is the one the code generates.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { StoredDefinition } from '../../../services/common/definitions/definition-kind';
import { journeyJsonSchema, journeyKind } from '../../../services/common/definitions/kinds/journey';
import { validateDefinitionFiles } from '../../../services/common/definitions/validate-definitions';
import type { DefinitionKind } from '../../../services/common/definitions/definition-kind';
import { demoJourney, demoJourneyCalls } from '../../../services/cli/demo/demo-journeys';
import { pricingJourney } from '../../support/journey-fixtures';

const kinds = [journeyKind as unknown as DefinitionKind];
const stored = (kind: string, id: string): StoredDefinition => ({
  tenant: 't',
  kind,
  id,
  version: 1,
  body: { kind, id },
  updatedAt: 0,
});
const world = [stored('destination', 'mailer'), stored('segment', 'vip')];

function validate(...bodies: unknown[]) {
  return validateDefinitionFiles(
    bodies.map((b, i) => ({ file: `f${i}.json`, text: JSON.stringify(b) })),
    world,
    kinds,
  );
}

const problems = (...bodies: unknown[]) =>
  validate(...bodies).problems.map((p) => `${p.file} ${p.path}: ${p.reason}`);

it('accepts the pinned seed-004 journey', () => {
  const r = validate(pricingJourney(172800));
  expect(r.problems).toEqual([]);
  expect(r.definitions.map((d) => d.id)).toEqual(['pricing-help']);
});

it('refuses an unknown destination and segment, naming the paths', () => {
  const j = pricingJourney(60);
  j.steps[2] = { id: 'second-mail', send: { destination: 'nope', message: 'x' } };
  expect(problems({ ...j, audience: { segment: 'ghosts' } })).toEqual([
    "f0.json $.audience.segment: refers to segment 'ghosts', which does not exist",
    "f0.json $.steps[2].send.destination: refers to destination 'nope', which does not exist",
  ]);
});

it('refuses a wait_for without a timeout', () => {
  const j = pricingJourney(60);
  j.steps[1] = { id: 'wait-order', wait_for: { event: 'Order Completed' } } as never;
  expect(problems(j)).toEqual([
    'f0.json $.steps[1].wait_for.timeout_seconds: wait_for needs timeout_seconds: an instance must not wait for ever',
  ]);
});

it('refuses dangling step ids, unreachable steps and cycles', () => {
  const dangling = pricingJourney(60);
  dangling.steps[1] = { ...dangling.steps[1]!, on_timeout: 'third-mail' } as never;
  expect(problems(dangling)).toEqual(["f0.json $.steps[1].on_timeout: no step has id 'third-mail'"]);

  const unreachable = {
    ...pricingJourney(60),
    steps: [
      { id: 'a', send: { destination: 'mailer', message: 'm' }, next: 'c' },
      { id: 'b', send: { destination: 'mailer', message: 'n' } },
      { id: 'c', exit: 'done' },
    ],
  };
  expect(problems(unreachable)).toEqual(["f0.json $.steps[1]: step 'b' is unreachable from the first step"]);

  const cycle = {
    ...pricingJourney(60),
    steps: [
      { id: 'a', send: { destination: 'mailer', message: 'm' } },
      { id: 'b', wait: { seconds: 1 }, next: 'a' },
    ],
  };
  expect(problems(cycle)).toEqual([
    "f0.json $.steps[1].next: going to step 'a' makes a cycle; a step runs at most once per instance",
  ]);
});

it('refuses the whole apply when one file of several is invalid', () => {
  const good = { ...pricingJourney(60), id: 'good' };
  const bad = { ...pricingJourney(60), id: 'bad', trigger: { type: 'page', occurrence: 3 } };
  const r = validate(good, bad);
  expect(r.definitions).toEqual([]);
  expect(r.problems.map((p) => `${p.file} ${p.path}`)).toEqual(['f1.json $.trigger.occurrence']);
});

it('checks branch conditions on segments and computed traits', () => {
  const j = {
    ...pricingJourney(60),
    steps: [
      {
        id: 'split',
        branch: [
          { when: { segment: 'vip' }, next: 'vip-mail' },
          { when: { computed: 'ltv', op: 'gt', value: 100 }, next: 'vip-mail' },
        ],
        else: 'done',
      },
      { id: 'vip-mail', send: { destination: 'mailer', message: 'vip' } },
      { id: 'done', exit: 'completed' },
    ],
  };
  expect(problems(j)).toEqual([
    "f0.json $.steps[0].branch[1].when.computed: refers to computed_trait 'ltv', which does not exist",
  ]);
});

it('keeps the JSON Schema in docs/journeys.md equal to the generated one', () => {
  const doc = readFileSync(path.join(__dirname, '../../../docs/journeys.md'), 'utf8');
  const match =
    /<!-- journey-json-schema:start -->\n```json\n([\s\S]*?)\n```\n<!-- journey-json-schema:end -->/.exec(
      doc,
    );
  expect(match).not.toBeNull();
  expect(JSON.parse(match![1]!)).toEqual(journeyJsonSchema());
});

it('accepts the demo journey, and its calls put two of three customers in it', () => {
  const r = validateDefinitionFiles(
    [{ file: 'demo.json', text: JSON.stringify(demoJourney) }],
    [stored('destination', 'demo-mailer')],
    kinds,
  );
  expect(r.problems).toEqual([]);
  const calls = demoJourneyCalls('x');
  const pricingViews = (u: string) =>
    calls.first.filter(
      (c) => (c as { userId: string; type: string }).userId === u && (c as { type: string }).type === 'page',
    ).length;
  expect(calls.users.map(pricingViews)).toEqual([3, 3, 2]);
});
