// A Kafka broker owned by one test (same jars as the local stack, own ports and data), so the test
// can stop and start it without disturbing anything else that uses the shared stack.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { config } from './real-stack';
import { repoRoot } from './avro-schemas';

function kafkaLibs(): string {
  const tools = path.join(config.CDP_HOME, 'tools');
  const dirs = existsSync(tools) ? readdirSync(tools).filter((d) => d.startsWith('kafka-')) : [];
  const libs = dirs
    .map((d) => path.join(tools, d, 'libs'))
    .find((d) => existsSync(path.join(d, '.complete')));
  if (!libs)
    throw new Error(`no Kafka jars under ${tools}: run 'make up' (or set CDP_HOME to the stack's home)`);
  return libs;
}

function java(): string {
  const fromHome = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : undefined;
  return fromHome && existsSync(fromHome) ? fromHome : 'java';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface PrivateKafka {
  brokers: string[];
  start(): Promise<void>;
  /** Graceful stop (SIGTERM), as an operator or orchestrator would do. */
  stop(): Promise<void>;
  /** Stops and removes the data. */
  destroy(): Promise<void>;
  /** SIGSTOP: the broker keeps its connections open and answers nothing, a broker stalled. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
}

export async function createPrivateKafka(): Promise<PrivateKafka> {
  const libs = kafkaLibs();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cdp-test-kafka-'));
  const port = await freePort();
  const controllerPort = await freePort();
  const props = path.join(dir, 'server.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${path.join(dir, 'log')}`,
      'auto.create.topics.enable=false',
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
    ].join('\n'),
  );
  const log4j = `-Dlog4j.configuration=file:${path.join(repoRoot, 'infra', 'local', 'log4j.properties')}`;
  const classpath = `${libs}/*`;
  const clusterId = execFileSync(
    java(),
    ['-cp', classpath, log4j, 'kafka.tools.StorageTool', 'random-uuid'],
    {
      encoding: 'utf8',
    },
  )
    .trim()
    .split('\n')
    .pop() as string;
  execFileSync(
    java(),
    ['-cp', classpath, log4j, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props],
    {
      stdio: 'ignore',
    },
  );

  let child: ChildProcess | undefined;
  const logFile = path.join(dir, 'kafka.log');

  async function start(): Promise<void> {
    if (child) return;
    const out = createWriteStream(logFile, { flags: 'a' });
    child = spawn(java(), ['-Xmx384m', log4j, '-cp', classpath, 'kafka.Kafka', props], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    const deadline = Date.now() + 60_000;
    while (!(await accepting(port))) {
      if (child.exitCode !== null)
        throw new Error(`private kafka exited with ${child.exitCode}; see ${logFile}`);
      if (Date.now() > deadline) throw new Error(`private kafka did not start in 60 s; see ${logFile}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async function stop(): Promise<void> {
    const running = child;
    if (!running) return;
    child = undefined;
    if (running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    running.kill('SIGCONT');
    const killer = setTimeout(() => running.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(killer);
  }

  return {
    brokers: [`127.0.0.1:${port}`],
    start,
    stop,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
