// Runs open-loop-load-child as a separate process against a server, and has the server's process
// measure itself over the recorded window: CPU per request, event-loop delay and GC pauses.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import type { OpenLoopResult, OpenLoopSpec } from './open-loop-load-child';

export type { OpenLoopResult, OpenLoopSpec };

export interface ServerSide {
  /** CPU (user + system) of the server's process per completed recorded request. */
  cpu_ms_per_request: number;
  /** Event-loop delay of the server's process over the recorded window. */
  loop_delay_p99_ms: number;
  loop_delay_max_ms: number;
  /** Garbage collection pauses of the server's process over the recorded window. */
  gc_pause_total_ms: number;
  gc_pause_max_ms: number;
}

/** What a server's process measured of itself over the recorded window. */
export type ServerStats = Omit<ServerSide, 'cpu_ms_per_request'> & { cpu_ms: number };

/** Measures the process it runs in between start() and stop(). */
export interface ServerMeter {
  start(): void | Promise<void>;
  stop(): Promise<ServerStats>;
}

/** A meter of this process: CPU, event-loop delay (sampled every 10 ms) and GC pauses. */
export function processMeter(): ServerMeter {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  let measuring = false;
  let gcTotal = 0;
  let gcMax = 0;
  let cpuAtStart = process.cpuUsage();
  const gc = new PerformanceObserver((list) => {
    if (!measuring) return;
    for (const e of list.getEntries()) {
      gcTotal += e.duration;
      gcMax = Math.max(gcMax, e.duration);
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  return {
    start: () => {
      measuring = true;
      cpuAtStart = process.cpuUsage();
      loop.enable();
    },
    stop: () => {
      const cpu = process.cpuUsage(cpuAtStart);
      measuring = false;
      loop.disable();
      gc.disconnect();
      const ms = (ns: number) => Math.round(ns / 1e4) / 100;
      return Promise.resolve({
        cpu_ms: (cpu.user + cpu.system) / 1000,
        loop_delay_p99_ms: ms(loop.percentile(99)),
        loop_delay_max_ms: ms(loop.max),
        gc_pause_total_ms: Math.round(gcTotal),
        gc_pause_max_ms: Math.round(gcMax * 100) / 100,
      });
    },
  };
}

/** `meter` measures the server (default: this process, which must then be the server alone). */
export async function runOpenLoopLoad(
  spec: OpenLoopSpec,
  meter: ServerMeter = processMeter(),
): Promise<OpenLoopResult & ServerSide> {
  const child = spawn(
    process.execPath,
    __filename.endsWith('.ts')
      ? ['--import', 'tsx', path.join(__dirname, 'open-loop-load-child.ts')]
      : [path.join(__dirname, 'open-loop-load-child.js')],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  child.stdin.end(JSON.stringify(spec));
  let started: Promise<void> = Promise.resolve();
  try {
    const result = await new Promise<OpenLoopResult>((resolve, reject) => {
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        let nl: number;
        while ((nl = text.indexOf('\n')) >= 0) {
          const line = JSON.parse(text.slice(0, nl)) as { phase?: string } & OpenLoopResult;
          text = text.slice(nl + 1);
          if (line.phase === 'measure') started = Promise.resolve(meter.start());
          else resolve(line);
        }
      });
      child.once('close', (code) =>
        reject(new Error(`open-loop load generator exited with ${String(code)}`)),
      );
    });
    await started;
    const { cpu_ms: cpuMs, ...stats } = await meter.stop();
    return {
      ...result,
      ...stats,
      cpu_ms_per_request: Math.round((cpuMs / Math.max(1, result.completed)) * 1000) / 1000,
    };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}
