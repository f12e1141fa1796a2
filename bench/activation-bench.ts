// The activation bench alone (bench/stages/activation-run.ts; `make bench` runs it too):
//
//   node dist/bench/activation-bench.js [--deliveries 20000] [--rate 200] [--seconds 20]
import { parseArgs } from 'node:util';
import { loadConfig } from '../services/common/config';
import { activationRows } from './report/capability-rows';
import { formatTable, SUMMARY_HEADER } from './report/results-table';
import { runActivationBench } from './stages/activation-run';

const { values } = parseArgs({
  options: {
    deliveries: { type: 'string', default: '20000' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '20' },
  },
});
runActivationBench(loadConfig(), {
  deliveries: Number(values.deliveries),
  rate: Number(values.rate),
  seconds: Number(values.seconds),
}).then(
  (result) => {
    console.log(formatTable(SUMMARY_HEADER, activationRows(result)));
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`activation bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
