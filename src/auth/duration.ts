/**
 * Durations and instants as an operator types them on `keel auth sign`: `30m`, `8h`, `7d`,
 * `1h30m`, and ISO 8601 times with an explicit zone. A local time without a zone would mean a
 * different instant on the signing laptop and on the trading host, so it is refused rather than
 * guessed. Errors are strings saying what was expected; the CLI turns them into usage errors.
 */

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The longest authorisation `keel auth sign` writes: a live authorisation is meant to be renewed. */
export const MAX_DURATION_MS = 31 * UNIT_MS.d;

/**
 * Milliseconds in a duration of one or more `<whole number><unit>` parts, units s, m, h, d
 * (largest first, each at most once), or a message saying what is wrong.
 * @example parseDuration("1h30m") // 5_400_000
 */
export function parseDuration(text: string): number | string {
  const expected = `expected a duration like 30m, 8h, 7d or 1h30m (units s, m, h, d), got '${text}'`;
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (text === "" || m === null) return expected;
  const [d, h, min, s] = [m[1], m[2], m[3], m[4]].map((x) => (x === undefined ? 0 : Number(x))) as [number, number, number, number];
  const ms = d * UNIT_MS.d + h * UNIT_MS.h + min * UNIT_MS.m + s * UNIT_MS.s;
  if (ms === 0) return `a duration must be longer than zero, got '${text}'`;
  if (ms > MAX_DURATION_MS) return `at most 31d, got '${text}': a live authorisation is meant to be renewed, not kept`;
  return ms;
}

/** `1h30m`-style text for a number of milliseconds (rounded down to the second; "0s" below one). */
export function formatDuration(ms: number): string {
  let s = Math.floor(Math.abs(ms) / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [["d", 86_400], ["h", 3600], ["m", 60], ["s", 1]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  return parts.length === 0 ? "0s" : parts.join("");
}

/**
 * An instant: `now`, `+DURATION` from now, or an ISO 8601 date-time with `Z` or an offset.
 * Returns epoch ms or a message.
 */
export function parseInstant(text: string, now: number): number | string {
  if (text === "now") return now;
  if (text.startsWith("+")) {
    const d = parseDuration(text.slice(1));
    return typeof d === "string" ? d : now + d;
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(?:Z|[+-](\d{2}):(\d{2}))$/.exec(text);
  if (m === null) {
    return `expected 'now', +DURATION (e.g. +2h) or an ISO 8601 time with a zone (e.g. 2026-11-26T08:00:00Z), got '${text}'`;
  }
  const [year, month, day, hour, minute, second, offH, offM] = m.slice(1).map((x) => Number(x ?? 0)) as number[] as [number, number, number, number, number, number, number, number];
  // Date.parse rolls 2026-02-30 over to March 2nd; a typo must not silently become another day.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59 || offH > 23 || offM > 59) {
    return `not a valid date-time: '${text}'`;
  }
  return Date.parse(text);
}
