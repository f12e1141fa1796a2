// CPU seconds of the stack's server processes and of the whole machine, read from /proc (Linux), so a
// bench can say where the CPU went during a window: ClickHouse, Redis, Kafka, the schema registry,
// the bench process itself, and everything else (other work sharing the machine). Elsewhere (no
// /proc) every figure is NaN and the stage reports it as unknown.
import { readdirSync, readFileSync } from 'node:fs';

/** Names the report uses, and how a process is recognized (its comm, then its command line). */
const SERVERS = {
  clickhouse: (comm: string) => comm.startsWith('clickhouse'),
  redis: (comm: string) => comm === 'redis-server',
  kafka: (comm: string, cmdline: string) => comm === 'java' && cmdline.includes('kafka.Kafka'),
} as const;

export type ServerName = keyof typeof SERVERS;

export interface CpuSnapshot {
  /** Seconds of CPU (user + system) since each process started, summed over its processes. */
  servers: Record<ServerName, number>;
  /** This process (the bench, and whatever service it hosts). */
  bench: number;
  /** Busy CPU seconds of the machine, every core (user, nice, system, irq, softirq, steal). */
  machine: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux ABI Node runs on

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** utime + stime of /proc/<pid>/stat, in seconds (fields 14 and 15, after the parenthesized comm). */
function processSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

function machineSeconds(): number {
  const line = read('/proc/stat')?.split('\n')[0];
  if (line === undefined) return NaN;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return (
    ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) /
    TICKS_PER_SECOND
  );
}

export function cpuSnapshot(): CpuSnapshot {
  const servers: Record<ServerName, number> = { clickhouse: NaN, redis: NaN, kafka: NaN };
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    // no /proc: every figure stays NaN
  }
  for (const pid of pids) {
    const comm = read(`/proc/${pid}/comm`)?.trim();
    if (comm === undefined) continue;
    const cmdline = comm === 'java' ? (read(`/proc/${pid}/cmdline`) ?? '') : '';
    for (const [name, matches] of Object.entries(SERVERS) as [
      ServerName,
      (c: string, l: string) => boolean,
    ][]) {
      if (!matches(comm, cmdline)) continue;
      const stat = read(`/proc/${pid}/stat`);
      if (stat === undefined) continue;
      servers[name] = (Number.isNaN(servers[name]) ? 0 : servers[name]) + processSeconds(stat);
    }
  }
  const { user, system } = process.cpuUsage();
  return { servers, bench: (user + system) / 1e6, machine: machineSeconds() };
}

/** CPU seconds spent between two snapshots, per process and in total. */
export interface CpuSpent {
  clickhouse: number;
  redis: number;
  kafka: number;
  bench: number;
  machine: number;
}

export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): CpuSpent {
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    clickhouse: r(b.servers.clickhouse - a.servers.clickhouse),
    redis: r(b.servers.redis - a.servers.redis),
    kafka: r(b.servers.kafka - a.servers.kafka),
    bench: r(b.bench - a.bench),
    machine: r(b.machine - a.machine),
  };
}
