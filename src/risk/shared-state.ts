/**
 * The risk state shared by engine Workers (`keel serve --workers N`): one SharedArrayBuffer of
 * int32 words, read and written only with Atomics, so N threads can reserve against the same
 * limits with no lock and no message on the hot path. The single-threaded RiskState (state.ts)
 * stays what `keel serve` uses by default; this is the parallel layout, and
 * engine/shared-decide.ts is the decider over it.
 *
 * Why integers: Atomics work on integer typed arrays only (never Float64Array), and an int32
 * compare-and-swap is ~10 ns here where a BigInt64 one allocates (~40 ns). So every value a limit
 * is checked against has an integer unit (docs/architecture.md has the argument and the ranges):
 *   position       whole shares (sizing rounds to whole lots, lots are integers): exact
 *   exposure       whole currency units, each symbol's |position| x reference_price rounded UP;
 *                  a function of the position alone, so one CAS on the position keeps every
 *                  total consistent (see SharedDecider)
 *   daily loss     whole currency units, rounded up, published by the journal writer
 *   rate bucket    GCRA: the symbol's theoretical arrival time in ms, wrapping int32
 *   trades today   20 bits of count under a 12-bit day tag, in one word (a roll is one CAS)
 *
 * Layout (int32 words). Each scalar sits on its own 64-byte cache line, so Workers reserving one
 * counter do not invalidate another's line:
 *   line 0..5       trading state, trades word, open positions, gross exposure, daily loss, recall
 *   line 6..6+K     exposure per sector id
 *   then            SYM_I32 words per symbol: position, TAT, duplicate ts, qty, price hash, last ts
 * The totals count what is used plus the leases Workers hold (total-lease.ts, trade-lease.ts).
 */
import { referenceOf, sectorOf, type Snapshot } from "../config/snapshot.ts";
import { ACTIVE } from "./trading-state.ts";

/** int32 words per cache line: scalars are this far apart. */
const LINE = 16;
export const H_STATE = 0;
export const H_TRADES = LINE;
export const H_OPEN = 2 * LINE;
export const H_GROSS = 3 * LINE;
export const H_LOSS = 4 * LINE;
/**
 * The recall count: a Worker refused by a total adds one, and every Worker that sees it change
 * gives its leases back before its next decision (total-lease.ts). Written only on refusals.
 */
export const H_RECALL = 5 * LINE;
const HEADER_LINES = 6;

/** Per-symbol words. */
export const Y_POS = 0;
/** GCRA theoretical arrival time, ms on the signal clock modulo 2^32; TAT_EMPTY = never used. */
export const Y_TAT = 1;
export const Y_DUP_TS = 2;
export const Y_DUP_QTY = 3;
/** A 32-bit hash of the last order's price (duplicate detection compares it, not the float). */
export const Y_DUP_PX = 4;
/**
 * The latest signal time the symbol's bucket was checked at (wrapped ms). A late signal is judged
 * at this time, not its own, as decide.ts judges it at the bucket's last refill: it spends a
 * token if one is left and is never refused for being late. It only moves forward, by CAS
 * (SharedDecider.advanceLast): LAST_UNSET until the bucket's first signal.
 */
export const Y_LAST = 5;
export const LAST_UNSET = -2147483648;
/**
 * A row's 6 used words (24 bytes) are 96 bytes apart from the next row's, so no two symbols share
 * a cache line whatever the buffer's alignment (JavaScript does not say where a buffer starts:
 * a 64-byte row straddles two lines when the buffer starts 48 bytes into one, and then shares
 * one with its neighbour). With 8-word rows two symbols always shared a line, and Workers
 * trading different symbols wrote the same line (2 Workers at 0.65x of 1 on their own symbols).
 * The header scalars need no more than LINE apart: two words 64 bytes apart never share a line.
 */
export const SYM_I32 = 24;

export const TAT_EMPTY = -2147483648;
export const INT32_MAX = 2147483647;
/** Trades word: count in the low 20 bits, day number modulo 4096 in the high 12. */
export const TRADES_BITS = 20;
export const TRADES_MAX = (1 << TRADES_BITS) - 1;
export const DAY_MASK = 0xfff;
/** The trades word before any day: every day is newer than it. */
export const TRADES_UNSET = -1;

/** The largest integer limit the shared state can enforce; larger limits are clamped to it. */
export function clampLimit(x: number): number {
  return x > INT32_MAX ? INT32_MAX : x;
}

/** A symbol's exposure in whole currency units: |pos| x reference, rounded up (never under). */
export function exposureUnits(pos: number, reference: number): number {
  return Math.ceil(Math.abs(pos) * reference);
}

/** Day tag and count as one trades word. */
export function tradesWord(day: number, count: number): number {
  return ((day & DAY_MASK) << TRADES_BITS) | count;
}

/** The signal clock as int32 ms (modulo 2^32): differences are exact within 24.8 days. */
export function wrapMs(ts: number): number {
  const t = Math.floor(ts);
  return (t - Math.floor(t / 4294967296) * 4294967296) | 0;
}

/** A 32-bit hash of a float64 price for duplicate detection (equal prices, equal hashes). */
const PX = new Float64Array(1);
const PX32 = new Int32Array(PX.buffer);
export function priceHash(px: number): number {
  PX[0] = px;
  return (PX32[0]! ^ Math.imul(PX32[1]!, 0x9e3779b1)) | 0;
}

export class SharedRiskState {
  readonly words: Int32Array;
  readonly symbolCount: number;
  readonly sectorCount: number;
  /** Index of the first per-symbol word. */
  readonly symBase: number;

  /** A zeroed state, or a view over an existing buffer (a Worker's side). */
  constructor(symbolCount: number, sectorCount: number, buffer?: SharedArrayBuffer) {
    this.symbolCount = symbolCount;
    this.sectorCount = sectorCount;
    this.symBase = (HEADER_LINES + sectorCount) * LINE;
    const length = this.symBase + symbolCount * SYM_I32;
    if (buffer !== undefined) {
      if (buffer.byteLength !== length * 4) throw new Error(`shared risk state: ${buffer.byteLength} bytes, expected ${length * 4}`);
      this.words = new Int32Array(buffer);
      return;
    }
    this.words = new Int32Array(new SharedArrayBuffer(length * 4));
    for (let i = 0; i < symbolCount; i++) {
      this.words[this.symBase + i * SYM_I32 + Y_TAT] = TAT_EMPTY;
      this.words[this.symBase + i * SYM_I32 + Y_LAST] = LAST_UNSET;
    }
    this.words[H_STATE] = ACTIVE;
    this.words[H_TRADES] = TRADES_UNSET;
  }

  get buffer(): SharedArrayBuffer {
    return this.words.buffer as SharedArrayBuffer;
  }

  /** Word index of sector k's exposure. */
  sectorWord(k: number): number {
    return (HEADER_LINES + k) * LINE;
  }

  /** Word index of symbol i's row. */
  symWord(i: number): number {
    return this.symBase + i * SYM_I32;
  }

  position(i: number): number {
    return Atomics.load(this.words, this.symWord(i) + Y_POS);
  }

  tradingState(): number {
    return Atomics.load(this.words, H_STATE);
  }

  setTradingState(s: number): void {
    Atomics.store(this.words, H_STATE, s);
  }

  /** Today's trades count (of whichever day the word is tagged with). */
  dailyTrades(): number {
    const w = Atomics.load(this.words, H_TRADES);
    return w === TRADES_UNSET ? 0 : w & TRADES_MAX;
  }

  openPositions(): number {
    return Atomics.load(this.words, H_OPEN);
  }

  gross(): number {
    return Atomics.load(this.words, H_GROSS);
  }

  sectorExposure(k: number): number {
    return Atomics.load(this.words, this.sectorWord(k));
  }

  /** Publish the daily loss (positive = a loss), whole currency units rounded up. */
  publishLoss(loss: number): void {
    const u = Math.ceil(loss);
    Atomics.store(this.words, H_LOSS, u > INT32_MAX ? INT32_MAX : u < -INT32_MAX ? -INT32_MAX : u);
  }

  /** Every symbol's exposure recomputed from its position: what the totals must equal. */
  expectedTotals(snap: Snapshot): { gross: number; sectors: number[]; open: number } {
    const sectors = new Array<number>(this.sectorCount).fill(0);
    let gross = 0;
    let open = 0;
    for (let i = 0; i < this.symbolCount; i++) {
      const pos = this.position(i);
      if (pos === 0) continue;
      open++;
      const e = exposureUnits(pos, referenceOf(snap, i));
      gross += e;
      const k = sectorOf(snap, i);
      sectors[k] = sectors[k]! + e;
    }
    return { gross, sectors, open };
  }
}
