/**
 * The hot path: one signal in, one reason code out (ACCEPTED or a reject), with the order's
 * fields left in this object's scratch slots for the caller to copy.
 *
 * Rules (DESIGN.md): no validation of config, no logging, no await, no exceptions, no allocation
 * in the steady state, O(1) in the number of symbols. Every limit is read from the Snapshot's
 * typed arrays; every counter from RiskState's. Checks run in a fixed order, cheapest and most
 * fundamental first, and the first that fails names the reject:
 *
 *   unknown_symbol, invalid_signal, trading_halted, price_collar, max_daily_loss (after marking
 *   the price), max_daily_trades, zero_quantity, reduce_only, max_position_size (clips first,
 *   rejects only a clip to zero), max_order_notional, max_positions, max_gross_exposure,
 *   sector_exposure, max_orders_per_second, duplicate_order.
 */
import { I_REFERENCE_PRICE, INST_I32_WIDTH, INST_WIDTH, J_CLASS, K_SECTOR, METHOD_SCALED, ORDER_LIMIT, classField, type Snapshot } from "../config/snapshot.ts";
import type { SymbolChange } from "../config/snapshot-writer.ts";
import { HALTED, REDUCING } from "../risk/trading-state.ts";
import { RiskState, SYM_WIDTH, S_AVG, S_DUP_PRICE, S_DUP_QTY, S_DUP_TS, S_MARK, S_POS, S_TOKENS, S_TOKEN_TS } from "../risk/state.ts";
import { roundToLots, roundToTick } from "../risk/checks.ts";
import { applyFill, type PositionState } from "../risk/position.ts";
import { tradingDay } from "../risk/reset.ts";
import * as R from "./reasons.ts";
import type { Signal } from "./signal.ts";

export class Decider {
  snap: Snapshot;
  state: RiskState;
  /** The config version the current Snapshot belongs to; every decision carries it. */
  version: number;

  // The last accepted order, written by decide() instead of allocating one.
  symbolIndex = -1;
  side = 0;
  qty = 0;
  price = 0;
  orderType = 0;
  tif = 0;
  slippageBps = 0;
  ts = 0;
  /** The symbol whose mark the last decision moved, or -1: the edge journals marks from it. */
  marked = -1;

  constructor(snap: Snapshot, version: number, state: RiskState = new RiskState(snap.symbolCount, snap.sectors.length)) {
    this.snap = snap;
    this.version = version;
    this.state = state;
  }

  /** Swap in a new version: one reference assignment for the config, a remap for the state. */
  load(snap: Snapshot, version: number): void {
    this.state = this.state.remap(this.snap, snap);
    this.snap = snap;
    this.version = version;
  }

  /** Swap in a one-symbol patch of the current version: only that symbol's state is touched. */
  patch(snap: Snapshot, version: number, change: SymbolChange): void {
    const st = this.state;
    if (change.kind === "add") st.addSymbol(change.index);
    else if (change.kind === "delete") st.removeSymbol(change.index, change.from);
    else if (change.kind === "update") {
      const sector = classField(snap, change.index, K_SECTOR);
      if (sector !== change.oldSector) st.moveSector(change.index, change.oldSector, sector);
    }
    this.snap = snap;
    this.version = version;
  }

  /** Decide one signal. Returns R.ACCEPTED (order fields in this object) or a reject code. */
  decide(s: Signal): number {
    const snap = this.snap;
    const st = this.state;
    const i = snap.index.get(s.symbol);
    if (i === undefined) return R.UNKNOWN_SYMBOL;

    const side = s.side;
    const price = s.price;
    const strength = s.strength;
    const ts = s.ts;
    // `x - x === 0` is false exactly for NaN and +/-Infinity.
    if ((side !== 1 && side !== -1) || !(price > 0) || price - price !== 0 || !(strength > 0 && strength <= 1) || ts - ts !== 0) {
      return R.INVALID_SIGNAL;
    }

    // The symbol's row (reference price, class id), then its class: profile values, sector, tick, lot.
    const r = snap.row[i]!;
    const ref = snap.inst[r * INST_WIDTH + I_REFERENCE_PRICE]!;
    const pr = snap.hot[snap.instI32[r * INST_I32_WIDTH + J_CLASS]!]!;
    const lot = pr.lotSize;
    const lotInv = pr.lotInv;
    const sector = pr.sector;

    if (ts >= st.nextDayStart) {
      const day = tradingDay(ts, snap.dayResetMinute);
      if (day > st.day) st.rollDay(day, snap.dayResetMinute);
    }
    if (st.tradingState === HALTED) return R.TRADING_HALTED;

    // Collar before marking, so an outlier price never becomes the mark.
    if (Math.abs(price - ref) * 10_000 > pr.priceCollarBps * ref) return R.PRICE_COLLAR;

    // Mark this symbol at the signal price; totals move by this symbol's change only.
    const S = st.sym;
    const q = i * SYM_WIDTH;
    const pos = S[q + S_POS]!;
    const absPos = Math.abs(pos);
    if (pos !== 0) {
      const move = price - S[q + S_MARK]!;
      st.gross += absPos * move;
      st.sectorExpo[sector] = st.sectorExpo[sector]! + absPos * move;
      st.unrealized += pos * move;
    }
    S[q + S_MARK] = price;
    this.marked = i;
    // Portfolio-wide: a loss realised on another symbol, or made by fills, counts here too.
    if (st.unrealizedAtDayStart - st.realizedToday - st.unrealized > pr.maxDailyLoss) {
      st.setTradingState(HALTED, "max_daily_loss", ts);
      return R.MAX_DAILY_LOSS;
    }

    if (st.dailyTrades >= pr.maxDailyTrades) return R.MAX_DAILY_TRADES;

    // Branch-free where the branch would follow random data (method, lot, side): a mispredicted
    // branch costs more than the arithmetic it skips.
    const size = pr.defaultSize * (pr.method === METHOD_SCALED ? strength : 1);
    let qty = roundToLots(size, lot, lotInv);
    if (qty <= 0) return R.ZERO_QUANTITY;

    // Opening, or adding to, a position increases exposure; anything else reduces it.
    const increases = pos === 0 || pos > 0 === side > 0;
    if (st.tradingState === REDUCING) {
      if (increases) return R.REDUCE_ONLY;
      if (qty > absPos) qty = roundToLots(absPos, lot, lotInv); // reduce, never flip
      if (qty <= 0) return R.ZERO_QUANTITY;
    }

    // The largest qty that keeps |pos + side*qty| within the limit; a reducing order always has room.
    const room = pr.maxSize - side * pos;
    if (qty > room) {
      qty = roundToLots(room, lot, lotInv);
      if (qty <= 0) return R.MAX_POSITION_SIZE;
    }

    const orderType = pr.orderType;
    const limit = roundToTick(price * (side > 0 ? pr.buyFactor : pr.sellFactor), pr.tickSize, pr.tickInv, side);
    const px = orderType === ORDER_LIMIT ? limit : price;
    if (!(px > 0)) return R.INVALID_SIGNAL;

    if (qty * px > pr.maxOrderNotional) return R.MAX_ORDER_NOTIONAL;
    if (pos === 0 && st.openPositions >= pr.maxPositions) return R.MAX_POSITIONS;

    const grow = Math.abs(pos + side * qty) - absPos;
    if (grow > 0) {
      const add = grow * price;
      if (st.gross + add > pr.maxGrossExposure) return R.MAX_GROSS_EXPOSURE;
      if (st.sectorExpo[sector]! + add > snap.sectorLimit[sector]!) return R.SECTOR_EXPOSURE;
    }

    // Token bucket per symbol on the signal clock: burst and refill rate are both the limit.
    // Counted in thousandths of a token, so a refill of (elapsed ms * rate) is exact.
    const cap = pr.bucketMilli;
    let tokens = S[q + S_TOKENS]!;
    const lastTs = S[q + S_TOKEN_TS]!;
    if (tokens !== tokens) tokens = cap; // NaN: first order for this symbol, bucket full
    else if (ts > lastTs) tokens = Math.min(cap, tokens + (ts - lastTs) * pr.maxOrdersPerSecond);
    S[q + S_TOKENS] = tokens;
    S[q + S_TOKEN_TS] = ts > lastTs ? ts : lastTs;
    if (tokens < 1000) return R.MAX_ORDERS_PER_SECOND;

    const signedQty = side * qty;
    // Within the window on either side: a copy that arrives late (older ts) is still a copy, and
    // a window of 0 turns the check off.
    if (S[q + S_DUP_QTY] === signedQty && S[q + S_DUP_PRICE] === px && Math.abs(ts - S[q + S_DUP_TS]!) < pr.duplicateWindowMs) {
      return R.DUPLICATE_ORDER;
    }

    S[q + S_TOKENS] = tokens - 1000;
    S[q + S_DUP_TS] = ts;
    S[q + S_DUP_QTY] = signedQty;
    S[q + S_DUP_PRICE] = px;
    st.dailyTrades++;

    this.symbolIndex = i;
    this.side = side;
    this.qty = qty;
    this.price = px;
    this.orderType = orderType;
    this.tif = pr.tif;
    this.slippageBps = pr.maxSlippageBps;
    this.ts = ts;
    return R.ACCEPTED;
  }

  /**
   * Roll the day and mark symbol i at `price` as decide() does, for a decision made elsewhere (an
   * engine Worker's, journaled here by the one writer: workers/pool.ts). Not the hot path.
   */
  markAt(i: number, price: number, ts: number): void {
    const snap = this.snap;
    const st = this.state;
    if (ts >= st.nextDayStart) {
      const day = tradingDay(ts, snap.dayResetMinute);
      if (day > st.day) st.rollDay(day, snap.dayResetMinute);
    }
    const S = st.sym;
    const q = i * SYM_WIDTH;
    const pos = S[q + S_POS]!;
    if (pos !== 0) {
      const move = price - S[q + S_MARK]!;
      const absPos = Math.abs(pos);
      const sector = classField(snap, i, K_SECTOR);
      st.gross += absPos * move;
      st.sectorExpo[sector] = st.sectorExpo[sector]! + absPos * move;
      st.unrealized += pos * move;
    }
    S[q + S_MARK] = price;
  }

  /** Reused by fill(): the position arithmetic works on a PositionState. */
  private readonly fillScratch: PositionState = { position: 0, avgPrice: 0, realized: 0 };

  /** Apply a fill to positions, average price, P&L and exposures (from the venue). */
  fill(i: number, side: number, qty: number, price: number): void {
    const snap = this.snap;
    const st = this.state;
    const S = st.sym;
    const q = i * SYM_WIDTH;
    const pos = S[q + S_POS]!;
    const absPos = Math.abs(pos);
    const avg = S[q + S_AVG]!;
    const p = this.fillScratch;
    p.position = pos;
    p.avgPrice = avg;
    p.realized = 0;
    applyFill(p, side, qty, price);
    const next = p.position;
    const nextAvg = p.avgPrice;
    if (p.realized !== 0) {
      st.realized[i] = st.realized[i]! + p.realized;
      st.realizedToday += p.realized;
    }
    if (pos === 0 && next !== 0) st.openPositions++;
    else if (pos !== 0 && next === 0) st.openPositions--;

    // A fill before any signal (a live venue after restart) marks at its own price.
    const mark = S[q + S_MARK]! > 0 ? S[q + S_MARK]! : price;
    const dExpo = (Math.abs(next) - absPos) * mark;
    st.gross += dExpo;
    const sector = classField(snap, i, K_SECTOR);
    st.sectorExpo[sector] = st.sectorExpo[sector]! + dExpo;
    st.unrealized += next * (mark - nextAvg) - pos * (mark - avg);
    S[q + S_POS] = next;
    S[q + S_AVG] = nextAvg;
    S[q + S_MARK] = mark;
  }
}
