/**
 * The hot path for engine Workers: decide.ts's checks, in decide.ts's order, with the same reject
 * codes, over a Generation (the shared Snapshot) and a SharedRiskState that any number of threads
 * decide against at once. decide.ts stays the single-threaded engine; this file is its parallel.
 *
 * Reserve and release, with no lock (docs/architecture.md): a check on a shared counter is a
 * compare-and-swap that takes the capacity it checks (a daily trade, an open position, exposure,
 * a rate token), so two Workers can never both take the last unit. The totals (trades, open
 * positions, gross, sector) are taken from this thread's leases (risk/total-lease.ts), which are
 * taken from the shared words by CAS in chunks, so most decisions write no shared total. A later reject releases what
 * this decision took. What *frees* capacity (a reducing order's exposure, a closed position) is
 * applied only after every check has passed, never rolled back: capacity is never handed out
 * and taken back. The position is the commit point: one CAS from the position every check was
 * computed on to the new one; if another Worker moved it first, the position-dependent
 * reservations are released and the checks run again on the new position (lock-free: a retry
 * means another decision on the symbol succeeded).
 *
 * Exposure is valued at the symbol's reference price (shared-state.ts), so it is a function of the
 * position alone and the totals stay exactly the sum of the symbols' values whatever interleaving
 * the CASes take. decide.ts values at the last signal price; within the price collar the two
 * differ by at most price_collar_bps.
 */
import { I_REFERENCE_PRICE, INST_I32_WIDTH, INST_WIDTH, J_CLASS, METHOD_SCALED, ORDER_LIMIT } from "../config/snapshot.ts";
import { roundToLots, roundToTick } from "../risk/checks.ts";
import { dayStart, tradingDay } from "../risk/reset.ts";
import {
  DAY_MASK, H_GROSS, H_LOSS, H_OPEN, H_RECALL, H_STATE, LAST_UNSET, INT32_MAX, priceHash, SharedRiskState, SYM_I32, TAT_EMPTY, TRADES_MAX, wrapMs,
  Y_DUP_PX, Y_DUP_QTY, Y_DUP_TS, Y_LAST, Y_POS, Y_TAT, exposureUnits,
} from "../risk/shared-state.ts";
import { TotalLeases } from "../risk/total-lease.ts";
import { TradeLease } from "../risk/trade-lease.ts";
import { HALTED, REDUCING } from "../risk/trading-state.ts";
import { C_SEQ, C_VERSION, type Generation } from "../workers/generation.ts";
import { DecisionSlots } from "./decision-slots.ts";
import * as R from "./reasons.ts";
import type { Signal } from "./signal.ts";

/** Lease slots of the totals (total-lease.ts): open positions, gross, then sector k at L_SECTOR + k. */
const L_OPEN = 0;
const L_GROSS = 1;
const L_SECTOR = 2;

export class SharedDecider extends DecisionSlots {
  gen: Generation;
  readonly state: SharedRiskState;
  /** This thread's latest trading day on the signal clock, and when the next one starts. */
  private day = Number.NEGATIVE_INFINITY;
  private nextDayStart = Number.NEGATIVE_INFINITY;

  // Beside the order's slots (DecisionSlots): what the last decision read, its version and
  // instrument row, for the edge and the torn-read test.
  version = 0;
  row = -1;
  /** True when the last decision halted the engine (max_daily_loss): the edge records it. */
  halted = false;
  /** Times the position CAS lost to another Worker and the checks ran again (contention). */
  retries = 0;

  /** This thread's leases on the shared totals: most decisions write none of them. */
  private readonly totals: TotalLeases;
  private readonly trades: TradeLease;
  /** The recall count this thread last answered (shared-state.ts H_RECALL). */
  private recall = 0;
  /** Decisions since the last idleTick(). */
  private decided = 0;

  constructor(gen: Generation, state: SharedRiskState) {
    super();
    this.gen = gen;
    this.state = state;
    const words = [H_OPEN, H_GROSS];
    for (let k = 0; k < state.sectorCount; k++) words.push(state.sectorWord(k));
    this.totals = new TotalLeases(state.words, words);
    this.trades = new TradeLease(state.words);
  }

  /**
   * Give every lease back to the shared totals. Engine Workers call it at the end of each turn;
   * call it before reading the totals as exact usage (they include leases held).
   */
  returnLeases(): void {
    this.totals.returnAll();
    this.trades.returnAll();
  }

  /**
   * A timer tick: leases go back if nothing was decided since the last tick (an idle Worker holds
   * none). True when they went back: the Worker is idle and needs no further tick until it decides.
   */
  idleTick(): boolean {
    const idle = this.decided === 0;
    if (idle) this.returnLeases();
    this.decided = 0;
    return idle;
  }

  decide(s: Signal): number {
    const gen = this.gen;
    const snap = gen.snap;
    const W = this.state.words;
    this.marked = -1;
    this.halted = false;
    const i = snap.index.get(s.symbol);
    if (i === undefined) return R.UNKNOWN_SYMBOL;

    const side = s.side;
    const price = s.price;
    const strength = s.strength;
    const ts = s.ts;
    if ((side !== 1 && side !== -1) || !(price > 0) || price - price !== 0 || !(strength > 0 && strength <= 1) || ts - ts !== 0) {
      return R.INVALID_SIGNAL;
    }

    // One whole version: the row index and the version under one seqlock read (generation.ts).
    const ctl = gen.ctl;
    let r = 0;
    let version = 0;
    for (;;) {
      const s1 = Atomics.load(ctl, C_SEQ);
      r = Atomics.load(snap.row, i);
      version = Atomics.load(ctl, C_VERSION);
      if ((s1 & 1) === 0 && Atomics.load(ctl, C_SEQ) === s1) break;
    }
    this.version = version;
    this.row = r;
    const ref = snap.inst[r * INST_WIDTH + I_REFERENCE_PRICE]!;
    const cls = snap.instI32[r * INST_I32_WIDTH + J_CLASS]!;
    const pr = gen.hot[cls] ?? gen.hotClass(cls);
    const lot = pr.lotSize;
    const lotInv = pr.lotInv;
    const sector = pr.sector;

    if (ts >= this.nextDayStart) {
      const d = tradingDay(ts, snap.dayResetMinute);
      if (d > this.day) {
        this.day = d;
        this.nextDayStart = dayStart(d + 1, snap.dayResetMinute);
      }
    }
    // Plain int32 reads where no ordering is needed (never torn: int32 is the atomic unit).
    const tradingState = W[H_STATE]!;
    // Another Worker was refused by a total: give the leases back before deciding (total-lease.ts).
    const recall = W[H_RECALL]!;
    if (recall !== this.recall) {
      this.recall = recall;
      this.returnLeases();
    }
    this.decided++;
    if (tradingState === HALTED) return R.TRADING_HALTED;

    if (Math.abs(price - ref) * 10_000 > pr.priceCollarBps * ref) return R.PRICE_COLLAR;
    this.marked = i;

    // The daily loss is the journal writer's figure (it holds marks and fills), published after
    // every batch; the first Worker to see it over the limit halts everyone.
    if (W[H_LOSS]! > pr.maxDailyLoss) {
      if (Atomics.compareExchange(W, H_STATE, tradingState, HALTED) === tradingState) this.halted = true;
      return R.MAX_DAILY_LOSS;
    }

    // Reserve a trade: the word carries the day it counts, so rolling the day is the same CAS.
    const maxTrades = pr.maxDailyTrades < TRADES_MAX ? pr.maxDailyTrades : TRADES_MAX - 1;
    const tradeTag = this.trades.take(this.day & DAY_MASK, maxTrades);
    if (tradeTag < 0) return R.MAX_DAILY_TRADES;

    const size = pr.defaultSize * (pr.method === METHOD_SCALED ? strength : 1);
    const baseQty = roundToLots(size, lot, lotInv);
    if (baseQty <= 0) return this.releaseTrade(tradeTag, R.ZERO_QUANTITY);

    const q = this.state.symBase + i * SYM_I32;
    const orderType = pr.orderType;
    const limit = roundToTick(price * (side > 0 ? pr.buyFactor : pr.sellFactor), pr.tickSize, pr.tickInv, side);
    const px = orderType === ORDER_LIMIT ? limit : price;
    const maxSize = pr.maxSize < INT32_MAX ? pr.maxSize : INT32_MAX;
    let tokenTaken = false;
    const interval = Math.ceil(1000 / pr.maxOrdersPerSecond);
    const tw = wrapMs(ts);
    const pxHash = priceHash(px);
    for (;;) {
      // A plain read (Atomics.load is several ns here, docs/architecture.md): the commit CAS fails if it was stale.
      const pos = W[q + Y_POS]!;
      const absPos = Math.abs(pos);
      let qty = baseQty;
      const increases = pos === 0 || pos > 0 === side > 0;
      if (tradingState === REDUCING) {
        if (increases) return this.release(tradeTag, tokenTaken, q, interval, R.REDUCE_ONLY);
        if (qty > absPos) qty = roundToLots(absPos, lot, lotInv);
        if (qty <= 0) return this.release(tradeTag, tokenTaken, q, interval, R.ZERO_QUANTITY);
      }
      const room = maxSize - side * pos;
      if (qty > room) {
        qty = roundToLots(room, lot, lotInv);
        if (qty <= 0) return this.release(tradeTag, tokenTaken, q, interval, R.MAX_POSITION_SIZE);
      }
      if (!(px > 0)) return this.release(tradeTag, tokenTaken, q, interval, R.INVALID_SIGNAL);
      if (qty * px > pr.maxOrderNotional) return this.release(tradeTag, tokenTaken, q, interval, R.MAX_ORDER_NOTIONAL);

      // Position-dependent reservations: released and retaken if the position moves under us.
      let openTaken = false;
      if (pos === 0) {
        if (!this.totals.take(L_OPEN, 1, pr.maxPositions)) return this.release(tradeTag, tokenTaken, q, interval, R.MAX_POSITIONS);
        openTaken = true;
      }
      const next = pos + side * qty;
      const dExpo = exposureUnits(next, ref) - exposureUnits(pos, ref);
      if (dExpo > 0) {
        const code = this.reserveExposure(dExpo, pr.maxGrossExposure, sector, snap.sectorLimit[sector]!);
        if (code !== R.ACCEPTED) {
          if (openTaken) this.totals.give(L_OPEN, 1);
          return this.release(tradeTag, tokenTaken, q, interval, code);
        }
      }

      if (!tokenTaken) {
        // GCRA on the signal clock: a token is due when the arrival time is at most
        // (rate - 1) intervals ahead; checked, then the duplicate, then taken, so a duplicate
        // spends no token (as in decide.ts).
        const tolerance = (pr.maxOrdersPerSecond - 1) * interval;
        // A late signal is judged at the latest time the bucket has seen (see Y_LAST). That time
        // only moves forward, by CAS: written plainly, a Worker holding a stale time wrote it back
        // over a newer one and refused valid orders as max_orders_per_second (seen under load).
        let te = this.advanceLast(W, q, tw);
        let code: number = R.ACCEPTED;
        for (;;) {
          let tat = W[q + Y_TAT]!; // plain: the CAS below validates it
          let ahead = tat === TAT_EMPTY ? -1 : (tat - te) | 0;
          if (ahead > tolerance) {
            // Before refusing: another Worker may have moved the bucket to a later time after this
            // one read it. It stores that time before its TAT CAS, so reading TAT and then the time
            // (Atomics: ordered) gives a time at least as late as the TAT's.
            tat = Atomics.load(W, q + Y_TAT);
            const last = Atomics.load(W, q + Y_LAST);
            if (((last - te) | 0) > 0) te = last;
            ahead = tat === TAT_EMPTY ? -1 : (tat - te) | 0;
          }
          if (ahead > tolerance) {
            code = R.MAX_ORDERS_PER_SECOND;
            break;
          }
          if (
            // Duplicate detection is a comparison, not a reservation: plain reads and writes.
            W[q + Y_DUP_QTY] === next - pos && W[q + Y_DUP_PX] === pxHash && Math.abs((tw - W[q + Y_DUP_TS]!) | 0) < pr.duplicateWindowMs
          ) {
            code = R.DUPLICATE_ORDER;
            break;
          }
          const nt = ((ahead > 0 ? tat : te) + interval) | 0;
          if (Atomics.compareExchange(W, q + Y_TAT, tat, nt) === tat) {
            break;
          }
        }
        if (code !== R.ACCEPTED) {
          if (dExpo > 0) this.releaseExposure(dExpo, sector);
          if (openTaken) this.totals.give(L_OPEN, 1);
          return this.releaseTrade(tradeTag, code);
        }
        tokenTaken = true;
      }

      // Commit: the position moves from the one every check above was computed on.
      if (Atomics.compareExchange(W, q + Y_POS, pos, next) !== pos) {
        if (dExpo > 0) this.releaseExposure(dExpo, sector);
        if (openTaken) this.totals.give(L_OPEN, 1);
        this.retries++;
        continue;
      }
      // Now, and only now, what the order frees.
      if (dExpo < 0) {
        this.totals.free(L_GROSS, -dExpo);
        this.totals.free(L_SECTOR + sector, -dExpo);
      }
      if (next === 0) this.totals.free(L_OPEN, 1);
      W[q + Y_DUP_TS] = tw;
      W[q + Y_DUP_QTY] = next - pos;
      W[q + Y_DUP_PX] = pxHash;

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
  }

  /**
   * The time this signal is judged at: its own, moved into Y_LAST by CAS, when it is the newest
   * the bucket has seen (or the bucket was never used); else the latest, for a late signal.
   */
  private advanceLast(W: Int32Array, q: number, tw: number): number {
    let last = W[q + Y_LAST]!;
    for (;;) {
      if (last !== LAST_UNSET && ((tw - last) | 0) <= 0) return last;
      const seen = Atomics.compareExchange(W, q + Y_LAST, last, tw);
      if (seen === last) return tw;
      last = seen;
    }
  }

  /** Take `add` units of gross and of the sector's exposure, or neither. */
  private reserveExposure(add: number, maxGross: number, sector: number, sectorLimit: number): number {
    if (!this.totals.take(L_GROSS, add, maxGross)) return R.MAX_GROSS_EXPOSURE;
    if (!this.totals.take(L_SECTOR + sector, add, sectorLimit)) {
      this.totals.give(L_GROSS, add);
      return R.SECTOR_EXPOSURE;
    }
    return R.ACCEPTED;
  }

  private releaseExposure(add: number, sector: number): void {
    this.totals.give(L_GROSS, add);
    this.totals.give(L_SECTOR + sector, add);
  }

  /** Give back the trade reserved under `tag`, unless the day has rolled since (then it is gone). */
  private releaseTrade(tag: number, code: number): number {
    this.trades.give(tag);
    return code;
  }

  /** A reject after the retry loop began: the token too, when it was taken on an earlier pass. */
  private release(tag: number, tokenTaken: boolean, q: number, interval: number, code: number): number {
    if (tokenTaken) Atomics.sub(this.state.words, q + Y_TAT, interval);
    return this.releaseTrade(tag, code);
  }
}
