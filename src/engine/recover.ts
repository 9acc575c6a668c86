/**
 * Recovery: the risk state rebuilt from the journal, never from a memory snapshot. After a crash
 * (or any restart) the engine's positions, P&L, exposures, daily counters, trading state, rate
 * buckets and duplicate windows equal what they were after the last committed batch, which is
 * everything that was ever acknowledged.
 *
 *   positions, averages, realised P&L   the position carry, then every remaining fill in order,
 *                                       through Decider.fill (the live arithmetic, so the same floats)
 *   realised today                      the same fills, counting only the current day's
 *   marks                               per symbol, the newer of its mark row and its last order's
 *                                       signal price (an accepted order carries its mark)
 *   exposures, unrealised, open count   recomputed from positions and marks (rebuildTotals)
 *   daily-loss baseline                 the day start journaled when the day began
 *   daily trades                        the current day's orders
 *   trading state                       the last journaled change (HALTED survives restarts)
 *   duplicate window                    each symbol's last order, of any day
 *   rate bucket                         the orders of the current and the previous day, in order
 *                                       (a bucket is full again a second after its last order)
 *
 * The current day is the newest day in the journal, on the signal clock; the first signal of a
 * later day rolls it as usual. A journaled symbol the config no longer has is reported, and its
 * rows are skipped, as a reload would drop it.
 */
import { classOf, type Snapshot } from "../config/snapshot.ts";
import { dayStart } from "../risk/reset.ts";
import { RiskState, SYM_WIDTH, S_AVG, S_DUP_PRICE, S_DUP_QTY, S_DUP_TS, S_MARK, S_POS, S_TOKENS, S_TOKEN_TS } from "../risk/state.ts";
import { TRADING_STATES } from "../risk/trading-state.ts";
import type { StoreReader } from "../store/store.ts";
import type { Engine } from "./engine.ts";

export interface Recovery {
  /** The current trading day (journal's newest), or null on an empty journal. */
  readonly day: number | null;
  readonly fills: number;
  readonly dailyTrades: number;
  readonly openPositions: number;
  readonly tradingState: string;
  /** Journaled symbols the active config does not have: their positions are not restored. */
  readonly unknownSymbols: readonly string[];
}

/** Rebuild the engine's risk state from the store. Call once, before the first signal. */
export function recover(engine: Engine, store: StoreReader): Recovery {
  const d = engine.decider;
  const snap = d.snap;
  const st = new RiskState(snap.symbolCount, snap.sectors.length);
  d.state = st;
  const S = st.sym;
  const unknown = new Set<string>();
  const indexOf = (symbol: string): number | undefined => {
    const i = snap.index.get(symbol);
    if (i === undefined) unknown.add(symbol);
    return i;
  };

  const last = store.lastDay();
  const day = last ?? Number.NEGATIVE_INFINITY;

  for (const c of store.positionCarry()) {
    const i = indexOf(c.symbol);
    if (i === undefined) continue;
    S[i * SYM_WIDTH + S_POS] = c.position;
    S[i * SYM_WIDTH + S_AVG] = c.avgPrice;
    st.realized[i] = c.realized;
  }
  let fills = 0;
  for (const f of store.fills()) {
    const i = indexOf(f.symbol);
    if (i === undefined) continue;
    const before = st.realizedToday;
    d.fill(i, f.side, f.qty, f.price);
    if (f.day !== day) st.realizedToday = before;
    fills++;
  }
  const lastOrders = store.lastOrders();
  const markSeq = new Map<string, number>();
  for (const m of store.marks()) {
    const i = indexOf(m.symbol);
    if (i === undefined) continue;
    S[i * SYM_WIDTH + S_MARK] = m.price;
    markSeq.set(m.symbol, m.seq);
  }
  for (const o of lastOrders) {
    const i = indexOf(o.symbol);
    if (i !== undefined && o.seq > (markSeq.get(o.symbol) ?? -1)) S[i * SYM_WIDTH + S_MARK] = o.signalPrice;
  }
  st.rebuildTotals(snap);

  if (last !== null) {
    st.day = last;
    st.nextDayStart = dayStart(last + 1, snap.dayResetMinute);
    st.unrealizedAtDayStart = store.dayStartOf(last) ?? st.unrealized;
    const today = store.dayJournal(last);
    st.dailyTrades = today.orders.length;
    for (const o of [...store.dayJournal(last - 1).orders, ...today.orders]) {
      const i = indexOf(o.symbol);
      if (i !== undefined) spendToken(snap, st, i, o.ts);
    }
  }
  for (const o of lastOrders) {
    const i = indexOf(o.symbol);
    if (i === undefined) continue;
    S[i * SYM_WIDTH + S_DUP_TS] = o.ts;
    S[i * SYM_WIDTH + S_DUP_QTY] = o.side * o.qty;
    S[i * SYM_WIDTH + S_DUP_PRICE] = o.price;
  }
  const change = store.lastStateChange();
  if (change !== null) st.tradingState = TRADING_STATES.indexOf(change.to);

  return {
    day: last,
    fills,
    dailyTrades: st.dailyTrades,
    openPositions: st.openPositions,
    tradingState: TRADING_STATES[st.tradingState]!,
    unknownSymbols: [...unknown].sort(),
  };
}

/**
 * An accepted order's effect on the symbol's rate bucket, as decide() left it. The bucket counts thousandths of a token and refills (elapsed ms x rate) up to rate x 1000;
 * capped integer refills are path-independent, so replaying the accepted orders alone lands on
 * the bucket the live engine had, whatever rejects it refilled on in between.
 */
function spendToken(snap: Snapshot, st: RiskState, i: number, ts: number): void {
  const S = st.sym;
  const q = i * SYM_WIDTH;
  const pr = snap.hot[classOf(snap, i)]!;
  let tokens = S[q + S_TOKENS]!;
  const lastTs = S[q + S_TOKEN_TS]!;
  if (tokens !== tokens) tokens = pr.bucketMilli;
  else if (ts > lastTs) tokens = Math.min(pr.bucketMilli, tokens + (ts - lastTs) * pr.maxOrdersPerSecond);
  S[q + S_TOKENS] = tokens - 1000;
  S[q + S_TOKEN_TS] = ts > lastTs ? ts : lastTs;
}
