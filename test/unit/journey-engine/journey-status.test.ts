// The journey status SQL is shown verbatim in docs/analytics.md, and its printout.
import fs from 'node:fs';
import path from 'node:path';
import { formatJourneyStatus } from '../../../services/cli/commands/journey-status-command';
import * as queries from '../../../services/journey-engine/journey-queries';

const doc = fs.readFileSync(path.join(__dirname, '../../../docs/analytics.md'), 'utf8');

it.each(Object.entries(queries))('docs/analytics.md shows %s verbatim', (_name, sql) => {
  expect(doc).toContain(`\`\`\`sql\n${sql}\n\`\`\``);
});

it('prints instances per step, exits and conversions with their share of entries', () => {
  const lines = formatJourneyStatus('demo', 'pricing-help', {
    entered: 4,
    reached: [
      { step: 'first-mail', instances: 4 },
      { step: 'second-mail', instances: 1 },
    ],
    running: [{ step: 'wait-order', instances: 2 }],
    exits: [
      { reason: 'converted', instances: 1 },
      { reason: 'completed', instances: 1 },
    ],
  });
  expect(lines[0]).toBe('journey pricing-help (tenant demo): 4 entered');
  expect(lines).toContain('  second-mail                    1 (25.0% of entered)');
  expect(lines).toContain('  wait-order                     2');
  expect(lines[lines.length - 1]).toBe('conversions: 1 (25.0% of entered)');
});
