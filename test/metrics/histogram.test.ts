import { describe, expect, test } from "bun:test";
import { Histogram } from "../../src/metrics/histogram.ts";

describe("Histogram", () => {
  test("exact below 64, within 1/32 above, exact max; empty is 0", () => {
    const h = new Histogram();
    expect(h.quantile(0.5)).toBe(0);
    for (let v = 1; v <= 50; v++) h.record(v);
    expect(h.quantile(0.5)).toBe(25);
    expect(h.quantile(1)).toBe(50);
    expect(h.min).toBe(1);

    const g = new Histogram();
    for (let v = 1; v <= 1_000_000; v++) g.record(v);
    for (const q of [0.5, 0.9, 0.99, 0.999]) {
      const got = g.quantile(q);
      expect(got).toBeGreaterThanOrEqual(q * 1_000_000);
      expect(got).toBeLessThanOrEqual(q * 1_000_000 * (1 + 1 / 32));
    }
    expect(g.max).toBe(1_000_000);
    expect(g.quantile(1)).toBe(1_000_000);
    expect(g.mean()).toBe(500_000.5);
  });

  test("huge, negative and fractional values land somewhere sensible", () => {
    const h = new Histogram();
    h.record(-5);
    h.record(2.9);
    h.record(2 ** 40 + 12345);
    h.record(2 ** 60);
    expect(h.min).toBe(0);
    expect(h.quantile(0.25)).toBe(0);
    expect(h.quantile(0.5)).toBe(2);
    const q75 = h.quantile(0.75);
    expect(q75).toBeGreaterThanOrEqual(2 ** 40);
    expect(q75).toBeLessThanOrEqual(2 ** 40 * (1 + 1 / 32));
    expect(h.quantile(1)).toBe(2 ** 60);
    h.reset();
    expect(h.count).toBe(0);
    expect(h.quantile(0.5)).toBe(0);
  });
});
