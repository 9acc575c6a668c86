/**
 * Per-symbol and per-day state the journal keeps beside its event rows: each symbol's latest
 * mark and each day's daily-loss baseline. They are upserts, not events: a batch that marks a
 * symbol a thousand times writes one row for it. Buffered like the journal's rows and written
 * in the journal's transaction (row-writer.ts), so they commit or roll back with the events they
 * explain.
 */
import { M_W } from "./row-batch.ts";

export class StateRows {
  private readonly markAt = new Map<string, number>();
  readonly mSym: string[] = [];
  mNum = new Float64Array(M_W * 256);
  mN = 0;
  readonly dayKeys: number[] = [];
  readonly dayVals: number[] = [];

  /** Rows buffered (one per symbol, one per day). */
  get pending(): number {
    return this.mN + this.dayKeys.length;
  }

  /** The latest mark of a symbol in this batch replaces an earlier one. */
  mark(symbol: string, price: number, ts: number, seq: number): void {
    let k = this.markAt.get(symbol);
    if (k === undefined) {
      k = this.mN++;
      this.markAt.set(symbol, k);
      this.mSym[k] = symbol;
      if (M_W * this.mN > this.mNum.length) {
        const b = new Float64Array(this.mNum.length * 2);
        b.set(this.mNum);
        this.mNum = b;
      }
    }
    this.mNum[M_W * k] = price;
    this.mNum[M_W * k + 1] = ts;
    this.mNum[M_W * k + 2] = seq;
  }

  dayStart(day: number, unrealized: number): void {
    this.dayKeys.push(day);
    this.dayVals.push(unrealized);
  }

  /** Forget the batch (after a commit, or a failed one). */
  clear(): void {
    this.markAt.clear();
    this.mN = 0;
    this.dayKeys.length = 0;
    this.dayVals.length = 0;
  }
}
