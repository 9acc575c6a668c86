/**
 * Per-symbol and per-day state the journal keeps beside its event rows: each symbol's latest
 * mark and each day's daily-loss baseline. They are upserts, not events: a batch that marks a
 * symbol a thousand times writes one row for it. Buffered like the journal's rows and written
 * inside the journal's transaction, so they commit or roll back with the events they explain.
 */
import type { Database, Statement } from "bun:sqlite";

export class StateRows {
  private readonly markAt = new Map<string, number>();
  private mSym: string[] = [];
  private mNum = new Float64Array(3 * 256);
  private mN = 0;
  private dayKeys: number[] = [];
  private dayVals: number[] = [];
  private readonly upMark: Statement;
  private readonly upDay: Statement;

  constructor(db: Database) {
    this.upMark = db.prepare(
      "INSERT INTO marks (symbol, price, ts, seq) VALUES (?, ?, ?, ?) ON CONFLICT(symbol) DO UPDATE SET price = excluded.price, ts = excluded.ts, seq = excluded.seq",
    );
    this.upDay = db.prepare("INSERT INTO day_starts (day, unrealized) VALUES (?, ?) ON CONFLICT(day) DO UPDATE SET unrealized = excluded.unrealized");
  }

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
      if (3 * this.mN > this.mNum.length) {
        const b = new Float64Array(this.mNum.length * 2);
        b.set(this.mNum);
        this.mNum = b;
      }
    }
    this.mNum[3 * k] = price;
    this.mNum[3 * k + 1] = ts;
    this.mNum[3 * k + 2] = seq;
  }

  dayStart(day: number, unrealized: number): void {
    this.dayKeys.push(day);
    this.dayVals.push(unrealized);
  }

  /** Write the buffered rows; call inside the journal's transaction. */
  write(): void {
    for (let k = 0; k < this.mN; k++) this.upMark.run(this.mSym[k]!, this.mNum[3 * k]!, this.mNum[3 * k + 1]!, this.mNum[3 * k + 2]!);
    for (let k = 0; k < this.dayKeys.length; k++) this.upDay.run(this.dayKeys[k]!, this.dayVals[k]!);
  }

  /** Forget the batch (after a commit, or a failed one). */
  clear(): void {
    this.markAt.clear();
    this.mN = 0;
    this.dayKeys.length = 0;
    this.dayVals.length = 0;
  }

  finalize(): void {
    this.upMark.finalize();
    this.upDay.finalize();
  }
}
