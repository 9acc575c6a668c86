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
import { K_SECTOR, METHOD_SCALED, ORDER_LIMIT, classField, classOf, referenceOf, type HotProfile, type Snapshot } from "../config/snapshot.ts";
import type { SymbolChange } from "../config/snapshot-writer.ts";
import { HALTED, REDUCING } from "../risk/trading-state.ts";
import { RiskState, SYM_WIDTH, S_AVG, S_DUP_PRICE, S_DUP_QTY, S_DUP_TS, S_MARK, S_POS, S_TOKENS, S_TOKEN_TS } from "../risk/state.ts";
import { roundToLots, roundToTick } from "../risk/checks.ts";
import { applyFill, type PositionState } from "../risk/position.ts";
import { tradingDay } from "../risk/reset.ts";
import { DecisionSlots } from "./decision-slots.ts";
import * as R from "./reasons.ts";
import type { Signal } from "./signal.ts";

export class Decider extends DecisionSlots {
  private current: Snapshot;
  state: RiskState;
  /** The config version the current Snapshot belongs to; every decision carries it. */
  version: number;

  /**
   * This thread's view of the Snapshot per symbol, indexed like the risk state: the symbol's class
   * object and its reference price, one load each from the dense index. Through the Snapshot a
   * decision reached its class by four loads, each waiting on the one before (the row index, the
   * row's class id, the class array, the object), and that chain was the decision's critical path:
   * the view took 3-4 ns off a decision at 500 symbols and 10-15 ns at 100,000
   * (bench/engine.bench.ts, runs before and after). It is this thread's own, rebuilt on a full
   * load (O(symbols), as the state's remap is) and kept by patch() one symbol at a time; the
   * Snapshot stays the one truth.
   * Worker deciders cannot keep one: a patch reaches them by one Atomics.store, with no message.
   */
  private classes: HotProfile[] = [];
  private refs = new Float64Array(0);

  constructor(snap: Snapshot, version: number, state: RiskState = new RiskState(snap.symbolCount, snap.sectors.length)) {
    super();
    this.current = snap;
    this.version = version;
    this.state = state;
    this.view(snap);
  }

  /** The Snapshot decisions read. Setting it (a capped copy of the same version) rebuilds the view. */
  get snap(): Snapshot {
    return this.current;
  }

  set snap(snap: Snapshot) {
    this.current = snap;
    this.view(snap);
  }

  /** Swap in a new version: one reference assignment for the config, a remap for the state. */
  load(snap: Snapshot, version: number): void {
    this.state = this.state.remap(this.current, snap);
    this.snap = snap;
    this.version = version;
  }

  /** Rebuild the per-symbol view of `snap` (see `classes`). */
  private view(snap: Snapshot): void {
    const n = snap.symbolCount;
    const classes: HotProfile[] = [];
    const refs = new Float64Array(Math.max(16, n));
    for (let i = 0; i < n; i++) {
      classes.push(snap.hot[classOf(snap, i)]!);
      refs[i] = referenceOf(snap, i);
    }
    this.classes = classes;
    this.refs = refs;
  }

  /** Symbol i's entry of the view, from `snap` (a patch's symbol; the view grows by half when full). */
  private viewSymbol(snap: Snapshot, i: number): void {
    if (i >= this.refs.length) {
      const refs = new Float64Array(Math.ceil((i + 1) * 1.5));
      refs.set(this.refs);
      this.refs = refs;
    }
    this.classes[i] = snap.hot[classOf(snap, i)]!;
    this.refs[i] = referenceOf(snap, i);
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
    this.current = snap;
    this.version = version;
    // The view, like the state: the changed symbol, or the one a delete moved into the freed index.
    if (change.kind !== "none" && change.index < snap.symbolCount) this.viewSymbol(snap, change.index);
    this.classes.length = snap.symbolCount;
  }

  /** Decide one signal. Returns R.ACCEPTED (order fields in this object) or a reject code. */
  decide(s: Signal): number {
    const snap = this.current;
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

    // The symbol's reference price and class (profile values, sector, tick, lot), from the view.
    const ref = this.refs[i]!;
    const pr = this.classes[i]!;
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
      const sector = this.classes[i]!.sector;
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
    const sector = this.classes[i]!.sector;
    st.sectorExpo[sector] = st.sectorExpo[sector]! + dExpo;
    st.unrealized += next * (mark - nextAvg) - pos * (mark - avg);
    S[q + S_POS] = next;
    S[q + S_AVG] = nextAvg;
    S[q + S_MARK] = mark;
  }
}
