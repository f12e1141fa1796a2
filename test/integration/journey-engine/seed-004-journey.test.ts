// Seed 004 end to end with durations in seconds: Segment calls -> collector -> resolver -> journey
// engine -> cdp.journeys.actions.v1 (and journey_steps in ClickHouse) -> activation -> a webhook
// receiver process (a Standard Webhooks destination applied with `cdp destinations apply`). The 3rd
// /pricing view within the window sends `pricing-help`; an Order Completed during the wait exits as
// converted and nothing more is sent; without it, the timeout sends `discount-offer`.
import { Webhook } from 'standardwebhooks';
import { journeyStatus } from '../../../services/cli/commands/journey-status-command';
import { sqlString } from '../../../services/common/clickhouse/escape-sql';
import { JourneyActionRecord } from '../../../services/common/streams/journey-actions';
import {
  JOURNEY_WEBHOOK_SECRET,
  startJourneyDelivery,
  type JourneyDelivery,
} from '../../support/journey-delivery';
import { JourneyStack, pricingJourney } from '../../support/journey-stack';
import { testKafka, waitFor } from '../../support/real-stack';

jest.setTimeout(180_000);

const stack = new JourneyStack(testKafka(), { clickhouse: true });
let delivery: JourneyDelivery | undefined;

beforeAll(async () => {
  await stack.start();
  delivery = await startJourneyDelivery(stack, 'mailer');
});

afterAll(async () => {
  await delivery?.stop();
  await stack.stop();
});

const identify = (userId: string, plan: string) => ({
  type: 'identify',
  userId,
  messageId: `${userId}-identify`,
  traits: { name: userId.toUpperCase(), plan },
});

const page = (userId: string, n: number, path = '/pricing') => ({
  type: 'page',
  userId,
  messageId: `${userId}-page-${path}-${n}`,
  name: 'Pricing',
  properties: { path },
});

const order = (userId: string) => ({
  type: 'track',
  userId,
  messageId: `${userId}-order`,
  event: 'Order Completed',
  properties: { total: 49 },
});

function byUser(userId: string): JourneyActionRecord[] {
  return stack.actions.records.filter((r) => (JSON.parse(r.payload) as { userId: string }).userId === userId);
}

it('refuses the journey while its destination is unknown, naming the JSON path', async () => {
  const bad = { ...pricingJourney(4), id: 'pricing-bad' };
  bad.steps[2] = { id: 'second-mail', send: { destination: 'nope', message: 'discount-offer' } };
  const result = await stack.apply([bad]);
  expect(result.code).toBe(1);
  expect(result.err.join('\n')).toContain(
    "$.steps[2].send.destination: refers to destination 'nope', which does not exist",
  );
});

it('runs the seed-004 journey: conversion exits, the timeout sends the second mail', async () => {
  const applied = await stack.apply([pricingJourney(4)]);
  expect(applied.err).toEqual([]);
  expect(applied.code).toBe(0);
  // The engine follows the definitions topic; the trigger only counts once it has the journey.
  await new Promise((r) => setTimeout(r, 1500));

  // ann: 3rd pricing view -> first mail; then she orders within the wait.
  // bob: 3rd pricing view -> first mail; no order: the timeout sends the discount.
  // cid: two pricing views and a view of another page: not the 3rd occurrence, nothing.
  await stack.send([identify('ann', 'trial'), identify('bob', 'free'), identify('cid', 'free')]);
  await stack.send([page('ann', 1), page('ann', 2), page('bob', 1), page('cid', 1), page('cid', 2, '/home')]);
  await stack.send([page('bob', 2), page('cid', 3)]);
  await stack.send([page('ann', 3), page('bob', 3)]);

  await waitFor('the first mails', async () =>
    byUser('ann').length >= 1 && byUser('bob').length >= 1 ? true : undefined,
  );
  await stack.send([order('ann')]);

  await waitFor("bob's discount", async () => (byUser('bob').length >= 2 ? true : undefined));
  // Well past ann's timeout too: had the conversion not exited her, her discount would be here.
  await new Promise((r) => setTimeout(r, 5000));

  expect(byUser('ann').map((r) => r.message)).toEqual(['pricing-help']);
  expect(byUser('bob').map((r) => r.message)).toEqual(['pricing-help', 'discount-offer']);
  expect(byUser('cid')).toEqual([]);

  const first = byUser('bob')[0]!;
  expect(first.destinationId).toBe('mailer');
  expect(first.stepId).toBe('first-mail');
  expect(first.actionId).toBe(`pricing-help:1:${first.instanceId}:first-mail`);
  const payload = JSON.parse(first.payload) as Record<string, unknown>;
  expect(payload).toMatchObject({
    message: 'pricing-help',
    journeyId: 'pricing-help',
    stepId: 'first-mail',
    profileId: first.profileId,
    userId: 'bob',
    identifiers: ['user_id:bob'],
    traits: { name: 'BOB', plan: 'free' },
  });
  expect(new Set(stack.actions.records.map((r) => r.actionId)).size).toBe(stack.actions.records.length);

  // What the webhook accepted, through activation: the same messages per user, each id once.
  const accepted = await waitFor('the three webhook deliveries', async () => {
    const got = await delivery!.accepted();
    return got.length >= 3 ? got : undefined;
  });
  expect(await delivery!.messagesByUser()).toEqual({
    ann: ['pricing-help'],
    bob: ['pricing-help', 'discount-offer'],
  });
  const log = await delivery!.receiver.log();
  expect(log.filter((r) => r.duplicate)).toEqual([]);
  expect(new Set(log.map((r) => r.id)).size).toBe(3);
  // Every request signed: verified with the Standard Webhooks library.
  const webhook = new Webhook(JOURNEY_WEBHOOK_SECRET);
  for (const r of log)
    expect(() =>
      webhook.verify(r.body, {
        'webhook-id': r.id,
        'webhook-timestamp': r.timestamp,
        'webhook-signature': r.signature,
      }),
    ).not.toThrow();
  for (const { request, call } of accepted) {
    const action = stack.actions.records.find((a) => a.actionId === request.id);
    expect(action).toBeDefined(); // the webhook-id is the action's id
    const user = call.userId!;
    expect(call).toMatchObject({
      messageId: request.id,
      type: 'track',
      event: 'Journey Message',
      context: { cdp: { profile_id: action!.profileId, destination_id: 'mailer' } },
      properties: {
        message_key: action!.message,
        journey_id: 'pricing-help',
        journey_version: 1,
        step_id: action!.stepId,
        instance_id: action!.instanceId,
        data: {
          message: action!.message,
          journeyId: 'pricing-help',
          stepId: action!.stepId,
          profileId: action!.profileId,
          userId: user,
          identifiers: [`user_id:${user}`],
          traits: { name: user.toUpperCase(), plan: user === 'ann' ? 'trial' : 'free' },
        },
      },
    });
    expect(call.context.cdp.identifiers).toEqual([`user_id:${user}`]);
  }

  // The step log in ClickHouse: ann exited converted, bob completed after the second mail.
  const exits = await waitFor('the exits in journey_steps', async () => {
    const rows = await stack.stepRows<{ profile_id: string; detail: string }>(
      `SELECT profile_id, detail FROM ${stack.db}.journey_steps FINAL
       WHERE tenant = ${sqlString(stack.tenant)} AND kind = 'exited' ORDER BY detail`,
    );
    return rows.length >= 2 ? rows : undefined;
  });
  expect(exits.map((r) => r.detail)).toEqual(['completed', 'converted']);
  expect(exits.find((r) => r.detail === 'converted')!.profile_id).toBe(byUser('ann')[0]!.profileId);

  // `cdp journeys status`: both entered, both reached the wait, one converted.
  const out: string[] = [];
  const code = await journeyStatus(
    stack.cliConfig,
    'pricing-help',
    { tenant: stack.tenant, database: stack.database },
    { out: (l) => void out.push(l) },
  );
  expect(code).toBe(0);
  expect(out).toEqual([
    `journey pricing-help (tenant ${stack.tenant}): 2 entered`,
    'reached, by step:',
    '  first-mail                     2 (100.0% of entered)',
    '  wait-order                     2 (100.0% of entered)',
    '  second-mail                    1 (50.0% of entered)',
    '  done                           1 (50.0% of entered)',
    'running now, by step:',
    '  (none)',
    'exited, by reason:',
    '  completed                      1 (50.0% of entered)',
    '  converted                      1 (50.0% of entered)',
    'conversions: 1 (50.0% of entered)',
  ]);
});
