// The segment engine's bench alone: `node dist/bench/segment-bench.js [--events 10000] [--rate 200]
// [--seconds 10] [--seed 42]`; prints its rows (make bench prints them beside the main table).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, repoRoot } from '../services/common/config';
import { createLogger } from '../services/common/logger';
import { formatTable, SUMMARY_HEADER } from './report/results-table';
import { runSegmentBench, segmentBenchRows } from './stages/segment-engine-run';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '10000' },
      rate: { type: 'string', default: '200' },
      seconds: { type: 'string', default: '10' },
      seed: { type: 'string', default: '42' },
    },
  });
  const events = Number(values.events);
  mkdirSync(path.join(repoRoot, 'bench', 'results'), { recursive: true });
  const result = await runSegmentBench(loadConfig(), createLogger('bench'), {
    events,
    seed: Number(values.seed),
    rate: Number(values.rate),
    seconds: Number(values.seconds),
    truthFile: path.join(repoRoot, 'bench', 'results', `segment-truth-${events}.ndjson`),
    timeoutSeconds: Math.max(900, Math.ceil(events / 300)),
  });
  console.log(formatTable(SUMMARY_HEADER, segmentBenchRows(result)));
  for (const v of result.verify)
    if (v.differences > 0)
      console.log(
        `verify ${v.segment}: ${v.differences} differences (sql ${v.sql}, live ${v.live}), e.g. ${v.sample.join(' ')}`,
      );
  console.log(JSON.stringify({ ...result, verify: undefined }));
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`segment bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
