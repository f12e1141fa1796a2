// Starts webhook-receiver-child as a child process (TypeScript under tsx, or the built .js) and
// reads what it received.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ReceivedRequest, ReceiverMode, ReceiverScript } from './webhook-receiver-child';

export type { ReceivedRequest, ReceiverMode, ReceiverScript };

export interface WebhookReceiver {
  url: string;
  child: ChildProcess;
  log(): Promise<ReceivedRequest[]>;
  /** Requests answered 200 the first time for their webhook-id. */
  accepted(): Promise<ReceivedRequest[]>;
  /** Accepted requests and the calls in them, without the bodies. */
  count(): Promise<{ requests: number; calls: number }>;
  setMode(mode: ReceiverMode): Promise<void>;
  /** Answer 500 to bodies containing `text` (null: stop). */
  failWhenBodyContains(text: string | null): Promise<void>;
  stop(): Promise<void>;
}

export async function startWebhookReceiver(script: ReceiverScript = {}): Promise<WebhookReceiver> {
  const child = spawn(
    process.execPath,
    __filename.endsWith('.ts')
      ? ['--import', 'tsx', path.join(__dirname, 'webhook-receiver-child.ts'), JSON.stringify(script)]
      : [path.join(__dirname, 'webhook-receiver-child.js'), JSON.stringify(script)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const line = text.split('\n')[0];
      if (text.includes('\n') && line !== undefined) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`webhook receiver exited with ${String(code)}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  const log = async () => (await (await fetch(`${base}/_log`)).json()) as ReceivedRequest[];
  return {
    url: `${base}/hook`,
    child,
    log,
    accepted: async () => (await log()).filter((r) => r.answer === 200 && !r.duplicate),
    count: async () => (await (await fetch(`${base}/_count`)).json()) as { requests: number; calls: number },
    failWhenBodyContains: async (text) => {
      await fetch(`${base}/_fail`, { method: 'POST', body: JSON.stringify({ text }) });
    },
    setMode: async (mode) => {
      await fetch(`${base}/_mode`, { method: 'POST', body: JSON.stringify({ mode }) });
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
