/**
 * A Worker's private lease of daily trades: total-lease.ts for the one total that carries a day.
 * The shared trades word is a 12-bit day tag over a 20-bit count (shared-state.ts); the count
 * includes every lease handed out, and a lease is valid only under the tag it was taken in: once
 * the word rolls to a newer day the lease is void (that day's trades are gone, as the word's are),
 * and a roll is still one CAS that starts the new day's count, now with a chunk for this Worker.
 *
 * Why no limit can be exceeded, and why one thread decides exactly as before: as in
 * total-lease.ts, count - own lease + 1 <= limit bounds the day's trades from above.
 */
import { DAY_MASK, H_TRADES, TRADES_BITS, TRADES_MAX, TRADES_UNSET } from "./shared-state.ts";
import { recallLeases } from "./total-lease.ts";

const CHUNK_DIV = 8;

export class TradeLease {
  private readonly W: Int32Array;
  /** Trades held, counted under `tag`. */
  private held = 0;
  private tag = -1;
  private lastRecall = Number.NEGATIVE_INFINITY;

  constructor(W: Int32Array) {
    this.W = W;
  }

  /**
   * Reserve one trade for a decision on day tag `myTag` under `max` trades a day (at most
   * TRADES_MAX - 1): the tag it was counted under, or -1 when the day is full. A newer day than
   * the word's starts from zero; an older one (a late signal) counts in the word's day.
   */
  take(myTag: number, max: number): number {
    const w = this.W[H_TRADES]!; // plain, as in total-lease.ts
    const tag = w >>> TRADES_BITS;
    if (this.held > 0 && tag === this.tag && w !== TRADES_UNSET && (w & TRADES_MAX) - this.held < max) {
      // The word's day is not older than the decision's (else it would be a roll): count it there.
      if (tag === myTag || ((myTag - tag) & DAY_MASK) >= 2048) {
        this.held--;
        return tag;
      }
    }
    return this.takeShared(myTag, max);
  }

  private takeShared(myTag: number, max: number): number {
    const W = this.W;
    for (;;) {
      const w = Atomics.load(W, H_TRADES);
      const tag = w >>> TRADES_BITS;
      const newer = w === TRADES_UNSET || (tag !== myTag && ((myTag - tag) & DAY_MASK) < 2048);
      const mine = !newer && tag === this.tag ? this.held : 0;
      const count = newer ? 0 : (w & TRADES_MAX) - mine;
      if (count >= max) {
        // Refused: the lease goes back too, and the others are asked for theirs (total-lease.ts).
        this.returnAll();
        this.lastRecall = recallLeases(W, this.lastRecall);
        return -1;
      }
      const t = newer ? myTag : tag;
      const chunk = Math.floor((max - count - 1) / CHUNK_DIV);
      if (Atomics.compareExchange(W, H_TRADES, w, (t << TRADES_BITS) | (count + 1 + chunk)) === w) {
        this.held = chunk;
        this.tag = t;
        return t;
      }
    }
  }

  /** Give back a trade reserved under `tag` (a later check refused the order). */
  give(tag: number): void {
    if (tag === this.tag) {
      this.held++;
      return;
    }
    // Taken under a tag the lease has since left: back to the word if it is still that day.
    const W = this.W;
    for (;;) {
      const w = Atomics.load(W, H_TRADES);
      if (w === TRADES_UNSET || w >>> TRADES_BITS !== tag || (w & TRADES_MAX) === 0) return;
      if (Atomics.compareExchange(W, H_TRADES, w, w - 1) === w) return;
    }
  }

  /** Give the lease back to the word, if the word is still on its day (else it is void). */
  returnAll(): void {
    const W = this.W;
    while (this.held > 0) {
      const w = Atomics.load(W, H_TRADES);
      if (w === TRADES_UNSET || w >>> TRADES_BITS !== this.tag) break;
      const n = Math.min(this.held, w & TRADES_MAX);
      if (Atomics.compareExchange(W, H_TRADES, w, w - n) === w) break;
    }
    this.held = 0;
  }

  /** Trades held (tests). */
  holding(): number {
    return this.held;
  }
}
