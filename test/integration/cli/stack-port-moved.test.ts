// infra/local/stack.sh on a private CDP_HOME with a private redis-server: `up` no longer answers
// "already running" when the running server listens on another port than the one asked for.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { STACK_SCRIPT } from '../../../services/cli/stack/stack-script';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-stack-port-'));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function stack(action: string, port: number): { code: number; out: string; err: string } {
  const run = spawnSync('bash', [STACK_SCRIPT, action, 'redis'], {
    env: { ...process.env, CDP_HOME: home, CDP_LOCAL_REDIS_PORT: String(port) },
    encoding: 'utf8',
  });
  return { code: run.status ?? -1, out: run.stdout, err: run.stderr };
}

let started: number;
let moved: number;

beforeAll(async () => {
  started = await freePort();
  moved = await freePort();
});

afterAll(() => {
  stack('down', started);
  fs.rmSync(home, { recursive: true, force: true });
});

it('says a running service is on another port, and what to do, instead of "already running"', () => {
  expect(stack('up', started)).toMatchObject({ code: 0, out: expect.stringMatching(/redis started/) });
  expect(stack('up', started)).toMatchObject({ code: 0, out: expect.stringMatching(/already running/) });

  const refused = stack('up', moved);
  expect(refused.code).toBe(5);
  expect(refused.out).not.toMatch(/already running \(pid/);
  expect(refused.err).toMatch(
    new RegExp(
      `redis is already running \\(pid \\d+\\) on port ${started} \\(CDP_LOCAL_REDIS_PORT\\), ` +
        `not on port ${moved} \\(CDP_LOCAL_REDIS_PORT\\) as asked; .*stack.sh down redis`,
    ),
  );
  expect(stack('status', moved).out).toMatch(new RegExp(`^redis up pid \\d+ port ${started}$`, 'm'));

  // A server started before ports were recorded: told apart by whether the asked port answers.
  fs.rmSync(path.join(home, 'run', 'redis.ports'));
  expect(stack('up', moved)).toMatchObject({
    code: 5,
    err: expect.stringMatching(
      new RegExp(`redis is already running \\(pid \\d+\\) but not on port ${moved} as asked`),
    ),
  });
  expect(stack('up', started)).toMatchObject({ code: 0, out: expect.stringMatching(/already running/) });
});
