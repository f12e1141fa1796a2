// ioredis 5 defined each pipeline's `length` as an accessor with a closure of its own, so every
// pipeline got a hidden class of its own; that class lives in old space and holds the closure, the
// closure holds the pipeline, and so every pipeline (its commands, their promises and replies)
// survived every scavenge and was promoted. With autopipelining that is every command: scavenges
// of 5-25 ms under load instead of under 2 ms, the profile API's lookup tail.
// patches/ioredis+5.11.1.patch (applied by npm's postinstall) puts the accessor on the prototype.
// Measured here on a real Redis, in a child process with a heap of its own: the bytes its scavenges
// promote while it sends 80,000 autopipelined commands.
import { execFileSync } from 'node:child_process';
import { config } from '../../support/real-stack';

const CHILD = `
const v8 = require('node:v8');
const Redis = require('ioredis');
const oldSpace = (gc) => gc.heapSpaceStatistics.find((s) => s.spaceName === 'old_space').spaceUsedSize;
(async () => {
  const redis = new Redis(process.argv[1], { enableAutoPipelining: true });
  await redis.set('test:pipeline-promotion', 'x'.repeat(500), 'EX', 60);
  // Each round: 200 commands issued together, sent by ioredis as one pipeline.
  const round = () => Promise.all(Array.from({ length: 200 }, () => redis.get('test:pipeline-promotion')));
  for (let i = 0; i < 50; i++) await round();
  const profiler = new v8.GCProfiler();
  profiler.start();
  for (let i = 0; i < 400; i++) await round();
  const scavenges = profiler.stop().statistics.filter((s) => s.gcType === 'Scavenge');
  // What each scavenge moved into old space, summed.
  const promoted = scavenges.reduce((sum, s) => sum + oldSpace(s.afterGC) - oldSpace(s.beforeGC), 0);
  process.stdout.write(JSON.stringify({ scavenges: scavenges.length, promoted }));
  redis.disconnect();
})();
`;

test('autopipelined commands do not outlive a scavenge', () => {
  const { scavenges, promoted } = JSON.parse(
    execFileSync(process.execPath, ['-e', CHILD, config.CDP_REDIS_URL], { encoding: 'utf8' }),
  ) as { scavenges: number; promoted: number };
  expect(scavenges).toBeGreaterThan(0);
  // Unpatched: 55-63 MB (everything the 80,000 commands allocated); patched: under 3 MB.
  expect(promoted).toBeLessThan(10_000_000);
});
