// The bench's own machinery on the real stack, at a size that runs in seconds: a seeded population
// through pass-through, resolver and sink must come out exactly as the ground truth says, so the
// numbers `make bench` prints rest on a pipeline that loses and mislinks nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runPipeline } from '../../../bench/stages/pipeline-run';
import { createLogger } from '../../../services/common/logger';
import { config } from '../../support/real-stack';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cdp-bench-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('a 4,000-event population resolves with no false merge, no missed link and no lost event', async () => {
  const result = await runPipeline(config, createLogger('bench-test', 'fatal'), {
    events: 4000,
    seed: 11,
    sink: true,
    truthFile: path.join(dir, 'truth.ndjson'),
    timeoutSeconds: 300,
  });
  const { population, accuracy, sink, redis } = result;

  // Every case the generator promises is in the stream.
  expect(population.plan.households).toBeGreaterThan(0);
  expect(population.plan.kiosks).toBeGreaterThan(0);
  expect(population.duplicates).toBeGreaterThan(0);
  expect(population.junkOnlyEvents).toBeGreaterThan(0);

  expect(accuracy.falseMergePairs).toBe(0);
  expect(accuracy.missedLinkPairs).toBe(0);
  expect(accuracy.linkablePairs).toBeGreaterThan(0);
  expect(accuracy.unknownIdentifiers).toBe(0);
  expect(accuracy.shared.elsewhere).toBe(0);
  expect(redis.identifiers).toBe(
    accuracy.identifiers - accuracy.notIndexed + accuracy.shared.total - accuracy.shared.notIndexed,
  );

  // Junk-only events are dead-lettered; every other distinct messageId is one row in ClickHouse.
  expect(sink?.rowsInClickHouse).toBe(population.uniqueMessageIds - population.junkOnlyEvents);
  expect(result.resolver.records).toBe(population.records);
  expect(result.passThrough.records).toBe(population.records);
});
