import { expect, test } from "bun:test";
import { Engine } from "../../src/engine/engine.ts";
import { REASONS, MAX_DAILY_LOSS, TRADING_HALTED, ACCEPTED } from "../../src/engine/reasons.ts";
import { SharedDecider } from "../../src/engine/shared-decide.ts";
import { SharedRiskState } from "../../src/risk/shared-state.ts";
import { HALTED, REDUCING } from "../../src/risk/trading-state.ts";
import { Generation } from "../../src/workers/generation.ts";
import { compileDoc, signals, T0, tightDoc } from "./fixtures.ts";

function shared(doc: Record<string, unknown>) {
  const snap = compileDoc(doc);
  const gen = Generation.create(snap, 1);
  const state = new SharedRiskState(snap.symbolCount, snap.sectors.length);
  return { snap, gen, state, d: new SharedDecider(gen, state) };
}

test("on one thread the shared decider makes decide.ts's decisions, reject reasons and order fields, under tight limits", () => {
  for (const seed of [1, 2, 3]) {
    const doc = tightDoc(24);
    const engine = new Engine(compileDoc(doc), 1);
    const { d, state } = shared(doc);
    const seen = new Set<string>();
    const stream = signals(24, 6000, seed);
    for (let k = 0; k < stream.length; k++) {
      // Near the end, a new trading day on which both are REDUCING: only shrinking orders pass.
      const s = k < 5200 ? stream[k]! : { ...stream[k]!, ts: stream[k]!.ts + 86_400_000 };
      if (k === 5200) {
        engine.setTradingState(REDUCING, "test", T0);
        state.setTradingState(REDUCING);
      }
      const want = engine.process(s);
      const got = d.decide(s);
      const name: string = REASONS[got]!;
      seen.add(name);
      if (want.status === "accepted") {
        expect({ k, name }).toEqual({ k, name: "accepted" });
        expect([d.side > 0 ? "buy" : "sell", d.qty, d.price]).toEqual([want.order.side, want.order.qty, want.order.price]);
      } else {
        expect({ k, name }).toEqual({ k, name: want.status === "rejected" ? want.reason : "error" });
      }
    }
    d.returnLeases();
    for (let i = 0; i < 24; i++) expect(state.position(i)).toBe(engine.decider.state.position(i));
    expect(state.openPositions()).toBe(engine.decider.state.openPositions);
    expect(state.dailyTrades()).toBe(engine.decider.state.dailyTrades);
    expect(state.gross()).toBe(engine.decider.state.gross);
    // The stream really exercised the limits, not just the happy path.
    for (const r of ["accepted", "max_position_size", "max_positions", "max_order_notional", "max_gross_exposure", "sector_exposure", "max_daily_trades", "duplicate_order", "reduce_only", "max_orders_per_second"]) {
      expect({ seed, r, seen: seen.has(r) }).toEqual({ seed, r, seen: true });
    }
  }
});

test("the daily loss published by the journal writer halts trading on the next decision, once", () => {
  const { d, state } = shared(tightDoc(3, { limits: { max_daily_loss: 1000 } }));
  const s = { id: "a", symbol: "S1", side: 1, strength: 0.5, price: 15, ts: T0, strategy: "" };
  expect(d.decide(s)).toBe(ACCEPTED);
  state.publishLoss(1000); // at the limit: not over it
  expect(d.decide({ ...s, id: "b", ts: T0 + 100 })).toBe(ACCEPTED);
  state.publishLoss(1000.2); // rounded up to 1001: over
  expect(d.decide({ ...s, id: "c", ts: T0 + 200 })).toBe(MAX_DAILY_LOSS);
  expect(d.halted).toBe(true);
  expect(state.tradingState()).toBe(HALTED);
  expect(d.decide({ ...s, id: "d", ts: T0 + 300 })).toBe(TRADING_HALTED);
  expect(d.halted).toBe(false);
});

test("a new trading day starts the trade count from zero in the same CAS; a late signal counts in the current day", () => {
  const { d, state } = shared(tightDoc(3, { limits: { max_daily_trades: 2, duplicate_window_ms: 0 } }));
  const s = (id: string, ts: number, side = 1, symbol = "S1") => ({ id, symbol, side, strength: 0.1, price: 15, ts, strategy: "" });
  expect(d.decide(s("a", T0))).toBe(ACCEPTED);
  expect(d.decide(s("b", T0 + 50, -1))).toBe(ACCEPTED);
  expect(REASONS[d.decide(s("c", T0 + 100))]).toBe("max_daily_trades");
  d.returnLeases();
  expect(state.dailyTrades()).toBe(2);
  const tomorrow = T0 + 86_400_000;
  expect(d.decide(s("d", tomorrow))).toBe(ACCEPTED);
  d.returnLeases();
  expect(state.dailyTrades()).toBe(1);
  // A signal stamped yesterday, after the roll: it counts against today, as decide.ts does, and
  // spends a token of the symbol's bucket as of its latest time (a late signal is not refused).
  expect(d.decide(s("e", T0 + 200, -1))).toBe(ACCEPTED);
  expect(REASONS[d.decide(s("f", tomorrow + 100))]).toBe("max_daily_trades");
});

test("limits above the int32 range are clamped, never wrapped", () => {
  const { d, state } = shared(tightDoc(3, { maxSize: 1e12, limits: { max_order_notional: 1e15, max_gross_exposure: 1e15 }, sectorLimit: 1e15 }));
  const big = { id: "a", symbol: "S1", side: 1, strength: 1, price: 15, ts: T0, strategy: "" };
  // default size 100: many orders, the position never passes 2^31 - 1.
  for (let k = 0; k < 50; k++) d.decide({ ...big, id: `a${k}`, ts: T0 + k * 100 });
  expect(state.position(1)).toBe(5000);
  d.returnLeases();
  expect(state.gross()).toBe(5000 * 15);
});

test("a Worker refused while another holds a lease asks for it back; the other gives it back before its next decision", () => {
  const { d, state, gen } = shared(tightDoc(3, { limits: { max_gross_exposure: 3_000, duplicate_window_ms: 0, max_orders_per_second: 1_000_000 }, sectorLimit: 1e6 }));
  const other = new SharedDecider(gen, state);
  const s = (id: string, ts: number, symbol: string, strength: number) => ({ id, symbol, side: 1, strength, price: 15, ts, strategy: "" });
  // S1 at 15: 100 x 15 = 1,500 units, and a chunk of (3,000 - 1,500) / 8 = 187 held by `d`.
  expect(d.decide(s("a", T0, "S1", 1))).toBe(ACCEPTED);
  d.returnLeases();
  expect(d.decide(s("b", T0 + 10, "S1", 0.5))).toBe(ACCEPTED); // 750 more, and a lease of (3,000 - 2,250) / 8 = 93
  expect(state.gross()).toBe(2_250 + 93);
  // 50 x 15 = 750 fits in what is used (2,250) but not beside the lease: refused, recall asked.
  expect(REASONS[other.decide(s("c", T0 + 20, "S1", 0.5))]).toBe("max_gross_exposure");
  // `d` gives its lease back before deciding anything (here a sell of 10, which frees 150 units).
  expect(d.decide({ ...s("d", T0 + 30, "S1", 0.1), side: -1 })).toBe(ACCEPTED);
  expect(REASONS[other.decide(s("e", T0 + 40, "S1", 0.5))]).toBe("accepted");
  d.returnLeases();
  other.returnLeases();
  expect(state.gross()).toBe(state.expectedTotals(gen.snap).gross);
});

test("an idle tick gives the leases back only after a whole tick without a decision, and says so", () => {
  const { d, state } = shared(tightDoc(3, { limits: { max_gross_exposure: 3_000, duplicate_window_ms: 0, max_orders_per_second: 1_000_000 }, sectorLimit: 1e6 }));
  const s = { id: "a", symbol: "S1", side: 1, strength: 1, price: 15, ts: T0, strategy: "" };
  // 100 x 15 = 1,500 units used, and a lease of (3,000 - 1,500) / 8 = 187 held.
  expect(d.decide(s)).toBe(ACCEPTED);
  expect(state.gross()).toBe(1_500 + 187);
  expect(d.idleTick()).toBe(false); // it decided since the last tick: the lease stays
  expect(state.gross()).toBe(1_500 + 187);
  expect(d.idleTick()).toBe(true); // a whole tick without a decision: given back
  expect(state.gross()).toBe(1_500);
  expect(d.idleTick()).toBe(true);
  expect(state.gross()).toBe(1_500);
});
