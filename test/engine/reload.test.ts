/**
 * Hot reload: Decider.load(snapshot, version) carries the risk state over by symbol name, whatever
 * the new order of symbols, keeps the running totals consistent with the rows, and every reply
 * after it carries the new version.
 */
import { describe, expect, test } from "bun:test";
import { Decider } from "../../src/engine/decide.ts";
import { Engine } from "../../src/engine/engine.ts";
import * as R from "../../src/engine/reasons.ts";
import type { Signal } from "../../src/engine/signal.ts";
import { S_AVG, S_MARK } from "../../src/risk/state.ts";
import { HALTED, REDUCING } from "../../src/risk/trading-state.ts";
import type { Fill, VenueOrder } from "../../src/venue/venue.ts";
import { DAY_MS, engineWith, orderOf, outcome, sig, snapshotOf, T0 } from "./fixtures.ts";
import { spyVenue } from "../venue/venue.contract.ts";

const BUY = 1;
const SELL = -1;

const V1_SYMBOLS = {
  AAA: { sector: "tech", reference_price: 100, tick_size: 0.01, lot_size: 1 },
  BBB: { sector: "tech", reference_price: 50, tick_size: 0.01, lot_size: 1 },
  CCC: { sector: "energy", reference_price: 20, tick_size: 0.01, lot_size: 1 },
};
// Reordered, BBB removed, DDD and EEE added, AAA moved to energy.
const V2_SYMBOLS = {
  DDD: { sector: "energy", reference_price: 10, tick_size: 0.01, lot_size: 1 },
  CCC: { sector: "energy", reference_price: 20, tick_size: 0.01, lot_size: 1 },
  EEE: { sector: "tech", reference_price: 30, tick_size: 0.01, lot_size: 1 },
  AAA: { sector: "energy", reference_price: 100, tick_size: 0.01, lot_size: 1 },
};

function idx(e: Engine, name: string): number {
  const i = e.snapshot.index.get(name);
  if (i === undefined) throw new Error(`no ${name}`);
  return i;
}

/**
 * AAA +100 @ 100 marked 101, BBB -100 @ 50 marked 49, CCC +200 @ 20 marked 21. The four fills use
 * up max_daily_trades, so the three marking signals are rejected after marking and fill nothing.
 */
function booked(): Engine {
  const e = engineWith({ risk: { limits: { max_daily_trades: 4 } } }, 1, V1_SYMBOLS);
  let t = T0;
  e.process(sig("AAA", BUY, 100, { ts: ++t }));
  e.process(sig("BBB", SELL, 50, { ts: ++t }));
  e.process(sig("CCC", BUY, 20, { ts: ++t }));
  e.process(sig("CCC", BUY, 20, { ts: ++t }));
  for (const [name, px] of [["AAA", 101], ["BBB", 49], ["CCC", 21]] as const) {
    expect(outcome(e.process(sig(name, BUY, px, { ts: ++t })))).toBe("max_daily_trades");
  }
  return e;
}

describe("Decider.load keeps the risk state by symbol name", () => {
  test("positions, averages, marks and realised P&L follow the name across reorder, add and remove", () => {
    const e = booked();
    const st1 = e.decider.state;
    const before = {
      AAA: { pos: st1.position(idx(e, "AAA")), avg: st1.get(idx(e, "AAA"), S_AVG), mark: st1.get(idx(e, "AAA"), S_MARK) },
      CCC: { pos: st1.position(idx(e, "CCC")), avg: st1.get(idx(e, "CCC"), S_AVG), mark: st1.get(idx(e, "CCC"), S_MARK) },
    };
    expect(before).toEqual({ AAA: { pos: 100, avg: 100, mark: 101 }, CCC: { pos: 200, avg: 20, mark: 21 } });

    e.load(snapshotOf({}, V2_SYMBOLS), 2);
    const st = e.decider.state;
    expect(e.snapshot.symbols).toEqual(["DDD", "CCC", "EEE", "AAA"]);
    for (const name of ["AAA", "CCC"] as const) {
      const i = idx(e, name);
      expect({ pos: st.position(i), avg: st.get(i, S_AVG), mark: st.get(i, S_MARK) }).toEqual(before[name]);
    }
    expect(st.position(idx(e, "DDD"))).toBe(0);
    expect(st.position(idx(e, "EEE"))).toBe(0);
    // BBB left the config and took its position with it.
    expect(e.snapshot.index.get("BBB")).toBeUndefined();
  });

  test("totals are rebuilt from the rows: gross, sectors (AAA now in energy), unrealised, open count", () => {
    const e = booked();
    e.load(snapshotOf({}, V2_SYMBOLS), 2);
    const st = e.decider.state;
    expect(st.openPositions).toBe(2);
    expect(st.gross).toBeCloseTo(100 * 101 + 200 * 21, 9);
    const tech = e.snapshot.sectors.indexOf("tech");
    const energy = e.snapshot.sectors.indexOf("energy");
    expect(st.sectorExpo[tech]).toBeCloseTo(0, 9);
    expect(st.sectorExpo[energy]).toBeCloseTo(100 * 101 + 200 * 21, 9);
    expect(st.unrealized).toBeCloseTo(100 * 1 + 200 * 1, 9);
    // The totals then keep running correctly: mark AAA at 103 and CCC at 19.
    e.process(sig("AAA", BUY, 103, { ts: T0 + 10 }));
    e.process(sig("CCC", SELL, 19, { ts: T0 + 11 }));
    const running = { gross: st.gross, unrealized: st.unrealized, energy: st.sectorExpo[energy]!, open: st.openPositions };
    st.rebuildTotals(e.snapshot);
    expect(running.gross).toBeCloseTo(st.gross, 9);
    expect(running.unrealized).toBeCloseTo(st.unrealized, 9);
    expect(running.energy).toBeCloseTo(st.sectorExpo[energy]!, 9);
    expect(running.open).toBe(st.openPositions);
  });

  test("daily counters, the trading day, the trading state and its history carry over", () => {
    const e = booked();
    const st1 = e.decider.state;
    st1.setTradingState(REDUCING, "operator", T0 + 5);
    const trades = st1.dailyTrades;
    const day = st1.day;
    e.load(snapshotOf({}, V2_SYMBOLS), 2);
    const st = e.decider.state;
    expect(st.dailyTrades).toBe(trades);
    expect(st.day).toBe(day);
    expect(st.tradingState).toBe(REDUCING);
    expect(st.changes).toEqual([{ from: "ACTIVE", to: "REDUCING", reason: "operator", ts: T0 + 5 }]);
    expect(outcome(e.process(sig("DDD", BUY, 10, { ts: T0 + 6 })))).toBe("reduce_only");
  });

  test("the day's P&L is unchanged by a reload, even when a symbol with a loss leaves", () => {
    const e = engineWith({}, 1, V1_SYMBOLS);
    e.process(sig("AAA", BUY, 100, { ts: T0 }));
    e.process(sig("BBB", BUY, 50, { ts: T0 + 1 }));
    e.process(sig("AAA", BUY, 95, { ts: T0 + 2 })); // AAA -500, adds 100 @ 95
    e.process(sig("BBB", BUY, 48, { ts: T0 + 3 })); // BBB -200, adds 100 @ 48
    const pnl = e.decider.state.dailyPnl();
    expect(pnl).toBeCloseTo(-700, 9);
    e.load(snapshotOf({}, V2_SYMBOLS), 2);
    expect(e.decider.state.dailyPnl()).toBeCloseTo(pnl, 9);
  });

  test("the limits of the new version apply at once; replies carry the new config_version", () => {
    const e = engineWith({}, 1, V1_SYMBOLS);
    expect(e.process(sig("AAA", BUY, 100))).toMatchObject({ status: "accepted", config_version: 1 });
    e.load(snapshotOf({ risk: { limits: { max_daily_trades: 1 } } }, V2_SYMBOLS), 9);
    expect(e.version).toBe(9);
    const replies = [e.process(sig("AAA", BUY, 100, { ts: T0 + 1 })), e.process(sig("BBB", BUY, 50)), e.process(sig("DDD", BUY, 10))];
    expect(replies.map(outcome)).toEqual(["max_daily_trades", "unknown_symbol", "max_daily_trades"]);
    for (const r of replies) expect(r).toMatchObject({ config_version: 9 });
  });

  test("rate buckets and the duplicate window follow the symbol too", () => {
    const e = engineWith({ risk: { limits: { max_orders_per_second: 1, duplicate_window_ms: 5000 } } }, 1, V1_SYMBOLS);
    e.process(sig("AAA", BUY, 100, { ts: T0 }));
    e.load(snapshotOf({ risk: { limits: { max_orders_per_second: 1, duplicate_window_ms: 5000 } } }, V2_SYMBOLS), 2);
    expect(outcome(e.process(sig("AAA", BUY, 100.5, { ts: T0 + 10 })))).toBe("max_orders_per_second");
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: T0 + 1000 })))).toBe("duplicate_order");
    expect(outcome(e.process(sig("DDD", BUY, 10, { ts: T0 + 10 })))).toBe("accepted");
  });

  test("a fill that arrives after a reload is applied by symbol name, and dropped for a symbol that left", () => {
    const queue: VenueOrder[] = [];
    let report: (f: Fill) => void = () => {};
    const e = new Engine(snapshotOf({}, V1_SYMBOLS), 1, (onFill) => {
      report = onFill;
      return spyVenue("deferred", (o) => void queue.push(o));
    });
    e.process(sig("AAA", BUY, 100, { ts: T0 }));
    e.process(sig("BBB", BUY, 50, { ts: T0 }));
    expect(queue.map((o) => [o.symbol, o.symbolIndex])).toEqual([["AAA", 0], ["BBB", 1]]);
    e.load(snapshotOf({}, V2_SYMBOLS), 2);
    for (const o of queue) report({ orderId: o.id, symbolIndex: o.symbolIndex, symbol: o.symbol, side: o.side, qty: o.qty, price: o.price, ts: o.ts });
    const st = e.decider.state;
    expect(st.position(idx(e, "AAA"))).toBe(100); // index 3 now, not 0 (which is DDD)
    expect(st.position(idx(e, "DDD"))).toBe(0);
    expect(st.position(idx(e, "CCC"))).toBe(0); // BBB's old index 1 is CCC now
    expect(st.openPositions).toBe(1);
    expect(st.gross).toBeCloseTo(100 * 100, 9);
  });

  test("a reload that moves the day reset later ends the current trading day at the new time", () => {
    // v1 resets at 00:00; at 14:30 on Nov 25 the limit of one trade is used up. v2 resets at 21:00:
    // the trading day that contains 14:30 then ends at 21:00 on Nov 25 (RiskState.remap: "the
    // current day ends at the new time"), so at 21:30 the daily counter has been reset.
    const e = engineWith({ risk: { limits: { max_daily_trades: 1 } } }, 1);
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: T0 })))).toBe("accepted");
    e.load(snapshotOf({ risk: { day_reset_utc: "21:00", limits: { max_daily_trades: 1 } } }), 2);
    expect(outcome(e.process(sig("AAA", BUY, 100.5, { ts: Date.UTC(2026, 10, 25, 20, 59) })))).toBe("max_daily_trades");
    expect(outcome(e.process(sig("AAA", BUY, 101, { ts: Date.UTC(2026, 10, 25, 21, 30) })))).toBe("accepted");
  });

  test("a reload that moves the day reset earlier: the day ends at the next new reset", () => {
    // v1 resets at 21:00; at 22:00 on Nov 25 a trade uses the limit. v2 resets at 00:00: the day
    // ends at midnight.
    const e = engineWith({ risk: { day_reset_utc: "21:00", limits: { max_daily_trades: 1 } } }, 1);
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: Date.UTC(2026, 10, 25, 22) })))).toBe("accepted");
    e.load(snapshotOf({ risk: { day_reset_utc: "00:00", limits: { max_daily_trades: 1 } } }), 2);
    expect(outcome(e.process(sig("AAA", BUY, 100.5, { ts: Date.UTC(2026, 10, 25, 23, 59) })))).toBe("max_daily_trades");
    expect(outcome(e.process(sig("AAA", BUY, 101, { ts: Date.UTC(2026, 10, 26, 0, 1) })))).toBe("accepted");
  });

  test("HALTED survives a reload; positions survive a day roll after it", () => {
    const e = booked();
    e.decider.state.setTradingState(HALTED, "operator", T0);
    e.load(snapshotOf({}, V2_SYMBOLS), 2);
    expect(outcome(e.process(sig("AAA", SELL, 100, { ts: T0 + DAY_MS })))).toBe("trading_halted");
    expect(e.decider.state.position(idx(e, "AAA"))).toBe(100);
    expect(e.decider.state.dailyTrades).toBe(0); // the day rolled before the halt check
  });

  test("reloading the same version twice changes nothing", () => {
    const e = booked();
    const snap = snapshotOf({}, V2_SYMBOLS);
    e.load(snap, 2);
    const a = { gross: e.decider.state.gross, open: e.decider.state.openPositions, pos: e.decider.state.position(idx(e, "AAA")) };
    e.load(snap, 2);
    expect({ gross: e.decider.state.gross, open: e.decider.state.openPositions, pos: e.decider.state.position(idx(e, "AAA")) }).toEqual(a);
    expect(orderOf(e.process(sig("AAA", SELL, 100, { ts: T0 + 20 }))).qty).toBe(100);
  });
});
