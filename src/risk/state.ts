/**
 * Risk state: positions, P&L, exposures, daily counters and rate buckets, in typed arrays indexed
 * like the Snapshot's symbols, so every check is O(1) whatever the number of symbols.
 *
 * Portfolio totals (gross exposure, per-sector exposure, unrealised P&L, open positions) are kept
 * as running sums updated by the one symbol that changed, never recomputed by a scan on the hot
 * path. `rebuildTotals()` recomputes them from the per-symbol arrays after a reload remap.
 */
import { II_SECTOR, INST_I32, type Snapshot } from "../config/snapshot.ts";
import { ACTIVE, TRADING_STATES, type TradingStateChange } from "./trading-state.ts";

export class RiskState {
  /** Signed position per symbol. */
  pos: Float64Array;
  /** Average entry price of the open position. */
  avg: Float64Array;
  /** Last signal price (the mark); 0 before the first signal. */
  mark: Float64Array;
  /** |pos| * mark: this symbol's share of gross exposure. */
  expo: Float64Array;
  /** pos * (mark - avg): this symbol's share of unrealised P&L. */
  unrl: Float64Array;
  /** Realised P&L per symbol since start (for reports). */
  realized: Float64Array;
  /** The last accepted order per symbol, for duplicate detection: ts, side, qty, price. */
  dupTs: Float64Array;
  dupSide: Float64Array;
  dupQty: Float64Array;
  dupPrice: Float64Array;
  /** Token bucket per symbol: tokens left and the signal time they were counted at. */
  tokens: Float64Array;
  tokenTs: Float64Array;
  /** Gross exposure per sector id. */
  sectorExpo: Float64Array;

  dailyTrades = 0;
  openPositions = 0;
  gross = 0;
  unrealized = 0;
  realizedToday = 0;
  /** Unrealised P&L at the start of the trading day: daily P&L counts only today's change. */
  unrealizedAtDayStart = 0;
  /** Trading-day number (see reset.ts); -Infinity before the first signal. */
  day = Number.NEGATIVE_INFINITY;
  tradingState = ACTIVE;
  /** Changes not yet published; drained by the edge after each tick, never by the hot path. */
  readonly changes: TradingStateChange[] = [];

  constructor(symbolCount: number, sectorCount: number) {
    this.pos = new Float64Array(symbolCount);
    this.avg = new Float64Array(symbolCount);
    this.mark = new Float64Array(symbolCount);
    this.expo = new Float64Array(symbolCount);
    this.unrl = new Float64Array(symbolCount);
    this.realized = new Float64Array(symbolCount);
    this.dupTs = new Float64Array(symbolCount).fill(Number.NEGATIVE_INFINITY);
    this.dupSide = new Float64Array(symbolCount);
    this.dupQty = new Float64Array(symbolCount);
    this.dupPrice = new Float64Array(symbolCount);
    this.tokens = new Float64Array(symbolCount).fill(Number.NaN); // NaN: bucket not started (full)
    this.tokenTs = new Float64Array(symbolCount);
    this.sectorExpo = new Float64Array(sectorCount);
  }

  /** Daily P&L: today's realised plus the change in unrealised since the day began. */
  dailyPnl(): number {
    return this.realizedToday + this.unrealized - this.unrealizedAtDayStart;
  }

  /** Move to a new trading state, recording why (no-op when already there). */
  setTradingState(to: number, reason: string, ts: number): void {
    if (to === this.tradingState) return;
    this.changes.push({ from: TRADING_STATES[this.tradingState]!, to: TRADING_STATES[to]!, reason, ts });
    this.tradingState = to;
  }

  /** Start a new trading day: daily counters back to zero; positions and the state carry over. */
  rollDay(day: number): void {
    this.day = day;
    this.dailyTrades = 0;
    this.realizedToday = 0;
    this.unrealizedAtDayStart = this.unrealized;
  }

  /**
   * The state for a new Snapshot: per-symbol arrays re-indexed by symbol name (a symbol that
   * left the config takes its state with it), totals recomputed. Runs at reload, off the hot path.
   */
  remap(from: Snapshot, to: Snapshot): RiskState {
    const next = new RiskState(to.symbolCount, to.sectors.length);
    const perSymbol = ["pos", "avg", "mark", "expo", "unrl", "realized", "dupTs", "dupSide", "dupQty", "dupPrice", "tokens", "tokenTs"] as const;
    for (let i = 0; i < from.symbolCount; i++) {
      const j = to.index.get(from.symbols[i]!);
      if (j === undefined) continue;
      for (const k of perSymbol) next[k][j] = this[k][i]!;
    }
    next.dailyTrades = this.dailyTrades;
    next.realizedToday = this.realizedToday;
    next.day = this.day;
    next.tradingState = this.tradingState;
    next.rebuildTotals(to);
    // Keep the day's P&L baseline so a reload neither creates nor hides a loss.
    next.unrealizedAtDayStart = this.unrealizedAtDayStart + (next.unrealized - this.unrealized);
    return next;
  }

  /** Recompute every running total from the per-symbol arrays. */
  rebuildTotals(snap: Snapshot): void {
    this.gross = 0;
    this.unrealized = 0;
    this.openPositions = 0;
    this.sectorExpo.fill(0);
    for (let i = 0; i < snap.symbolCount; i++) {
      this.gross += this.expo[i]!;
      this.unrealized += this.unrl[i]!;
      if (this.pos[i] !== 0) this.openPositions++;
      const sector = snap.instI32[snap.row[i]! * INST_I32 + II_SECTOR]!;
      if (sector >= 0) this.sectorExpo[sector]! += this.expo[i]!;
    }
  }
}
