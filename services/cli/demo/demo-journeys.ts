// The demo's journey part: the seed-004 journey with a 5-second wait on three demo customers, run by
// the journey engine of the demo's pipeline. Its send steps go to a webhook destination (applied
// like `cdp destinations apply`) served by the demo's local receiver, through the activation
// service; it prints who got which message as the webhook received it.
import crypto from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../common/config';
import { applyDefinitions } from '../commands/definitions-command';
import { DEMO_WEBHOOK_SECRET, type DemoReceiver } from './demo-webhook-receiver';

const TENANT = 'demo';
const JOURNEY = 'demo-pricing-help';
const DESTINATION = 'demo-mailer';
const WAIT_SECONDS = 5;

export const demoJourney = {
  kind: 'journey',
  id: JOURNEY,
  name: 'Help visitors stuck on pricing (demo: a 5 s wait)',
  trigger: {
    type: 'page',
    where: [{ property: 'path', op: 'eq', value: '/pricing' }],
    occurrence: 3,
    within_days: 7,
  },
  exit_when: [{ event: 'Order Completed', reason: 'converted' }],
  reentry: 'never',
  steps: [
    { id: 'first-mail', send: { destination: DESTINATION, message: 'pricing-help' } },
    {
      id: 'wait-order',
      wait_for: { event: 'Order Completed', timeout_seconds: WAIT_SECONDS },
      on_event: 'done',
      on_timeout: 'second-mail',
    },
    { id: 'second-mail', send: { destination: DESTINATION, message: 'discount-offer' } },
    { id: 'done', exit: 'completed' },
  ],
};

/** Who does what: two keep visiting /pricing (one then orders), one visits twice. */
export function demoJourneyCalls(run: string): { users: string[]; first: object[]; order: object[] } {
  const users = ['ann', 'bob', 'cid'].map((n) => `jrn-${run}-${n}`);
  const [ann, bob, cid] = users as [string, string, string];
  const page = (userId: string, n: number) => ({
    type: 'page',
    userId,
    messageId: `${userId}-pricing-${n}`,
    name: 'Pricing',
    properties: { path: '/pricing' },
  });
  const identify = (userId: string) => ({
    type: 'identify',
    userId,
    messageId: `${userId}-identify`,
    traits: { email: `${userId}@example.com` },
  });
  return {
    users,
    first: [
      ...users.map(identify),
      ...[1, 2, 3].flatMap((n) => [page(ann, n), page(bob, n)]),
      page(cid, 1),
      page(cid, 2),
    ],
    order: [{ type: 'track', userId: ann, messageId: `${ann}-order`, event: 'Order Completed' }],
  };
}

async function post(url: string, batch: object[]): Promise<void> {
  const res = await fetch(`${url}/v1/batch`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from('demo-write-key:').toString('base64')}`,
    },
    body: JSON.stringify({ batch }),
  });
  if (res.status !== 200) throw new Error(`collector answered ${res.status} to the journey demo`);
}

export async function runJourneyDemo(
  config: Config,
  options: { collectorUrl: string; receiver: DemoReceiver; say(line: string): void },
): Promise<void> {
  const { say, receiver } = options;
  const run = crypto.randomBytes(3).toString('hex');
  say(`journeys: the seed-004 journey '${JOURNEY}' with a ${WAIT_SECONDS} s wait, sending to a webhook`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cdp-demo-journey-'));
  const write = (name: string, body: object) => {
    const file = path.join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(body));
    return file;
  };
  const apply = async (command: string, kind: string, file: string) => {
    const code = await applyDefinitions(
      config,
      { command, kinds: [kind] },
      [file],
      { tenant: TENANT },
      undefined,
      { out: (l) => say(`  ${l}`), err: (l) => say(`  ${l}`) },
    );
    if (code !== 0) throw new Error(`the demo ${kind} was refused`);
  };
  // The receiver's port changes per run, so the destination is updated to this run's URL.
  await apply(
    'destinations',
    'destination',
    write(DESTINATION, {
      kind: 'destination',
      id: DESTINATION,
      type: 'webhook',
      url: receiver.url,
      secret: DEMO_WEBHOOK_SECRET,
      description: "the demo journey's mails (journey sends need no subscription)",
    }),
  );
  await apply('journeys', 'journey', write(JOURNEY, demoJourney));
  // The running engine and activation follow the definitions topic within a moment.
  await new Promise((r) => setTimeout(r, 2000));

  const calls = demoJourneyCalls(run);
  const sentTo = (u: string) =>
    receiver
      .of(DESTINATION)
      .filter((a) => a.call.userId === u)
      .map((a) => String(a.call.properties?.message_key));
  await post(options.collectorUrl, calls.first);
  const [ann, bob, cid] = calls.users as [string, string, string];
  const deadline = Date.now() + 90_000;
  while (sentTo(ann).length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  await post(options.collectorUrl, calls.order);
  while (sentTo(bob).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  // ann's wait ends too: had her order not exited her, her discount would come now.
  await new Promise((r) => setTimeout(r, (WAIT_SECONDS + 2) * 1000));
  const mine = receiver.of(DESTINATION).filter((a) => calls.users.includes(a.call.userId ?? ''));
  say(
    `  webhook ${receiver.url} received ${mine.length} signed calls (${mine.filter((a) => a.verified).length} verified); by user:`,
  );
  const line = (u: string, story: string) =>
    say(`  ${u.padEnd(18)} ${(sentTo(u).join(', ') || '(nothing)').padEnd(30)} ${story}`);
  line(ann, '3 visits of /pricing, then ordered during the wait: exited as converted');
  line(bob, `3 visits of /pricing, no order: the discount after ${WAIT_SECONDS} s`);
  line(cid, '2 visits only: never entered');
  const width = Math.max(0, ...mine.map((a) => a.id.length));
  for (const a of mine)
    say(
      `  webhook-id ${a.id.padEnd(width)}  ${a.call.event} ${String(a.call.properties?.message_key)} to ${a.call.userId ?? '-'}`,
    );
}
