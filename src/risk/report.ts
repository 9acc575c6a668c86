/**
 * The risk state as data for people and tools: what `GET /risk` answers and `keel state` prints.
 * Read at the edge from the live RiskState (or one rebuilt by recover()), never on the hot path.
 */
import { capLimits, type LimitCaps } from "../auth/caps.ts";
import type { ConfigDocument } from "../config/schema.ts";
import type { Snapshot } from "../config/snapshot.ts";
import { dayLabel } from "./reset.ts";
import { SYM_WIDTH, S_AVG, S_MARK, S_POS, type RiskState } from "./state.ts";
import { TRADING_STATES } from "./trading-state.ts";

export interface PositionReport {
  readonly symbol: string;
  readonly qty: number;
  readonly avg_price: number;
  readonly mark: number;
  readonly exposure: number;
  readonly unrealized: number;
  readonly realized: number;
}

export interface RiskReport {
  readonly trading_state: string;
  /** The trading day, as the date it ends on (UTC); null before the first signal. */
  readonly trading_day: string | null;
  readonly daily_trades: number;
  readonly open_positions: number;
  readonly positions: PositionReport[];
  readonly sectors: { readonly sector: string; readonly exposure: number; readonly limit: number }[];
  readonly gross_exposure: number;
  readonly realized_today: number;
  readonly unrealized: number;
  readonly daily_pnl: number;
  /**
   * The portfolio limits of the defaults layer, as in force: lowered to a live authorisation's
   * caps where the config is looser. Strategies and symbols may override them (and are capped too).
   */
  readonly limits: ConfigDocument["risk"]["limits"];
}

/** Describe a risk state under its Snapshot and document (and the caps the engine holds it to). */
export function riskReport(st: RiskState, snap: Snapshot, doc: ConfigDocument, caps: LimitCaps | null = null): RiskReport {
  const positions: PositionReport[] = [];
  for (let i = 0; i < snap.symbolCount; i++) {
    const o = i * SYM_WIDTH;
    const qty = st.sym[o + S_POS]!;
    if (qty === 0) continue;
    const mark = st.sym[o + S_MARK]!;
    const avg = st.sym[o + S_AVG]!;
    positions.push({
      symbol: snap.symbols[i]!, qty, avg_price: avg, mark, exposure: Math.abs(qty) * mark,
      unrealized: qty * (mark - avg), realized: st.realized[i]!,
    });
  }
  return {
    trading_state: TRADING_STATES[st.tradingState]!,
    trading_day: Number.isFinite(st.day) ? dayLabel(st.day, snap.dayResetMinute) : null,
    daily_trades: st.dailyTrades,
    open_positions: st.openPositions,
    positions,
    sectors: snap.sectors.map((sector, k) => ({ sector, exposure: st.sectorExpo[k]!, limit: snap.sectorLimit[k]! })),
    gross_exposure: st.gross,
    realized_today: st.realizedToday,
    unrealized: st.unrealized,
    daily_pnl: st.dailyPnl(),
    limits: caps === null ? doc.risk.limits : capLimits(doc.risk.limits, caps),
  };
}
