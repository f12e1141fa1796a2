// Runs open-loop-load-child as a separate process against a server of this process, and measures
// this process meanwhile: CPU per request, event-loop delay and GC pauses of the recorded window.
// The server must be the only busy thing in this process while it runs.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import type { OpenLoopResult, OpenLoopSpec } from './open-loop-load-child';

export type { OpenLoopResult, OpenLoopSpec };

export interface ServerSide {
  /** CPU (user + system) of this process per completed recorded request. */
  cpu_ms_per_request: number;
  /** Event-loop delay of this process over the recorded window. */
  loop_delay_p99_ms: number;
  loop_delay_max_ms: number;
  /** Garbage collection pauses of this process over the recorded window. */
  gc_pause_total_ms: number;
  gc_pause_max_ms: number;
}

export async function runOpenLoopLoad(spec: OpenLoopSpec): Promise<OpenLoopResult & ServerSide> {
  const child = spawn(
    process.execPath,
    __filename.endsWith('.ts')
      ? ['--import', 'tsx', path.join(__dirname, 'open-loop-load-child.ts')]
      : [path.join(__dirname, 'open-loop-load-child.js')],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  child.stdin.end(JSON.stringify(spec));
  const loop = monitorEventLoopDelay({ resolution: 10 });
  let measuring = false;
  let gcTotal = 0;
  let gcMax = 0;
  const gc = new PerformanceObserver((list) => {
    if (!measuring) return;
    for (const e of list.getEntries()) {
      gcTotal += e.duration;
      gcMax = Math.max(gcMax, e.duration);
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  let cpuAtStart = process.cpuUsage();
  try {
    const result = await new Promise<OpenLoopResult>((resolve, reject) => {
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        let nl: number;
        while ((nl = text.indexOf('\n')) >= 0) {
          const line = JSON.parse(text.slice(0, nl)) as { phase?: string } & OpenLoopResult;
          text = text.slice(nl + 1);
          if (line.phase === 'measure') {
            measuring = true;
            cpuAtStart = process.cpuUsage();
            loop.enable();
          } else resolve(line);
        }
      });
      child.once('close', (code) =>
        reject(new Error(`open-loop load generator exited with ${String(code)}`)),
      );
    });
    const cpu = process.cpuUsage(cpuAtStart);
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    return {
      ...result,
      cpu_ms_per_request:
        Math.round(((cpu.user + cpu.system) / 1000 / Math.max(1, result.completed)) * 1000) / 1000,
      loop_delay_p99_ms: ms(loop.percentile(99)),
      loop_delay_max_ms: ms(loop.max),
      gc_pause_total_ms: Math.round(gcTotal),
      gc_pause_max_ms: Math.round(gcMax * 100) / 100,
    };
  } finally {
    measuring = false;
    loop.disable();
    gc.disconnect();
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}
