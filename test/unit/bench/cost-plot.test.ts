import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  COST_PLOT_HEIGHT,
  COST_PLOT_WIDTH,
  costPlotData,
  costPlotSpec,
  costPlotSvg,
  renderCostPlot,
  type CostPoint,
} from '../../../bench/report/cost-plot';

const points: CostPoint[] = [
  {
    events: 10_000,
    resolver_events_per_s: 1200,
    passthrough_events_per_s: 9000,
    redis_bytes_per_identifier: 820,
  },
  {
    events: 100_000,
    resolver_events_per_s: 2900,
    passthrough_events_per_s: 15000,
    redis_bytes_per_identifier: 690,
  },
  {
    events: 1_000_000,
    resolver_events_per_s: null,
    passthrough_events_per_s: 21000,
    redis_bytes_per_identifier: 300,
  },
  {
    events: 5_000_000,
    resolver_events_per_s: 3500,
    passthrough_events_per_s: null,
    redis_bytes_per_identifier: null,
  },
];

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('costPlotSpec', () => {
  it('leaves out null measurements instead of plotting them', () => {
    const spec = costPlotSpec(points) as { datasets: Record<string, unknown[]> };
    expect(spec.datasets.throughput).toEqual([
      { events: 10_000, series: 'resolver', events_per_s: 1200 },
      { events: 10_000, series: 'pass-through', events_per_s: 9000 },
      { events: 100_000, series: 'resolver', events_per_s: 2900 },
      { events: 100_000, series: 'pass-through', events_per_s: 15000 },
      { events: 1_000_000, series: 'pass-through', events_per_s: 21000 },
      { events: 5_000_000, series: 'resolver', events_per_s: 3500 },
    ]);
    expect(spec.datasets.redis).toEqual([
      { events: 10_000, bytes_per_identifier: 820 },
      { events: 100_000, bytes_per_identifier: 690 },
      { events: 1_000_000, bytes_per_identifier: 300 },
    ]);
  });

  it('sorts by events and drops points without a usable event count', () => {
    const data = costPlotData([
      {
        events: 100_000,
        resolver_events_per_s: 2,
        passthrough_events_per_s: null,
        redis_bytes_per_identifier: null,
      },
      { events: 0, resolver_events_per_s: 9, passthrough_events_per_s: 9, redis_bytes_per_identifier: 9 },
      {
        events: 10_000,
        resolver_events_per_s: 1,
        passthrough_events_per_s: null,
        redis_bytes_per_identifier: null,
      },
    ]);
    expect(data.throughput.map((row) => row.events)).toEqual([10_000, 100_000]);
    expect(data.redis).toEqual([]);
  });
});

describe('renderCostPlot', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cost-plot-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('draws log-scale event ticks and the 250-byte target', async () => {
    const svg = await costPlotSvg(points);
    for (const label of ['10k', '100k', '1M', '5M', 'target 250 B', 'events/s', 'bytes / identifier']) {
      expect(svg).toContain(`>${label}<`);
    }
    expect(svg).toContain('stroke-dasharray="6,4"');
  });

  it('writes a PNG of the plot size', async () => {
    const outFile = path.join(dir, 'cost.png');
    await renderCostPlot(points, outFile);
    const png = await readFile(outFile);
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    // IHDR is the first chunk: width and height are big-endian at bytes 16 and 20.
    expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
    expect(png.readUInt32BE(16)).toBe(COST_PLOT_WIDTH);
    expect(png.readUInt32BE(20)).toBe(COST_PLOT_HEIGHT);
    // A blank 900x400 canvas compresses to a few kilobytes; lines, axes and labels make it much larger.
    expect(png.length).toBeGreaterThan(15_000);
  });

  it('renders when every measurement is missing', async () => {
    const outFile = path.join(dir, 'empty.png');
    await renderCostPlot(
      [
        {
          events: 10_000,
          resolver_events_per_s: null,
          passthrough_events_per_s: null,
          redis_bytes_per_identifier: null,
        },
      ],
      outFile,
    );
    const png = await readFile(outFile);
    expect(png.readUInt32BE(16)).toBe(COST_PLOT_WIDTH);
  });
});
