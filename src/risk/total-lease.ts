/**
 * A Worker's private leases on the shared totals of shared-state.ts (open positions, gross
 * exposure, each sector's exposure): capacity taken from the shared word in chunks and then spent
 * with plain arithmetic on this thread, so most decisions write no shared total at all.
 *
 * Why: every accepted order reserved or freed each total with a CAS or an add on one shared cache
 * line. With two Workers that line moved between the cores on nearly every decision, and even on
 * one thread the atomics were a third of the decision (bench/workers.bench.ts).
 *
 * Why no limit can be exceeded: a shared total counts what is used plus every lease handed out
 * (a chunk is added by CAS before it is held, and given back after it is no longer held), so
 * usage <= total at every instant, and a chunk is taken only while the total stays within the
 * limit. A decision spends from its lease only when total - own lease + x <= limit: others' usage
 * and leases are all inside `total`, so this bounds usage + x from above. On one thread total -
 * own lease is the usage exactly, so decisions are those of the CAS-per-decision state.
 *
 * What it gives up: with several Workers a refusal can come early by what the other Workers hold.
 * Chunks are an eighth of the headroom left when taken (so they shrink to nothing near a limit);
 * a Worker that would refuse gives its own lease back and adds one to the shared recall count,
 * and every Worker seeing the count change gives its leases back before its next decision
 * (SharedDecider); an engine Worker idle for a tick of its timer gives them back too
 * (workers/engine-worker.ts). So the early refusal lasts until the others' next decision (or,
 * for a thread refused again within the millisecond, until its next recall).
 * Giving leases back at the end of every event-loop turn was measured instead and cost more than
 * it saved: every turn then took and returned a chunk of each total on the contended lines.
 */
import { H_RECALL, INT32_MAX } from "./shared-state.ts";

/** A chunk is this fraction of the headroom left under the limit when it is taken. */
const CHUNK_DIV = 8;

/**
 * Ask every Worker for its leases (a refusal may have been caused by them), at most once a
 * millisecond per lease holder (`last`: its previous recall, ms): a Worker refused at a limit
 * over and over (a strategy at its max_positions all day) would otherwise make every Worker give
 * back and retake every lease on every decision. Returns the time of this recall.
 */
export function recallLeases(W: Int32Array, last: number): number {
  const now = performance.now();
  if (now - last < 1) return last;
  Atomics.add(W, H_RECALL, 1);
  return now;
}

export class TotalLeases {
  private readonly W: Int32Array;
  /** Word index in `W` of each leased total, by slot. */
  private readonly word: Int32Array;
  /** Units held, by slot (private to this thread). */
  private readonly held: Int32Array;
  /** Freed units kept beyond this are given back at once (twice the last chunk). */
  private readonly keep: Int32Array;
  /** When this holder last asked for a recall (ms). */
  private lastRecall = Number.NEGATIVE_INFINITY;

  constructor(W: Int32Array, words: readonly number[]) {
    this.W = W;
    this.word = Int32Array.from(words);
    this.held = new Int32Array(words.length);
    this.keep = new Int32Array(words.length);
  }

  /** Take `x` units of slot `s`'s total if usage stays within `limit`; false (nothing taken) if not. */
  take(s: number, x: number, limit: number): boolean {
    const h = this.held[s]!;
    const lim = limit < INT32_MAX ? limit : INT32_MAX;
    // A plain read: a stale total is one it really had while this lease was inside it, so the
    // decision linearizes there; Atomics.load would cost more than the rest of this function.
    if (h >= x && this.W[this.word[s]!]! - h + x <= lim) {
      this.held[s] = h - x;
      return true;
    }
    return this.takeShared(s, x, lim);
  }

  /** The slow path: give back what is held and take x plus a new chunk, in one CAS. */
  private takeShared(s: number, x: number, lim: number): boolean {
    const W = this.W;
    const w = this.word[s]!;
    const h = this.held[s]!;
    for (;;) {
      const cur = Atomics.load(W, w);
      const base = cur - h + x;
      if (base > lim) {
        // Refused: the lease goes back too, and the others are asked for theirs.
        if (h > 0) Atomics.sub(W, w, h);
        this.held[s] = 0;
        this.lastRecall = recallLeases(W, this.lastRecall);
        return false;
      }
      const chunk = Math.floor((lim - base) / CHUNK_DIV);
      if (Atomics.compareExchange(W, w, cur, base + chunk) === cur) {
        this.held[s] = chunk;
        this.keep[s] = 2 * chunk;
        return true;
      }
    }
  }

  /** Give back `x` units this decision took (a later check refused it): kept in the lease. */
  give(s: number, x: number): void {
    this.held[s] = this.held[s]! + x;
  }

  /** Units an order freed: kept in the lease up to `keep`, the excess returned to the total. */
  free(s: number, x: number): void {
    const h = this.held[s]! + x;
    const k = this.keep[s]!;
    if (h > k) {
      Atomics.sub(this.W, this.word[s]!, h - k);
      this.held[s] = k;
    } else {
      this.held[s] = h;
    }
  }

  /** Give every lease back to its total (end of a turn, before counters are read exactly). */
  returnAll(): void {
    for (let s = 0; s < this.held.length; s++) {
      const h = this.held[s]!;
      if (h > 0) {
        Atomics.sub(this.W, this.word[s]!, h);
        this.held[s] = 0;
      }
    }
  }

  /** Units held in slot `s` (tests). */
  holding(s: number): number {
    return this.held[s]!;
  }
}
