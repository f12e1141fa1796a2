// The cost plot of the bench report: throughput (resolver vs pass-through baseline) and Redis bytes
// per identifier against the number of events, as a 900x400 PNG. The chart is a vega-lite spec built
// by a pure function; vega renders it to SVG headlessly and resvg rasterizes it with a bundled font,
// so the output does not depend on the fonts installed on the machine.
import { writeFile } from 'node:fs/promises';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { TARGETS } from './targets';

export interface CostPoint {
  events: number;
  resolver_events_per_s: number | null;
  passthrough_events_per_s: number | null;
  redis_bytes_per_identifier: number | null;
}

export const COST_PLOT_WIDTH = 900;
export const COST_PLOT_HEIGHT = 400;
/** Event counts the benches run at; the x axes tick at these. */
export const EVENT_TICKS = [10_000, 100_000, 1_000_000, 5_000_000];

const FONT_FAMILY = 'Roboto';
// Without the native canvas package vega estimates text widths; resvg then draws every label with
// this bundled font (system fonts are not loaded), so the PNG is the same on every machine.
const FONT_FILE = require.resolve('@expo-google-fonts/roboto/400Regular/Roboto_400Regular.ttf');

export type ThroughputSeries = 'resolver' | 'pass-through';
export interface ThroughputRow {
  events: number;
  series: ThroughputSeries;
  events_per_s: number;
}
export interface RedisRow {
  events: number;
  bytes_per_identifier: number;
}
export interface CostPlotData {
  throughput: ThroughputRow[];
  redis: RedisRow[];
}

function present(value: number | null): value is number {
  return value !== null && Number.isFinite(value);
}

/** Long-format rows for the two panels; a null (or non-finite) measurement is left out, not drawn as 0. */
export function costPlotData(points: CostPoint[]): CostPlotData {
  const sorted = [...points]
    .filter((p) => present(p.events) && p.events > 0)
    .sort((a, b) => a.events - b.events);
  const throughput: ThroughputRow[] = [];
  const redis: RedisRow[] = [];
  for (const p of sorted) {
    if (present(p.resolver_events_per_s)) {
      throughput.push({ events: p.events, series: 'resolver', events_per_s: p.resolver_events_per_s });
    }
    if (present(p.passthrough_events_per_s)) {
      throughput.push({ events: p.events, series: 'pass-through', events_per_s: p.passthrough_events_per_s });
    }
    if (present(p.redis_bytes_per_identifier)) {
      redis.push({ events: p.events, bytes_per_identifier: p.redis_bytes_per_identifier });
    }
  }
  return { throughput, redis };
}

/** Log x encoding shared by both panels: spans the standard ticks, widened if a run fell outside them. */
function eventsEncoding(data: CostPlotData) {
  const events = [...data.throughput, ...data.redis].map((row) => row.events);
  const low = Math.min(EVENT_TICKS[0] as number, ...events) * 0.7;
  const high = Math.max(EVENT_TICKS[EVENT_TICKS.length - 1] as number, ...events) * 1.4;
  return {
    field: 'events',
    type: 'quantitative' as const,
    title: 'events',
    scale: { type: 'log' as const, domain: [low, high] },
    axis: { values: EVENT_TICKS, format: '~s', grid: true },
  };
}

/** The vega-lite description of the plot: two panels side by side over named inline datasets. */
export function costPlotSpec(points: CostPoint[]): TopLevelSpec {
  const data = costPlotData(points);
  const eventsAxis = eventsEncoding(data);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    background: 'white',
    padding: 8,
    config: {
      font: FONT_FAMILY,
      view: { stroke: '#ccc' },
      axis: { labelFontSize: 11, titleFontSize: 12 },
      title: { fontSize: 13 },
    },
    datasets: { throughput: data.throughput, redis: data.redis },
    spacing: 40,
    hconcat: [
      {
        title: 'Throughput',
        width: 360,
        height: 290,
        data: { name: 'throughput' },
        mark: { type: 'line', point: true },
        encoding: {
          x: eventsAxis,
          y: { field: 'events_per_s', type: 'quantitative', title: 'events/s', axis: { format: '~s' } },
          color: {
            field: 'series',
            type: 'nominal',
            title: null,
            scale: { domain: ['resolver', 'pass-through'], range: ['#1f77b4', '#999999'] },
            legend: { orient: 'top-left', fillColor: 'white' },
          },
        },
      },
      {
        title: 'Redis bytes per identifier',
        width: 360,
        height: 290,
        layer: [
          {
            data: { name: 'redis' },
            mark: { type: 'line', color: '#d62728', point: { color: '#d62728' } },
            encoding: {
              x: eventsAxis,
              y: {
                field: 'bytes_per_identifier',
                type: 'quantitative',
                title: 'bytes / identifier',
                scale: { zero: true },
              },
            },
          },
          {
            // One empty row so the datum-only layers draw once.
            data: { values: [{}] },
            mark: { type: 'rule', strokeDash: [6, 4], color: '#555' },
            encoding: { y: { datum: TARGETS.redisBytesPerIdentifier, type: 'quantitative' } },
          },
          {
            data: { values: [{}] },
            mark: { type: 'text', align: 'right', baseline: 'bottom', dx: -4, dy: -3, color: '#555' },
            encoding: {
              x: { value: 'width' },
              y: { datum: TARGETS.redisBytesPerIdentifier, type: 'quantitative' },
              text: { value: `target ${TARGETS.redisBytesPerIdentifier} B` },
            },
          },
        ],
      },
    ],
  };
}

/** Vega's SVG is as large as its layout; pin the root element to the plot size, scaling the content to fit. */
function pinSvgSize(svg: string, width: number, height: number): string {
  return svg.replace(/^<svg\b[^>]*>/, (tag) =>
    tag
      .replace(/\swidth="[^"]*"/, ` width="${width}"`)
      .replace(/\sheight="[^"]*"/, ` height="${height}"`)
      .replace(/>$/, ' preserveAspectRatio="xMidYMid meet">'),
  );
}

export async function costPlotSvg(points: CostPoint[]): Promise<string> {
  const vegaSpec = compile(costPlotSpec(points)).spec;
  const view = new vega.View(vega.parse(vegaSpec), { renderer: 'none' });
  try {
    return pinSvgSize(await view.toSVG(), COST_PLOT_WIDTH, COST_PLOT_HEIGHT);
  } finally {
    view.finalize();
  }
}

export async function renderCostPlot(points: CostPoint[], outFile: string): Promise<void> {
  const svg = await costPlotSvg(points);
  const png = new Resvg(svg, {
    background: 'white',
    font: {
      fontFiles: [FONT_FILE],
      loadSystemFonts: false,
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
    },
  })
    .render()
    .asPng();
  await writeFile(outFile, png);
}
