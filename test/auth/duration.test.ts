/** Durations and instants as `keel auth sign` reads them, and the expiry timer. */
import { describe, expect, test } from "bun:test";
import { formatDuration, MAX_DURATION_MS, parseDuration, parseInstant } from "../../src/auth/duration.ts";
import { armExpiry } from "../../src/auth/expiry.ts";

describe("parseDuration", () => {
  test("units s, m, h, d, combined largest first", () => {
    expect(parseDuration("30m")).toBe(30 * 60_000);
    expect(parseDuration("8h")).toBe(8 * 3_600_000);
    expect(parseDuration("7d")).toBe(7 * 86_400_000);
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("1h30m")).toBe(90 * 60_000);
    expect(parseDuration("1d2h3m4s")).toBe(86_400_000 + 2 * 3_600_000 + 3 * 60_000 + 4000);
    expect(parseDuration("31d")).toBe(MAX_DURATION_MS);
  });

  test("anything else is a message that shows the expected form", () => {
    for (const bad of ["", "8", "h", "8 h", "8H", "1.5h", "-1h", "30m1h", "1h1h", "8hours", "P1D"]) {
      expect(parseDuration(bad)).toBe(`expected a duration like 30m, 8h, 7d or 1h30m (units s, m, h, d), got '${bad}'`);
    }
    expect(parseDuration("0m")).toBe("a duration must be longer than zero, got '0m'");
    expect(parseDuration("32d")).toBe("at most 31d, got '32d': a live authorisation is meant to be renewed, not kept");
    expect(parseDuration("30d24h1s")).toStartWith("at most 31d");
  });

  test("formatDuration writes what parseDuration reads", () => {
    for (const text of ["1s", "59s", "1m", "1h1s", "2d3h", "1d2h3m4s"]) expect(formatDuration(parseDuration(text) as number)).toBe(text);
    expect(formatDuration(999)).toBe("0s");
  });
});

describe("parseInstant", () => {
  const now = Date.parse("2026-11-25T12:00:00Z");
  test("now, +DURATION, ISO 8601 with a zone", () => {
    expect(parseInstant("now", now)).toBe(now);
    expect(parseInstant("+2h", now)).toBe(now + 7_200_000);
    expect(parseInstant("2026-11-26T08:00:00Z", now)).toBe(Date.parse("2026-11-26T08:00:00Z"));
    expect(parseInstant("2026-11-26T08:00Z", now)).toBe(Date.parse("2026-11-26T08:00:00Z"));
    expect(parseInstant("2026-11-26T09:30:00.250+01:30", now)).toBe(Date.parse("2026-11-26T08:00:00.250Z"));
  });

  test("a time without a zone, an impossible date, or anything else is refused", () => {
    expect(parseInstant("2026-11-26T08:00:00", now)).toStartWith("expected 'now', +DURATION (e.g. +2h) or an ISO 8601 time with a zone");
    expect(parseInstant("tomorrow", now)).toStartWith("expected 'now'");
    expect(parseInstant("+2x", now)).toStartWith("expected a duration like");
    for (const bad of ["2026-02-30T00:00Z", "2026-13-01T00:00Z", "2026-11-26T24:00Z", "2026-11-26T08:60Z", "2026-11-26T08:00+25:00"]) {
      expect(parseInstant(bad, now)).toBe(`not a valid date-time: '${bad}'`);
    }
  });
});

describe("armExpiry", () => {
  test("fires once, at the instant, on a later turn even when it has passed", async () => {
    let fired = 0;
    const t = armExpiry(Date.now() - 1, () => fired++);
    // Never from inside armExpiry: the caller finishes wiring first.
    expect(fired).toBe(0);
    for (let i = 0; i < 200 && fired === 0; i++) await Bun.sleep(5);
    expect(fired).toBe(1);
    t.stop();
  });

  test("re-arms when the wall clock is not there yet (it was set back), then fires", async () => {
    let clock = 1_000;
    let fired = 0;
    const t = armExpiry(1_010, () => fired++, () => clock);
    // The timer waits ~10 ms; the clock has not moved, so firing re-arms instead.
    await Bun.sleep(40);
    expect(fired).toBe(0);
    clock = 1_010;
    for (let i = 0; i < 200 && fired === 0; i++) await Bun.sleep(5);
    expect(fired).toBe(1);
    t.stop();
  });

  test("stop() before the instant: never fires; a far expiry (past setTimeout's 24.8 days) does not fire early", async () => {
    let fired = 0;
    const near = armExpiry(Date.now() + 20, () => fired++);
    near.stop();
    const far = armExpiry(Date.now() + 40 * 86_400_000, () => fired++);
    await Bun.sleep(60);
    far.stop();
    expect(fired).toBe(0);
  });
});
