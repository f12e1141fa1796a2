// Text formatting for `cdp demo`: pure, so the command file holds only I/O.
import type { ProfileSnapshot } from '../../identity-resolver/identity-outcome';

export type Row = Record<string, unknown>;

/** Rows as an aligned text table (columns from the first row). */
export function formatTable(rows: readonly Row[]): string {
  const first = rows[0];
  if (first === undefined) return '  (no rows)';
  const columns = Object.keys(first);
  const cell = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) =>
    `  ${values.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

/** One line per profile: short id, identifiers, merged-from count. */
export function formatProfileLine(label: string, profile: ProfileSnapshot | null): string {
  if (profile === null) return `  ${label}: (no profile)`;
  const merged = profile.mergedFrom.length > 0 ? `, merged from ${profile.mergedFrom.length}` : '';
  return `  ${label}: profile ${profile.profileId.slice(0, 8)} v${profile.version} [${profile.identifiers.join(', ')}]${merged}`;
}

export function formatDuration(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
