/**
 * Recovery against the engine it recovers: an engine journals to a real SQLite file while it
 * decides random signals; a fresh engine then rebuilds its state from that file alone. Every
 * field of the risk state must match, and both engines must decide the next signals alike.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rng } from "../../bench/gen-config.ts";
import { classOf, type Snapshot } from "../../src/config/snapshot.ts";
import { Engine } from "../../src/engine/engine.ts";
import { recover } from "../../src/engine/recover.ts";
import type { Signal } from "../../src/engine/signal.ts";
import { SYM_WIDTH, S_AVG, S_DUP_PRICE, S_DUP_QTY, S_DUP_TS, S_MARK, S_POS, S_TOKENS, S_TOKEN_TS, type RiskState } from "../../src/risk/state.ts";
import { HALTED } from "../../src/risk/trading-state.ts";
import { openStore, type SqliteStore } from "../../src/store/sqlite.ts";
import { DAY_MS, snapshotOf, T0 } from "./fixtures.ts";

const dirs: string[] = [];
const stores: SqliteStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function store(): { path: string; s: SqliteStore } {
  const dir = mkdtempSync(join(tmpdir(), "keel-recover-"));
  dirs.push(dir);
  const path = join(dir, "paper.db");
  const s = openStore(path);
  stores.push(s);
  s.createAndActivate({ hash: "a".repeat(64), canonical: "{}", parent: null, author: "test", message: "" }, { author: "test", action: "startup" });
  return { path, s };
}

/** Limits that bind now and then, so rejects of every kind move marks, buckets and windows. */
function config(): Snapshot {
  return snapshotOf({
    trading: { position_sizing: { method: "scaled", default_position_size: 100, max_position_size: 300 }, execution: { limit_offset_bps: 3 } },
    risk: {
      limits: {
        max_daily_trades: 400, max_positions: 3, max_order_notional: 40_000, max_gross_exposure: 60_000,
        max_orders_per_second: 3, price_collar_bps: 300, max_daily_loss: 1e9, duplicate_window_ms: 500,
      },
    },
    symbols: {
      AAA: { sector: "tech", reference_price: 100, tick_size: 0.01, lot_size: 1 },
      BBB: { sector: "tech", reference_price: 50, tick_size: 0.05, lot_size: 10, execution: { order_type: "market", max_slippage_bps: 5 } },
      CCC: { sector: "energy", reference_price: 20, tick_size: 0.01, lot_size: 1 },
      DDD: { sector: "energy", reference_price: 75, tick_size: 0.01, lot_size: 5 },
    },
  });
}

/** A seeded stream of signals: a price walk per symbol, ~1% outside the collar, a few ms apart. */
function signals(n: number, seed: number, start: number): Signal[] {
  const rand = rng(seed);
  const names = ["AAA", "BBB", "CCC", "DDD"];
  const px = [100, 50, 20, 75];
  const out: Signal[] = [];
  let ts = start;
  for (let k = 0; k < n; k++) {
    const j = Math.floor(rand() * names.length);
    px[j] = px[j]! * (1 + (rand() - 0.5) * 0.004);
    const price = rand() < 0.01 ? px[j]! * 1.2 : Math.round(px[j]! * 100) / 100;
    ts += Math.floor(rand() * 400);
    out.push({ id: `${seed}-${k}`, symbol: names[j]!, side: rand() < 0.5 ? 1 : -1, strength: 0.05 + rand() * 0.95, price, ts, strategy: "" });
  }
  return out;
}

/** Everything recovery promises, as comparable numbers; buckets compared by their level at `at`. */
function stateOf(st: RiskState, snap: Snapshot, at: number) {
  const rows: number[][] = [];
  for (let i = 0; i < snap.symbolCount; i++) {
    const S = st.sym;
    const q = i * SYM_WIDTH;
    const pr = snap.hot[classOf(snap, i)]!;
    const tokens = S[q + S_TOKENS]!;
    const level = tokens !== tokens ? pr.bucketMilli : Math.min(pr.bucketMilli, tokens + (at - S[q + S_TOKEN_TS]!) * pr.maxOrdersPerSecond);
    rows.push([S[q + S_POS]!, S[q + S_AVG]!, S[q + S_MARK]!, S[q + S_DUP_TS]!, S[q + S_DUP_QTY]!, S[q + S_DUP_PRICE]!, level]);
  }
  return {
    rows,
    dailyTrades: st.dailyTrades,
    openPositions: st.openPositions,
    realizedToday: st.realizedToday,
    unrealizedAtDayStart: st.unrealizedAtDayStart,
    day: st.day,
    nextDayStart: st.nextDayStart,
    tradingState: st.tradingState,
  };
}

function sums(st: RiskState) {
  return [st.gross, st.unrealized, ...st.sectorExpo];
}

function run(engine: Engine, s: SqliteStore, batch: Signal[], per = 37): void {
  for (let k = 0; k < batch.length; k++) {
    engine.process({ ...batch[k]! });
    if (k % per === per - 1) s.journal.flush(); // a tick's worth of decisions per commit
  }
  s.journal.flush();
}

describe("recover() rebuilds the risk state from the journal", () => {
  test.each([1, 2, 3, 4, 5])("random signals over two trading days (seed %p): every field, then the same decisions", (seed) => {
    const snap = config();
    const { s } = store();
    const live = new Engine(snap, 1, undefined, s.journal);
    run(live, s, signals(1500, seed, T0));
    run(live, s, signals(1500, seed + 100, T0 + DAY_MS));
    expect(live.decider.state.dailyTrades).toBeGreaterThan(0);

    const back = new Engine(snap, 1);
    const r = recover(back, s);
    const at = T0 + 2 * DAY_MS;
    expect(stateOf(back.decider.state, snap, at)).toEqual(stateOf(live.decider.state, snap, at));
    // Running sums are kept by deltas live and summed from rows on recovery: equal to rounding.
    const [a, b] = [sums(live.decider.state), sums(back.decider.state)];
    for (let k = 0; k < a.length; k++) expect(b[k]!).toBeCloseTo(a[k]!, 6);
    expect(r.dailyTrades).toBe(live.decider.state.dailyTrades);
    expect(r.unknownSymbols).toEqual([]);

    // And from here on both decide alike.
    const next = signals(300, seed + 200, live.decider.state.nextDayStart - 60_000);
    for (const sig of next) expect(back.process({ ...sig })).toEqual(live.process({ ...sig }));
  });

  test("after retention prunes the older day, positions and every mark are still restored", () => {
    // Wide limits: every signal below becomes an order, so no mark row is ever needed (each
    // accepted order carries its mark); BBB's and CCC's marks then live only in day one's orders.
    const snap = snapshotOf();
    const { s } = store();
    const live = new Engine(snap, 1, undefined, s.journal);
    const at = (symbol: string, price: number, ts: number): Signal => ({ id: `${symbol}${ts}`, symbol, side: 1, strength: 1, price, ts, strategy: "" });
    run(live, s, [at("AAA", 100, T0), at("BBB", 50.5, T0 + 1), at("CCC", 20.2, T0 + 2)]);
    run(live, s, [at("AAA", 101, T0 + DAY_MS)]);
    expect(s.marks()).toEqual([]);
    const today = s.lastDay()!;
    while (s.prune(today, 100) > 0);
    expect(s.dailyTrades(today - 1)).toBe(0);
    const back = new Engine(snap, 1);
    recover(back, s);
    for (let i = 0; i < snap.symbolCount; i++) {
      expect([snap.symbols[i], back.decider.state.get(i, S_MARK), back.decider.state.position(i)]).toEqual([
        snap.symbols[i], live.decider.state.get(i, S_MARK), live.decider.state.position(i),
      ]);
    }
    expect(back.decider.state.get(snap.index.get("BBB")!, S_MARK)).toBe(50.5);
  });

  test("HALTED and its day survive; the day's trades count only the current day", () => {
    const snap = config();
    const { s } = store();
    const live = new Engine(snap, 1, undefined, s.journal);
    run(live, s, signals(200, 9, T0));
    const yesterday = live.decider.state.dailyTrades;
    run(live, s, signals(50, 10, T0 + DAY_MS));
    live.setTradingState(HALTED, "operator: test", T0 + DAY_MS + 3_600_000);
    s.journal.flush();
    const back = new Engine(snap, 1);
    const r = recover(back, s);
    expect(r.tradingState).toBe("HALTED");
    expect(back.decider.state.tradingState).toBe(HALTED);
    expect(r.dailyTrades).toBe(live.decider.state.dailyTrades);
    expect(r.dailyTrades).not.toBe(yesterday + live.decider.state.dailyTrades);
    expect(back.process({ id: "x", symbol: "AAA", side: 1, strength: 1, price: 100, ts: T0 + DAY_MS + 3_700_000, strategy: "" })).toMatchObject({ status: "rejected", reason: "trading_halted" });
  });

  test("an empty journal recovers to a fresh state", () => {
    const snap = config();
    const { s } = store();
    const back = new Engine(snap, 1);
    const r = recover(back, s);
    expect(r).toEqual({ day: null, fills: 0, dailyTrades: 0, openPositions: 0, tradingState: "ACTIVE", unknownSymbols: [] });
    expect(stateOf(back.decider.state, snap, T0)).toEqual(stateOf(new Engine(snap, 1).decider.state, snap, T0));
  });

  test("a symbol the config no longer has is reported and skipped; the others are restored", () => {
    const snap = config();
    const { s } = store();
    const live = new Engine(snap, 1, undefined, s.journal);
    run(live, s, signals(400, 11, T0));
    const smaller = snapshotOf({}, { AAA: { sector: "tech", reference_price: 100, tick_size: 0.01, lot_size: 1 } });
    const back = new Engine(smaller, 2);
    const r = recover(back, s);
    expect(r.unknownSymbols).toEqual(["BBB", "CCC", "DDD"]);
    expect(back.decider.state.position(0)).toBe(live.decider.state.position(snap.index.get("AAA")!));
  });
});
