/**
 * The pure arithmetic of the risk layer: tick rounding (direction and exact representation) and
 * the trading-day boundary.
 */
import { describe, expect, test } from "bun:test";
import { tickInverse } from "../../src/config/compile.ts";
import { roundToLots, roundToTick } from "../../src/risk/checks.ts";
import { dayLabel, dayStart, tradingDay } from "../../src/risk/reset.ts";

const BUY = 1;
const SELL = -1;

/** roundToTick as the engine calls it: with the Snapshot's precomputed 1/tick. */
function round(price: number, tick: number, side: number): number {
  return roundToTick(price, tick, tickInverse(tick), side);
}

describe("roundToLots", () => {
  test("whole lots at or below, float noise below a lot absorbed", () => {
    expect(roundToLots(29, 100, 1 / 100)).toBe(0);
    expect(roundToLots(0.29 * 100 * 100, 100, 1 / 100)).toBe(2900); // 2899.9999999999995 is 29 lots
    expect(roundToLots(250, 100, 1 / 100)).toBe(200);
    expect(roundToLots(7.9, 1, 1)).toBe(7);
    expect(roundToLots(0, 10, 1 / 10)).toBe(0);
  });

  test("multiplying by 1/lot agrees with dividing by the lot, across sizes and lots", () => {
    for (const lot of [1, 3, 7, 10, 25, 100, 1000]) {
      for (let k = 0; k < 20_000; k++) {
        const x = (k * 0.37) % 50_000;
        expect(roundToLots(x, lot, 1 / lot)).toBe(Math.floor(x / lot + 1e-9) * lot);
      }
    }
  });
});

describe("tickInverse", () => {
  test.each([
    [0.01, 100],
    [0.05, 20],
    [0.25, 4],
    [0.001, 1000],
    [0.5, 2],
    [1, 1],
    [0.0001, 10_000],
    [5, 0], // 1/5 is not an integer: division path
    [0.3, 0],
    [0.03, 0],
  ])("%p -> %p", (tick, inv) => {
    expect(tickInverse(tick)).toBe(inv);
  });
});

describe("roundToTick", () => {
  test("the documented example: 190.5381 at 0.01 is exactly 190.53 for a buy", () => {
    expect(roundToTick(190.5381, 0.01, 100, BUY)).toBe(190.53);
    expect(round(190.5381, 0.01, BUY)).toBe(190.53);
  });

  test("sells round up", () => {
    expect(round(190.5381, 0.01, SELL)).toBe(190.54);
  });

  test.each([
    // tick, price, buy (down), sell (up)
    [0.01, 190.5381, 190.53, 190.54],
    [0.05, 190.5381, 190.5, 190.55],
    [0.05, 190.5751, 190.55, 190.6],
    [0.25, 190.5381, 190.5, 190.75],
    [0.25, 190.76, 190.75, 191],
    [0.001, 190.5381, 190.538, 190.539],
    [0.001, 9.99951, 9.999, 10],
    [5, 190.5381, 190, 195],
    [5, 12_347.2, 12_345, 12_350],
    [0.5, 0.7, 0.5, 1],
  ])("tick %p: %p -> buy %p, sell %p", (tick, price, buy, sell) => {
    expect(round(price, tick, BUY)).toBe(buy);
    expect(round(price, tick, SELL)).toBe(sell);
  });

  test("the division path (tickInv 0) gives the same results for ticks with an integer inverse", () => {
    for (const [tick, price] of [[0.05, 190.5381], [0.25, 190.5381], [0.5, 33.3]] as const) {
      for (const side of [BUY, SELL]) expect(roundToTick(price, tick, 0, side)).toBe(round(price, tick, side));
    }
  });

  test("results are the double nearest the decimal price (190.53, not 190.53000000000003)", () => {
    for (const [tick, decimals] of [[0.01, 2], [0.05, 2], [0.25, 2], [0.001, 3], [0.5, 1]] as const) {
      for (let k = 0; k < 2000; k++) {
        const price = 1 + k * 0.37 + 0.0001234;
        for (const side of [BUY, SELL]) {
          const r = round(price, tick, side);
          expect(r).toBe(Number(r.toFixed(decimals)));
        }
      }
    }
  });

  test("a buy never rounds up and a sell never rounds down, by less than one tick", () => {
    for (const tick of [0.01, 0.05, 0.25, 0.001, 5, 0.5]) {
      for (let k = 0; k < 5000; k++) {
        const price = 0.5 + k * 1.013 + k * k * 1e-7;
        const b = round(price, tick, BUY);
        const s = round(price, tick, SELL);
        expect(b).toBeLessThanOrEqual(price + 1e-9 * price);
        expect(price - b).toBeLessThan(tick);
        expect(s).toBeGreaterThanOrEqual(price - 1e-9 * price);
        expect(s - price).toBeLessThan(tick);
        // On the grid.
        expect(Math.abs(b / tick - Math.round(b / tick))).toBeLessThan(1e-6);
        expect(Math.abs(s / tick - Math.round(s / tick))).toBeLessThan(1e-6);
      }
    }
  });

  test("a price already on the grid is unchanged, for every tick, both sides (ordinary prices)", () => {
    for (const tick of [0.01, 0.05, 0.25, 0.001, 5, 0.5]) {
      const inv = tickInverse(tick);
      for (let n = 1; n <= 200_000; n++) {
        const p = inv > 0 ? n / inv : n * tick;
        if (roundToTick(p, tick, inv, BUY) !== p || roundToTick(p, tick, inv, SELL) !== p) {
          throw new Error(`tick ${tick}: ${p} moved (buy ${roundToTick(p, tick, inv, BUY)}, sell ${roundToTick(p, tick, inv, SELL)})`);
        }
      }
    }
  });

  // The doc comment promises the 1e-9 tolerance "absorbs the float error of a price already on the
  // grid". It is an absolute tolerance in ticks, so it stops covering the float error of
  // price * (1/tick) once a price is more than about 2^24 ticks: these prices are on the grid
  // and are moved by one tick.
  test.each([
    [262_144.03, 0.01],
    [32_768.001, 0.001],
    [2048.0001, 0.0001],
    [256.00001, 0.00001],
  ])("a price already on the grid is unchanged at large tick counts: %p at tick %p", (price, tick) => {
    expect(round(price, tick, BUY)).toBe(price);
    expect(round(price, tick, SELL)).toBe(price);
  });
});

describe("tradingDay with a 21:00 UTC reset", () => {
  const RESET = 21 * 60;
  const at = (iso: string) => Date.parse(iso);

  test("20:59 belongs to the day that began at 21:00 the day before", () => {
    expect(tradingDay(at("2026-11-25T20:59:59.999Z"), RESET)).toBe(tradingDay(at("2026-11-24T21:00:00.000Z"), RESET));
  });

  test("21:00 starts the next day, to the millisecond", () => {
    const before = tradingDay(at("2026-11-25T20:59:59.999Z"), RESET);
    expect(tradingDay(at("2026-11-25T21:00:00.000Z"), RESET)).toBe(before + 1);
  });

  test("midnight UTC is not a boundary", () => {
    expect(tradingDay(at("2026-11-25T23:59:59.999Z"), RESET)).toBe(tradingDay(at("2026-11-26T00:00:00.000Z"), RESET));
  });

  test("dayStart is the first millisecond of the day, and the label is the date on which it ends", () => {
    const d = tradingDay(at("2026-11-25T14:30:00Z"), RESET);
    expect(new Date(dayStart(d, RESET)).toISOString()).toBe("2026-11-24T21:00:00.000Z");
    expect(new Date(dayStart(d + 1, RESET)).toISOString()).toBe("2026-11-25T21:00:00.000Z");
    expect(dayLabel(d, RESET)).toBe("2026-11-25");
    expect(dayLabel(tradingDay(at("2026-11-25T21:00:00Z"), RESET), RESET)).toBe("2026-11-26");
  });

  test("every timestamp lies in [dayStart(day), dayStart(day + 1))", () => {
    for (let k = 0; k < 10_000; k++) {
      const ts = Date.UTC(2026, 0, 1) + k * 3_187_777;
      for (const reset of [0, RESET, 13 * 60 + 37]) {
        const d = tradingDay(ts, reset);
        expect(dayStart(d, reset)).toBeLessThanOrEqual(ts);
        expect(ts).toBeLessThan(dayStart(d + 1, reset));
      }
    }
  });

  test("a 00:00 reset is the UTC calendar day", () => {
    expect(tradingDay(Date.UTC(2026, 10, 25, 23, 59, 59, 999), 0)).toBe(tradingDay(Date.UTC(2026, 10, 25), 0));
    expect(tradingDay(Date.UTC(2026, 10, 26), 0)).toBe(tradingDay(Date.UTC(2026, 10, 25), 0) + 1);
    expect(dayLabel(tradingDay(Date.UTC(2026, 10, 25, 12), 0), 0)).toBe("2026-11-25");
  });
});
