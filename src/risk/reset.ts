/**
 * The trading day on the signal clock. Day N runs from N days after the epoch plus the reset
 * minute, to the next reset: with `day_reset_utc = "21:00"` a signal at 20:59 UTC belongs to the
 * same day as one at 21:00 the day before. Pure arithmetic, so replays are deterministic.
 */
const DAY_MS = 86_400_000;

/** The trading-day number of a timestamp (epoch ms) for a reset at `resetMinute` after 00:00 UTC. */
export function tradingDay(ts: number, resetMinute: number): number {
  return Math.floor((ts - resetMinute * 60_000) / DAY_MS);
}

/** The first millisecond of trading day `day`. */
export function dayStart(day: number, resetMinute: number): number {
  return day * DAY_MS + resetMinute * 60_000;
}

/** A trading day as the calendar date (UTC) on which it ends, e.g. "2026-11-25". */
export function dayLabel(day: number, resetMinute: number): string {
  return new Date(dayStart(day + 1, resetMinute) - 1).toISOString().slice(0, 10);
}
