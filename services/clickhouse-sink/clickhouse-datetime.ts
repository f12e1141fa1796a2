// ClickHouse 18.16 has no DateTime64 and parses DateTime text as 'YYYY-MM-DD hh:mm:ss'; columns are
// DateTime('UTC'), so the text is UTC whatever the server's time zone.

/** DateTime covers 1970-01-01 .. 2106-02-07; values outside are clamped rather than wrapped. */
const MAX_SECONDS = 4_294_967_295;

export function toClickHouseDateTime(epochMs: number): string {
  const seconds = Math.min(Math.max(Math.floor(epochMs / 1000), 0), MAX_SECONDS);
  return new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
}
