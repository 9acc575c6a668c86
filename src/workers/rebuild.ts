/**
 * The shared risk state built from the journal writer's RiskState: at start (after recovery from
 * the journal), after a reload that changes what the state is keyed or valued by (symbols,
 * sectors, a reference price), and after a Worker died. It runs while every Worker is paused and
 * every batch they sent has been applied (workers/pool.ts), so the RiskState is exactly what was
 * decided, and nothing reserves meanwhile. A reservation a dead Worker made but never reported
 * is dropped here: it was never acknowledged either.
 *
 * Rate buckets and duplicate windows come from the previous shared state by symbol name (the
 * writer does not keep them), or, at start, from the recovered RiskState's.
 */
import { classOf, referenceOf, sectorOf, type Snapshot } from "../config/snapshot.ts";
import {
  exposureUnits, H_GROSS, H_OPEN, H_STATE, H_TRADES, INT32_MAX, priceHash, SharedRiskState, TAT_EMPTY, TRADES_MAX, TRADES_UNSET, tradesWord, wrapMs,
  Y_DUP_PX, Y_DUP_QTY, Y_DUP_TS, Y_LAST, Y_TAT, Y_POS,
} from "../risk/shared-state.ts";
import { SYM_WIDTH, S_DUP_PRICE, S_DUP_QTY, S_DUP_TS, S_POS, S_TOKENS, S_TOKEN_TS, type RiskState } from "../risk/state.ts";

function clamp32(x: number): number {
  return x > INT32_MAX ? INT32_MAX : x < -INT32_MAX ? -INT32_MAX : x;
}

/** A new shared state equal to `st` under `snap`; buckets and windows carried from `old` by name. */
export function sharedFrom(snap: Snapshot, st: RiskState, loss: number, old?: { state: SharedRiskState; snap: Snapshot }): SharedRiskState {
  const out = new SharedRiskState(snap.symbolCount, snap.sectors.length);
  const W = out.words;
  let open = 0;
  let gross = 0;
  for (let i = 0; i < snap.symbolCount; i++) {
    const q = out.symWord(i);
    const pos = clamp32(Math.round(st.sym[i * SYM_WIDTH + S_POS]!));
    W[q + Y_POS] = pos;
    if (pos !== 0) {
      open++;
      const e = exposureUnits(pos, referenceOf(snap, i));
      gross += e;
      const k = out.sectorWord(sectorOf(snap, i));
      W[k] = clamp32(W[k]! + e);
    }
    const j = old?.snap.index.get(snap.symbols[i]!);
    if (old !== undefined) {
      if (j === undefined) continue;
      const p = old.state.symWord(j);
      const V = old.state.words;
      W[q + Y_TAT] = Atomics.load(V, p + Y_TAT);
      W[q + Y_DUP_TS] = V[p + Y_DUP_TS]!;
      W[q + Y_DUP_QTY] = V[p + Y_DUP_QTY]!;
      W[q + Y_DUP_PX] = V[p + Y_DUP_PX]!;
      W[q + Y_LAST] = V[p + Y_LAST]!;
      continue;
    }
    // From the recovered float state: the bucket's deficit in tokens becomes time ahead.
    const o = i * SYM_WIDTH;
    const tokens = st.sym[o + S_TOKENS]!;
    if (tokens === tokens) {
      const pr = snap.hot[classOf(snap, i)]!;
      const interval = Math.ceil(1000 / pr.maxOrdersPerSecond);
      const ahead = Math.ceil(((pr.bucketMilli - tokens) / 1000) * interval);
      W[q + Y_TAT] = ahead > 0 ? (wrapMs(st.sym[o + S_TOKEN_TS]!) + ahead) | 0 : TAT_EMPTY;
      W[q + Y_LAST] = wrapMs(st.sym[o + S_TOKEN_TS]!);
    }
    if (Number.isFinite(st.sym[o + S_DUP_TS]!)) {
      W[q + Y_DUP_TS] = wrapMs(st.sym[o + S_DUP_TS]!);
      W[q + Y_DUP_QTY] = clamp32(st.sym[o + S_DUP_QTY]!);
      W[q + Y_DUP_PX] = priceHash(st.sym[o + S_DUP_PRICE]!);
    }
  }
  W[H_OPEN] = open;
  W[H_GROSS] = clamp32(gross);
  W[H_TRADES] = Number.isFinite(st.day) ? tradesWord(st.day, Math.min(st.dailyTrades, TRADES_MAX - 1)) : TRADES_UNSET;
  W[H_STATE] = st.tradingState;
  out.publishLoss(loss);
  return out;
}
