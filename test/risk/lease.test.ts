import { expect, test } from "bun:test";
import { H_GROSS, H_OPEN, H_TRADES, SharedRiskState, tradesWord, TRADES_MAX } from "../../src/risk/shared-state.ts";
import { TotalLeases } from "../../src/risk/total-lease.ts";
import { TradeLease } from "../../src/risk/trade-lease.ts";

function state() {
  return new SharedRiskState(4, 2);
}

test("one thread: a lease refuses exactly where the shared CAS would, and the total counts the lease", () => {
  const st = state();
  const l = new TotalLeases(st.words, [H_GROSS]);
  let used = 0;
  for (;;) {
    const ok = l.take(0, 7, 100);
    // The CAS-per-decision rule: take while used + 7 <= 100.
    expect(ok).toBe(used + 7 <= 100);
    if (!ok) break;
    used += 7;
    expect(st.gross()).toBe(used + l.holding(0));
    expect(st.gross()).toBeLessThanOrEqual(100);
  }
  // Refused: the lease went back with the refusal.
  expect(l.holding(0)).toBe(0);
  expect(st.gross()).toBe(used);
});

test("a lower limit on the next decision (another profile) is checked against usage, not the lease", () => {
  const st = state();
  const l = new TotalLeases(st.words, [H_OPEN]);
  expect(l.take(0, 1, 1000)).toBe(true);
  expect(l.holding(0)).toBeGreaterThan(0);
  expect(l.take(0, 1, 2)).toBe(true); // usage 2 of 2
  expect(l.take(0, 1, 2)).toBe(false);
  l.returnAll();
  expect(st.openPositions()).toBe(2);
});

test("two leases: the second Worker is refused at most by what the first holds, and never passes the limit", () => {
  const st = state();
  const a = new TotalLeases(st.words, [H_GROSS]);
  const b = new TotalLeases(st.words, [H_GROSS]);
  let used = 0;
  for (let k = 0; k < 200; k++) {
    const l = k % 3 === 0 ? b : a;
    if (l.take(0, 3, 500)) used += 3;
    expect(st.gross()).toBeLessThanOrEqual(500);
    expect(used).toBeLessThanOrEqual(st.gross());
  }
  a.returnAll();
  b.returnAll();
  expect(st.gross()).toBe(used);
  expect(used).toBeGreaterThan(500 - 2 * 3);
});

test("freed units stay in the lease up to twice the last chunk; the rest goes back at once", () => {
  const st = state();
  const l = new TotalLeases(st.words, [H_GROSS]);
  expect(l.take(0, 80, 880)).toBe(true); // chunk (880 - 80) / 8 = 100
  expect(l.holding(0)).toBe(100);
  expect(l.take(0, 100, 880)).toBe(true); // from the lease
  expect(l.take(0, 50, 880)).toBe(true); // a new chunk: (880 - 230) / 8 = 81
  expect([l.holding(0), st.gross()]).toEqual([81, 230 + 81]);
  l.free(0, 230); // everything closed: 311 held, 162 kept, 149 back
  expect([l.holding(0), st.gross()]).toEqual([162, 162]);
  l.returnAll();
  expect(st.gross()).toBe(0);
});

test("trades: one thread refuses at the limit exactly; a new day voids the lease and starts from zero", () => {
  const st = state();
  const t = new TradeLease(st.words);
  const day = 100;
  for (let k = 0; k < 50; k++) expect(t.take(day, 50)).toBe(day);
  expect(t.take(day, 50)).toBe(-1);
  expect(st.dailyTrades()).toBe(50);
  t.take(day + 1, 50);
  expect(Atomics.load(st.words, H_TRADES) >>> 20).toBe(day + 1);
  t.returnAll();
  expect(st.dailyTrades()).toBe(1);
});

test("trades: a trade given back after another thread rolled the day is dropped with that day", () => {
  const st = state();
  const a = new TradeLease(st.words);
  const b = new TradeLease(st.words);
  expect(a.take(7, 1000)).toBe(7);
  expect(b.take(8, 1000)).toBe(8); // rolls the word to day 8
  a.give(7);
  a.returnAll();
  b.returnAll();
  expect(Atomics.load(st.words, H_TRADES)).toBe(tradesWord(8, 1));
  expect(TRADES_MAX).toBeGreaterThan(1000);
});
