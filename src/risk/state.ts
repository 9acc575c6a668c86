/**
 * Risk state: positions, P&L, exposures, daily counters and rate buckets, indexed like the
 * Snapshot's symbols, so every check is O(1) whatever the number of symbols.
 *
 * Per-symbol state is one Float64Array row of SYM_WIDTH slots (64 bytes, one cache line), not
 * one array per field: with 100,000 symbols a decision then touches one line of state instead
 * of eight scattered ones (measured: bench/engine.bench.ts). Nothing derivable is stored:
 * a symbol's exposure is |pos| * mark and its unrealised P&L pos * (mark - avg).
 *
 * Portfolio totals (gross exposure, per-sector exposure, unrealised P&L, open positions) are kept
 * as running sums updated by the one symbol that changed, never recomputed by a scan on the hot
 * path. `rebuildTotals()` recomputes them from the rows after a reload remap.
 */
import { sectorOf, type Snapshot } from "../config/snapshot.ts";
import { dayStart, tradingDay } from "./reset.ts";
import { ACTIVE, TRADING_STATES, type TradingStateChange } from "./trading-state.ts";

/** Signed position. */
export const S_POS = 0;
/** Average entry price of the open position. */
export const S_AVG = 1;
/** Last signal price (the mark); 0 before the first signal. */
export const S_MARK = 2;
/** The last accepted order, for duplicate detection: ts, signed qty (side * qty), price. */
export const S_DUP_TS = 3;
export const S_DUP_QTY = 4;
export const S_DUP_PRICE = 5;
/** Token bucket: thousandths of a token left (NaN = never used, full) and the signal time they were counted at. */
export const S_TOKENS = 6;
export const S_TOKEN_TS = 7;
export const SYM_WIDTH = 8;

export class RiskState {
  /** Per-symbol rows, SYM_WIDTH slots each (room for at least symbolCount). */
  sym: Float64Array;
  /** Gross exposure per sector id. */
  readonly sectorExpo: Float64Array;
  /** Realised P&L per symbol since start: for reports, so kept out of the hot rows. */
  realized: Float64Array;

  dailyTrades = 0;
  openPositions = 0;
  gross = 0;
  unrealized = 0;
  realizedToday = 0;
  /** Unrealised P&L at the start of the trading day: daily P&L counts only today's change. */
  unrealizedAtDayStart = 0;
  /** Trading-day number (see reset.ts); -Infinity before the first signal. */
  day = Number.NEGATIVE_INFINITY;
  /** First millisecond of the next trading day: one comparison per decision, no division. */
  nextDayStart = Number.NEGATIVE_INFINITY;
  tradingState = ACTIVE;
  /** Changes not yet published; drained by the edge after each tick, never by the hot path. */
  readonly changes: TradingStateChange[] = [];

  constructor(
    public symbolCount: number,
    sectorCount: number,
  ) {
    this.sym = new Float64Array(symbolCount * SYM_WIDTH);
    clearRows(this.sym, 0, symbolCount);
    this.sectorExpo = new Float64Array(sectorCount);
    this.realized = new Float64Array(symbolCount);
  }

  /** A symbol added by a patch, at index `i` (the next one): rows grow by half, amortised. */
  addSymbol(i: number): void {
    if ((i + 1) * SYM_WIDTH > this.sym.length) {
      const rows = Math.max(i + 1, Math.ceil((this.sym.length / SYM_WIDTH) * 1.5));
      const sym = new Float64Array(rows * SYM_WIDTH);
      sym.set(this.sym);
      clearRows(sym, this.sym.length / SYM_WIDTH, rows);
      const realized = new Float64Array(rows);
      realized.set(this.realized);
      this.sym = sym;
      this.realized = realized;
    }
    this.symbolCount = i + 1;
  }

  /**
   * A symbol removed by a patch (it had no position): the last symbol's state moves from `from`
   * into its index `to`, as the Snapshot's did (config/snapshot-writer.ts). Totals do not change.
   */
  removeSymbol(to: number, from: number): void {
    if (from !== to) {
      this.sym.copyWithin(to * SYM_WIDTH, from * SYM_WIDTH, (from + 1) * SYM_WIDTH);
      this.realized[to] = this.realized[from]!;
    }
    clearRows(this.sym, from, from + 1);
    this.realized[from] = 0;
    this.symbolCount = from;
  }

  /** A patch moved symbol `i` to another sector: its exposure moves with it. */
  moveSector(i: number, from: number, to: number): void {
    const o = i * SYM_WIDTH;
    const expo = Math.abs(this.sym[o + S_POS]!) * this.sym[o + S_MARK]!;
    if (expo === 0) return;
    this.sectorExpo[from] = this.sectorExpo[from]! - expo;
    this.sectorExpo[to] = this.sectorExpo[to]! + expo;
  }

  /** One slot of one symbol's row (edge use: reports, tests). */
  get(i: number, slot: number): number {
    return this.sym[i * SYM_WIDTH + slot]!;
  }

  position(i: number): number {
    return this.get(i, S_POS);
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
  rollDay(day: number, resetMinute: number): void {
    this.day = day;
    this.nextDayStart = dayStart(day + 1, resetMinute);
    this.dailyTrades = 0;
    this.realizedToday = 0;
    this.unrealizedAtDayStart = this.unrealized;
  }

  /**
   * The state for a new Snapshot: rows re-indexed by symbol name (a symbol that left the config
   * takes its state with it), totals recomputed. Runs at reload, off the hot path.
   */
  remap(from: Snapshot, to: Snapshot): RiskState {
    const next = new RiskState(to.symbolCount, to.sectors.length);
    if (sameSymbols(from, to)) {
      // The common reload (limits or one symbol's fields changed): rows keep their indices, so
      // the state is copied whole instead of looked up symbol by symbol.
      next.sym.set(this.sym.subarray(0, next.sym.length));
      next.realized.set(this.realized.subarray(0, next.realized.length));
    } else {
      for (let i = 0; i < from.symbolCount; i++) {
        const j = to.index.get(from.symbols[i]!);
        if (j === undefined) continue;
        next.sym.set(this.sym.subarray(i * SYM_WIDTH, (i + 1) * SYM_WIDTH), j * SYM_WIDTH);
        next.realized[j] = this.realized[i]!;
      }
    }
    next.dailyTrades = this.dailyTrades;
    next.realizedToday = this.realizedToday;
    next.day = this.day;
    next.nextDayStart = this.nextDayStart;
    if (Number.isFinite(this.day) && from.dayResetMinute !== to.dayResetMinute) {
      // The reset time changed: the current day ends at the first new reset after it began, and
      // is renumbered on the new clock so the next roll compares like with like.
      next.day = tradingDay(dayStart(this.day, from.dayResetMinute), to.dayResetMinute);
      next.nextDayStart = dayStart(next.day + 1, to.dayResetMinute);
    }
    next.tradingState = this.tradingState;
    next.changes.push(...this.changes);
    next.rebuildTotals(to);
    // Keep the day's P&L baseline so a reload neither creates nor hides a loss.
    next.unrealizedAtDayStart = this.unrealizedAtDayStart + (next.unrealized - this.unrealized);
    return next;
  }

  /** Recompute every running total from the rows. */
  rebuildTotals(snap: Snapshot): void {
    this.gross = 0;
    this.unrealized = 0;
    this.openPositions = 0;
    this.sectorExpo.fill(0);
    for (let i = 0; i < snap.symbolCount; i++) {
      const o = i * SYM_WIDTH;
      const pos = this.sym[o + S_POS]!;
      if (pos === 0) continue;
      const mark = this.sym[o + S_MARK]!;
      const expo = Math.abs(pos) * mark;
      this.gross += expo;
      this.unrealized += pos * (mark - this.sym[o + S_AVG]!);
      this.openPositions++;
      const sector = sectorOf(snap, i);
      this.sectorExpo[sector] = this.sectorExpo[sector]! + expo;
    }
  }
}

/** Rows [from, to) as a symbol's state starts: no position, no order seen, a full token bucket. */
function clearRows(sym: Float64Array, from: number, to: number): void {
  sym.fill(0, from * SYM_WIDTH, to * SYM_WIDTH);
  for (let o = from * SYM_WIDTH; o < to * SYM_WIDTH; o += SYM_WIDTH) {
    sym[o + S_DUP_TS] = Number.NEGATIVE_INFINITY;
    sym[o + S_TOKENS] = Number.NaN;
  }
}

/** Both snapshots list the same symbols in the same order (so their indices agree). */
function sameSymbols(a: Snapshot, b: Snapshot): boolean {
  if (a.symbols === b.symbols) return true;
  if (a.symbolCount !== b.symbolCount) return false;
  for (let i = 0; i < a.symbolCount; i++) if (a.symbols[i] !== b.symbols[i]) return false;
  return true;
}
