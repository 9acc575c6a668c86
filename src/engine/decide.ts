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
import {
  IF_LOT_SIZE, IF_REFERENCE_PRICE, IF_TICK_SIZE, II_PROFILE, II_SECTOR, INST_F64, INST_I32, METHOD_SCALED,
  ORDER_LIMIT, PROFILE_WIDTH, P_DEFAULT_SIZE, P_DUPLICATE_WINDOW_MS, P_LIMIT_OFFSET_BPS, P_MAX_DAILY_LOSS,
  P_MAX_DAILY_TRADES, P_MAX_GROSS_EXPOSURE, P_MAX_ORDERS_PER_SECOND, P_MAX_ORDER_NOTIONAL, P_MAX_POSITIONS,
  P_MAX_SIZE, P_MAX_SLIPPAGE_BPS, P_METHOD, P_ORDER_TYPE, P_PRICE_COLLAR_BPS, P_TIF, type Snapshot,
} from "../config/snapshot.ts";
import { HALTED, REDUCING } from "../risk/trading-state.ts";
import { RiskState } from "../risk/state.ts";
import { roundToTick } from "../risk/checks.ts";
import * as R from "./reasons.ts";
import type { Signal } from "./signal.ts";

const DAY_MS = 86_400_000;
// Tolerance for float noise in `size / lot` (0.29 * 100 = 28.999999999999996 is 29 lots).
const EPS = 1e-9;

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

    const r = snap.row[i]!;
    const f = r * INST_F64;
    const k = r * INST_I32;
    const inst = snap.instF64;
    const ref = inst[f + IF_REFERENCE_PRICE]!;
    const tick = inst[f + IF_TICK_SIZE]!;
    const lot = inst[f + IF_LOT_SIZE]!;
    const sector = snap.instI32[k + II_SECTOR]!;
    const p = snap.instI32[k + II_PROFILE]! * PROFILE_WIDTH;
    const P = snap.profiles;

    const day = Math.floor((ts - snap.dayResetMinute * 60_000) / DAY_MS);
    if (day > st.day) st.rollDay(day);
    if (st.tradingState === HALTED) return R.TRADING_HALTED;

    // Collar before marking, so an outlier price never becomes the mark.
    if (Math.abs(price - ref) * 10_000 > P[p + P_PRICE_COLLAR_BPS]! * ref) return R.PRICE_COLLAR;

    // Mark this symbol at the signal price: O(1) updates of the running totals.
    const pos = st.pos[i]!;
    const absPos = Math.abs(pos);
    const expo = absPos * price;
    const unrl = pos * (price - st.avg[i]!);
    const dExpo = expo - st.expo[i]!;
    st.gross += dExpo;
    if (sector >= 0) st.sectorExpo[sector] = st.sectorExpo[sector]! + dExpo;
    st.unrealized += unrl - st.unrl[i]!;
    st.mark[i] = price;
    st.expo[i] = expo;
    st.unrl[i] = unrl;
    if (-(st.realizedToday + st.unrealized - st.unrealizedAtDayStart) > P[p + P_MAX_DAILY_LOSS]!) {
      st.setTradingState(HALTED, "max_daily_loss", ts);
      return R.MAX_DAILY_LOSS;
    }

    if (st.dailyTrades >= P[p + P_MAX_DAILY_TRADES]!) return R.MAX_DAILY_TRADES;

    let size = P[p + P_DEFAULT_SIZE]!;
    if (P[p + P_METHOD] === METHOD_SCALED) size *= strength;
    let qty = Math.floor(size / lot + EPS) * lot;
    if (qty <= 0) return R.ZERO_QUANTITY;

    // Opening, or adding to, a position increases exposure; anything else reduces it.
    const increases = pos === 0 || pos > 0 === side > 0;
    if (st.tradingState === REDUCING) {
      if (increases) return R.REDUCE_ONLY;
      if (qty > absPos) qty = Math.floor(absPos / lot + EPS) * lot; // reduce, never flip
      if (qty <= 0) return R.ZERO_QUANTITY;
    }

    // The largest qty that keeps |pos + side*qty| within the limit; a reducing order always has room.
    const room = P[p + P_MAX_SIZE]! - side * pos;
    if (qty > room) {
      qty = Math.floor(room / lot + EPS) * lot;
      if (qty <= 0) return R.MAX_POSITION_SIZE;
    }

    const orderType = P[p + P_ORDER_TYPE]!;
    let px = price;
    if (orderType === ORDER_LIMIT) {
      px = roundToTick(price * (1 + (side * P[p + P_LIMIT_OFFSET_BPS]!) / 10_000), tick, side);
      if (!(px > 0)) return R.INVALID_SIGNAL;
    }

    if (qty * px > P[p + P_MAX_ORDER_NOTIONAL]!) return R.MAX_ORDER_NOTIONAL;
    if (pos === 0 && st.openPositions >= P[p + P_MAX_POSITIONS]!) return R.MAX_POSITIONS;

    const grow = Math.abs(pos + side * qty) - absPos;
    if (grow > 0) {
      const add = grow * price;
      if (st.gross + add > P[p + P_MAX_GROSS_EXPOSURE]!) return R.MAX_GROSS_EXPOSURE;
      if (sector >= 0 && st.sectorExpo[sector]! + add > snap.sectorLimit[sector]!) return R.SECTOR_EXPOSURE;
    }

    // Token bucket per symbol on the signal clock: burst and refill rate are both the limit.
    const rate = P[p + P_MAX_ORDERS_PER_SECOND]!;
    let tokens = st.tokens[i]!;
    const lastTs = st.tokenTs[i]!;
    if (tokens !== tokens) tokens = rate; // NaN: first order for this symbol, bucket full
    else if (ts > lastTs) tokens = Math.min(rate, tokens + ((ts - lastTs) * rate) / 1000);
    const bucketTs = ts > lastTs ? ts : lastTs;
    st.tokens[i] = tokens;
    st.tokenTs[i] = bucketTs;
    if (tokens < 1) return R.MAX_ORDERS_PER_SECOND;

    if (st.dupSide[i] === side && st.dupQty[i] === qty && st.dupPrice[i] === px && ts - st.dupTs[i]! < P[p + P_DUPLICATE_WINDOW_MS]!) {
      return R.DUPLICATE_ORDER;
    }

    st.tokens[i] = tokens - 1;
    st.dupTs[i] = ts;
    st.dupSide[i] = side;
    st.dupQty[i] = qty;
    st.dupPrice[i] = px;
    st.dailyTrades++;

    this.symbolIndex = i;
    this.side = side;
    this.qty = qty;
    this.price = px;
    this.orderType = orderType;
    this.tif = P[p + P_TIF]!;
    this.slippageBps = P[p + P_MAX_SLIPPAGE_BPS]!;
    this.ts = ts;
    return R.ACCEPTED;
  }

  /** Apply a fill to positions, average price, P&L and exposures (from the venue). */
  fill(i: number, side: number, qty: number, price: number): void {
    const snap = this.snap;
    const st = this.state;
    const pos = st.pos[i]!;
    const absPos = Math.abs(pos);
    const next = pos + side * qty;
    if (pos === 0 || pos > 0 === side > 0) {
      st.avg[i] = (st.avg[i]! * absPos + price * qty) / Math.abs(next);
    } else {
      const closed = qty < absPos ? qty : absPos;
      const pnl = closed * (price - st.avg[i]!) * (pos > 0 ? 1 : -1);
      st.realized[i] = st.realized[i]! + pnl;
      st.realizedToday += pnl;
      if (qty > absPos) st.avg[i] = price; // flipped: the remainder opens at the fill price
      else if (next === 0) st.avg[i] = 0;
    }
    st.pos[i] = next;
    if (pos === 0 && next !== 0) st.openPositions++;
    else if (pos !== 0 && next === 0) st.openPositions--;

    const mark = st.mark[i]! > 0 ? st.mark[i]! : price;
    const expo = Math.abs(next) * mark;
    const unrl = next * (mark - st.avg[i]!);
    const dExpo = expo - st.expo[i]!;
    st.gross += dExpo;
    const sector = snap.instI32[snap.row[i]! * INST_I32 + II_SECTOR]!;
    if (sector >= 0) st.sectorExpo[sector] = st.sectorExpo[sector]! + dExpo;
    st.unrealized += unrl - st.unrl[i]!;
    st.mark[i] = mark;
    st.expo[i] = expo;
    st.unrl[i] = unrl;
  }
}
