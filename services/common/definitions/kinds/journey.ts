// The `journey` kind: a trigger, steps run in order unless a step names the next, exit rules and a
// re-entry rule (docs/journeys.md). The schema checks one body; `check` checks the step graph.
import { z } from 'zod';
import type { DefinitionKind, DefinitionProblem, DefinitionRef, JsonPath } from '../definition-kind';

const ID = /^[a-z0-9][a-z0-9_-]*$/;
const idText = (what: string) =>
  z.string().regex(ID, `${what}: lower-case letters, digits, '-' and '_', starting with a letter or digit`);

export const FILTER_OPS = [
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'contains',
  'in',
  'exists',
  'not_exists',
] as const;

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** A filter on an event: `property` is a dotted path into the event's properties. */
export const whereSchema = z.strictObject({
  property: z.string().min(1),
  op: z.enum(FILTER_OPS),
  value: z.union([scalar, z.array(scalar)]).optional(),
});

const positive = z.number().positive();

export const triggerSchema = z.union([
  z.strictObject({
    event: z.string().min(1).describe('a track event name'),
    where: z.array(whereSchema).default([]),
    occurrence: z.number().int().min(1).optional(),
    within_days: positive.optional(),
    within_seconds: positive.optional(),
  }),
  z.strictObject({
    type: z.enum(['page', 'screen']).describe('a page or screen call'),
    where: z.array(whereSchema).default([]),
    occurrence: z.number().int().min(1).optional(),
    within_days: positive.optional(),
    within_seconds: positive.optional(),
  }),
  z.strictObject({ segment: idText('segment').describe('entering this segment') }),
]);

/** A condition of a branch: on a trait, a computed trait, or segment membership. */
export const conditionSchema = z.union([
  z.strictObject({ trait: z.string().min(1), op: z.enum(FILTER_OPS), value: whereSchema.shape.value }),
  z.strictObject({
    computed: idText('computed trait'),
    op: z.enum(FILTER_OPS),
    value: whereSchema.shape.value,
  }),
  z.strictObject({ segment: idText('segment') }),
  z.strictObject({ not_segment: idText('segment') }),
]);

const stepId = idText('step id');
const durationSchema = z
  .strictObject({
    days: z.number().nonnegative().optional(),
    hours: z.number().nonnegative().optional(),
    minutes: z.number().nonnegative().optional(),
    seconds: z.number().nonnegative().optional(),
  })
  .refine((d) => Object.values(d).some((v) => v !== undefined && v > 0), 'a wait needs a positive duration');

const sendStep = z.strictObject({
  id: stepId,
  send: z.strictObject({
    destination: idText('destination'),
    message: z.string().min(1),
    /** Trigger event properties copied into the payload (dotted paths). */
    fields: z.array(z.string().min(1)).default([]),
  }),
  next: stepId.optional(),
});

const waitStep = z.strictObject({ id: stepId, wait: durationSchema, next: stepId.optional() });

const waitForStep = z.strictObject({
  id: stepId,
  wait_for: z.strictObject({
    event: z.string().min(1),
    where: z.array(whereSchema).default([]),
    timeout_seconds: z
      .number({
        error: (issue) =>
          issue.input === undefined
            ? 'wait_for needs timeout_seconds: an instance must not wait for ever'
            : 'timeout_seconds must be a number of seconds',
      })
      .positive(),
  }),
  on_event: stepId.optional(),
  on_timeout: stepId.optional(),
});

const branchStep = z.strictObject({
  id: stepId,
  branch: z.array(z.strictObject({ when: conditionSchema, next: stepId })).min(1),
  else: stepId.optional(),
});

const exitStep = z.strictObject({ id: stepId, exit: z.string().min(1) });

/** The documented union (JSON Schema); parsing picks the step's schema by its key (below). */
export const stepSchema = z.union([sendStep, waitStep, waitForStep, branchStep, exitStep]);

const STEP_KINDS = {
  send: sendStep,
  wait: waitStep,
  wait_for: waitForStep,
  branch: branchStep,
  exit: exitStep,
};

/**
 * A step is parsed by the schema its key names, so a problem is reported where it is (e.g.
 * `steps[1].wait_for.timeout_seconds`) rather than as "no union member matched" at `steps[1]`.
 */
const keyedStep = z.unknown().transform((value, ctx): z.infer<typeof stepSchema> => {
  const keys =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.keys(STEP_KINDS).filter((k) => k in value)
      : [];
  if (keys.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message: `a step has exactly one of ${Object.keys(STEP_KINDS).join(', ')}${keys.length > 1 ? `; got ${keys.join(' and ')}` : ''}`,
    });
    return z.NEVER;
  }
  const result = STEP_KINDS[keys[0] as keyof typeof STEP_KINDS].safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues)
    ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path as PropertyKey[] });
  return z.NEVER;
});

const journeyShape = <S extends z.ZodType>(step: S) =>
  z.strictObject({
    kind: z.literal('journey'),
    id: idText('journey id'),
    name: z.string().min(1).optional(),
    trigger: triggerSchema,
    /** The profile must be in this segment to enter. */
    audience: z.strictObject({ segment: idText('segment') }).optional(),
    steps: z.array(step).min(1).max(50),
    exit_when: z
      .array(
        z.strictObject({
          event: z.string().min(1),
          where: z.array(whereSchema).default([]),
          reason: z.string().min(1),
        }),
      )
      .default([]),
    reentry: z
      .union([
        z.literal('never'),
        z.strictObject({ after_days: z.number().nonnegative() }),
        z.strictObject({ after_seconds: z.number().nonnegative() }),
      ])
      .default('never'),
  });

export const journeySchema = journeyShape(keyedStep);
const documentedJourneySchema = journeyShape(stepSchema);

export type Journey = z.infer<typeof journeySchema>;
export type JourneyStep = Journey['steps'][number];
export type Where = z.infer<typeof whereSchema>;
export type Condition = z.infer<typeof conditionSchema>;
export type Trigger = Journey['trigger'];

/** The ids a step may go to next, with the JSON path of each (inside the step). */
export function stepTargets(step: JourneyStep): { id: string; path: JsonPath }[] {
  if ('send' in step || 'wait' in step)
    return step.next === undefined ? [] : [{ id: step.next, path: ['next'] }];
  if ('wait_for' in step) {
    const out: { id: string; path: JsonPath }[] = [];
    if (step.on_event !== undefined) out.push({ id: step.on_event, path: ['on_event'] });
    if (step.on_timeout !== undefined) out.push({ id: step.on_timeout, path: ['on_timeout'] });
    return out;
  }
  if ('branch' in step) {
    const out = step.branch.map((b, i) => ({ id: b.next, path: ['branch', i, 'next'] as JsonPath }));
    if (step.else !== undefined) out.push({ id: step.else, path: ['else'] });
    return out;
  }
  return [];
}

/** Where a step goes when it names no next step: the following one (none after the last). */
export function fallThrough(journey: Journey, index: number): string | undefined {
  return journey.steps[index + 1]?.id;
}

/** Every step a step can lead to, its explicit targets and its fall-through where it has one. */
export function successors(journey: Journey, index: number): string[] {
  const step = journey.steps[index]!;
  if ('exit' in step) return [];
  const ids = stepTargets(step).map((t) => t.id);
  const implicit =
    ('send' in step && step.next === undefined) ||
    ('wait' in step && step.next === undefined) ||
    ('wait_for' in step && (step.on_event === undefined || step.on_timeout === undefined)) ||
    ('branch' in step && step.else === undefined);
  const next = fallThrough(journey, index);
  if (implicit && next !== undefined) ids.push(next);
  return ids;
}

function journeyReferences(j: Journey): DefinitionRef[] {
  const refs: DefinitionRef[] = [];
  if ('segment' in j.trigger)
    refs.push({ kind: 'segment', id: j.trigger.segment, path: ['trigger', 'segment'] });
  if (j.audience) refs.push({ kind: 'segment', id: j.audience.segment, path: ['audience', 'segment'] });
  j.steps.forEach((step, i) => {
    if ('send' in step)
      refs.push({
        kind: 'destination',
        id: step.send.destination,
        path: ['steps', i, 'send', 'destination'],
      });
    if ('branch' in step)
      step.branch.forEach((b, k) => {
        const at: JsonPath = ['steps', i, 'branch', k, 'when'];
        if ('segment' in b.when) refs.push({ kind: 'segment', id: b.when.segment, path: [...at, 'segment'] });
        if ('not_segment' in b.when)
          refs.push({ kind: 'segment', id: b.when.not_segment, path: [...at, 'not_segment'] });
        if ('computed' in b.when)
          refs.push({ kind: 'computed_trait', id: b.when.computed, path: [...at, 'computed'] });
      });
  });
  return refs;
}

/** Step ids unique, every target exists, every step reachable from the first, no cycle. */
export function checkJourneySteps(j: Journey): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const index = new Map<string, number>();
  j.steps.forEach((s, i) => {
    if (index.has(s.id))
      problems.push({
        path: ['steps', i, 'id'],
        reason: `step id '${s.id}' is also used by steps[${index.get(s.id)}]`,
      });
    else index.set(s.id, i);
  });
  j.steps.forEach((s, i) => {
    for (const t of stepTargets(s))
      if (!index.has(t.id))
        problems.push({ path: ['steps', i, ...t.path], reason: `no step has id '${t.id}'` });
  });
  if (problems.length > 0) return problems;

  const edges = j.steps.map((_, i) => successors(j, i).map((id) => index.get(id)!));
  const reached = new Set<number>([0]);
  const stack = [0];
  while (stack.length > 0) {
    for (const n of edges[stack.pop()!]!) {
      if (reached.has(n)) continue;
      reached.add(n);
      stack.push(n);
    }
  }
  j.steps.forEach((s, i) => {
    if (!reached.has(i))
      problems.push({ path: ['steps', i], reason: `step '${s.id}' is unreachable from the first step` });
  });

  // A cycle could send without end; every step runs at most once per instance, which also makes
  // (journey, version, instance, step) a unique action id.
  const state = new Map<number, 'open' | 'done'>();
  const visit = (n: number): void => {
    state.set(n, 'open');
    for (const m of edges[n]!) {
      if (state.get(m) === 'open') {
        const target = stepTargets(j.steps[n]!).find((t) => index.get(t.id) === m);
        problems.push({
          path: ['steps', n, ...(target?.path ?? [])],
          reason: `going to step '${j.steps[m]!.id}' makes a cycle; a step runs at most once per instance`,
        });
      } else if (!state.has(m)) visit(m);
    }
    state.set(n, 'done');
  };
  visit(0);

  const t = j.trigger;
  if (!('segment' in t)) {
    if (t.within_days !== undefined && t.within_seconds !== undefined)
      problems.push({
        path: ['trigger', 'within_seconds'],
        reason: 'give within_days or within_seconds, not both',
      });
    if ((t.occurrence ?? 1) > 1 && t.within_days === undefined && t.within_seconds === undefined)
      problems.push({
        path: ['trigger', 'occurrence'],
        reason: 'an occurrence above 1 needs within_days or within_seconds',
      });
  }
  return problems;
}

export const journeyKind: DefinitionKind<Journey> = {
  kind: 'journey',
  command: 'journeys',
  schema: journeySchema,
  references: journeyReferences,
  check: (j) => checkJourneySteps(j),
  summary: (j) => {
    const t = j.trigger;
    const on =
      'segment' in t ? `segment ${t.segment}` : 'event' in t ? `event '${t.event}'` : `${t.type} call`;
    return `${j.steps.length} steps, on ${on}${'occurrence' in t && t.occurrence ? ` x${t.occurrence}` : ''}`;
  },
};

/** The JSON Schema of a journey file, as published in docs/journeys.md (kept equal by a unit test). */
export function journeyJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(documentedJourneySchema, { io: 'input' }) as Record<string, unknown>;
}
