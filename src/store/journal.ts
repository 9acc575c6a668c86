/**
 * The order journal's writer: group commit per event-loop tick.
 *
 * Appends copy the row's fields into column buffers that are reused from batch to batch (typed
 * arrays for numbers, plain arrays for strings), so the caller may reuse its row object and a
 * steady state allocates nothing per row. The first append of a tick schedules one flush; the
 * flush writes every buffered row with prepared statements inside ONE transaction, then runs the
 * waiters (`afterCommit` callbacks, `committed()` promises) in registration order. An ingest
 * reply registered after its order's append is therefore sent only once that row is durable.
 *
 * Scheduling: "immediate" (setImmediate, the default) commits once per event-loop turn, after
 * every socket that had data in that turn was processed: fewer, larger transactions. "microtask"
 * commits at the end of each callback (each socket's chunk): lower latency for one client, more
 * transactions under load. bench/store.bench.ts measures both.
 *
 * A failed commit (a constraint, disk full) rolls the whole batch back: none of its rows are
 * written, and every waiter that covers one of them gets the JournalCommitError.
 */
import type { Database } from "bun:sqlite";
import { JournalCommitError, StoreClosedError, StoreError } from "./errors.ts";
import { StateRows } from "./marks.ts";
import { F_W, O_W, RowWriter, S_W, type RowBatch } from "./row-writer.ts";
import type { CommitCallback, Journal, NewFill, NewOrder, NewStateChange } from "./store.ts";

export type FlushSchedule = "immediate" | "microtask";

export interface JournalOptions {
  /** When the end-of-tick flush runs (see the file comment). Default "immediate". */
  readonly schedule?: FlushSchedule;
  /** Commit early once this many rows are buffered in one tick, bounding memory. Default 65536. */
  readonly maxBatchRows?: number;
  /**
   * Failures nobody else hears of: a commit that failed outside an explicit flush() (which throws
   * instead), reported after the waiters had it; a commit callback that threw.
   */
  readonly onError?: (err: StoreError) => void;
  /** A batch committed: its rows (for metrics). */
  readonly onBatch?: (rows: number) => void;
}

const INITIAL_CAPACITY = 1024;

/** Grow a column buffer to hold at least `rows` rows of `width`. */
function grown(a: Float64Array<ArrayBuffer>, rows: number, width: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(Math.max(rows, (a.length / width) * 2) * width);
  b.set(a);
  return b;
}

export class SqliteJournal implements Journal {
  private seq: number;
  private readonly schedule: FlushSchedule;
  private readonly maxBatchRows: number;
  private readonly onError: (err: StoreError) => void;
  private readonly onBatch: ((rows: number) => void) | null;

  private oN = 0;
  private oNum = new Float64Array(INITIAL_CAPACITY * O_W);
  private readonly oId: string[] = [];
  private readonly oSym: string[] = [];
  private fN = 0;
  private fNum = new Float64Array(INITIAL_CAPACITY * F_W);
  private readonly fId: string[] = [];
  private readonly fSym: string[] = [];
  private sN = 0;
  private sNum = new Float64Array(64 * S_W);
  private readonly sFrom: string[] = [];
  private readonly sTo: string[] = [];
  private readonly sReason: string[] = [];
  /** Seq of the first row buffered since the last commit. */
  private batchFirst = 0;

  // Waiters and the seq each was registered at, double-buffered so a waiter may register another.
  private waiters: CommitCallback[] = [];
  private waiterSeq: number[] = [];
  private spareWaiters: CommitCallback[] | null = [];
  private spareSeq: number[] | null = [];
  /** The first seq lost by a failed commit since the last delivery, and that failure. */
  private lostFrom = Number.POSITIVE_INFINITY;
  private lostErr: JournalCommitError | null = null;

  private scheduled = false;
  private closed = false;
  private readonly state: StateRows;
  private hook: (() => void) | null = null;

  private readonly rows: RowWriter;
  private readonly writeTx: { immediate: () => void };

  constructor(
    db: Database,
    lastSeq: number,
    opts: JournalOptions = {},
  ) {
    this.seq = lastSeq;
    this.schedule = opts.schedule ?? "immediate";
    this.maxBatchRows = opts.maxBatchRows ?? 65536;
    this.onError = opts.onError ?? (() => {});
    this.onBatch = opts.onBatch ?? null;
    this.rows = new RowWriter(db);
    this.state = new StateRows();
    this.writeTx = db.transaction(() => this.rows.write(this.batch()));
  }

  get pending(): number {
    return this.oN + this.fN + this.sN + this.state.pending;
  }

  /** The last seq handed out. */
  get lastSeq(): number {
    return this.seq;
  }

  order(o: NewOrder): number {
    if (this.closed) throw new StoreClosedError("journal.order");
    this.boundBatch();
    const k = this.oN;
    if ((k + 1) * O_W > this.oNum.length) this.oNum = grown(this.oNum, k + 1, O_W);
    const seq = this.next();
    const a = this.oNum;
    const b = k * O_W;
    a[b] = seq;
    a[b + 1] = o.side;
    a[b + 2] = o.qty;
    a[b + 3] = o.price;
    a[b + 4] = o.orderType;
    a[b + 5] = o.tif;
    a[b + 6] = o.configVersion;
    a[b + 7] = o.signalPrice;
    a[b + 8] = o.ts;
    a[b + 9] = o.day;
    this.oId[k] = o.id;
    this.oSym[k] = o.symbol;
    this.oN = k + 1;
    this.appended();
    return seq;
  }

  fill(f: NewFill): number {
    if (this.closed) throw new StoreClosedError("journal.fill");
    const k = this.fN;
    if ((k + 1) * F_W > this.fNum.length) this.fNum = grown(this.fNum, k + 1, F_W);
    const seq = this.next();
    const a = this.fNum;
    const b = k * F_W;
    a[b] = seq;
    a[b + 1] = f.side;
    a[b + 2] = f.qty;
    a[b + 3] = f.price;
    a[b + 4] = f.ts;
    a[b + 5] = f.day;
    this.fId[k] = f.orderId;
    this.fSym[k] = f.symbol;
    this.fN = k + 1;
    this.appended();
    return seq;
  }

  stateChange(s: NewStateChange): number {
    if (this.closed) throw new StoreClosedError("journal.stateChange");
    const k = this.sN;
    if ((k + 1) * S_W > this.sNum.length) this.sNum = grown(this.sNum, k + 1, S_W);
    const seq = this.next();
    const b = k * S_W;
    this.sNum[b] = seq;
    this.sNum[b + 1] = s.ts;
    this.sNum[b + 2] = s.day;
    this.sFrom[k] = s.from;
    this.sTo[k] = s.to;
    this.sReason[k] = s.reason;
    this.sN = k + 1;
    this.appended();
    return seq;
  }

  mark(symbol: string, price: number, ts: number): void {
    if (this.closed) throw new StoreClosedError("journal.mark");
    // Stamped with the last seq handed out: every row appended so far is at or before it.
    this.state.mark(symbol, price, ts, this.seq);
    if (!this.scheduled) this.scheduleFlush();
  }

  dayStart(day: number, unrealized: number): void {
    if (this.closed) throw new StoreClosedError("journal.dayStart");
    this.state.dayStart(day, unrealized);
    if (!this.scheduled) this.scheduleFlush();
  }

  beforeCommit(fn: (() => void) | null): void {
    this.hook = fn;
  }

  afterCommit(cb: CommitCallback): void {
    if (this.closed) throw new StoreClosedError("journal.afterCommit");
    this.waiters.push(cb);
    this.waiterSeq.push(this.seq);
    if (!this.scheduled) this.scheduleFlush();
  }

  committed(): Promise<void> {
    return new Promise((resolve, reject) => this.afterCommit((err) => (err === null ? resolve() : reject(err))));
  }

  flush(): void {
    const err = this.commit();
    this.deliver();
    if (err !== null) throw err;
  }

  /** Flush what is buffered and refuse further appends; throws JournalCommitError if that last commit fails. */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      this.closed = true;
      this.rows.finalize();
    }
  }

  private next(): number {
    const seq = ++this.seq;
    if (this.oN + this.fN + this.sN === 0) this.batchFirst = seq;
    return seq;
  }

  private appended(): void {
    if (!this.scheduled) this.scheduleFlush();
  }

  /**
   * A huge synchronous burst (a replay): commit now to bound memory; waiters still run at the end
   * of the tick. Checked before an order is appended, never between an order and its fill, so a
   * crash cannot leave an order whose fill was in the next batch.
   */
  private boundBatch(): void {
    if (this.oN + this.fN + this.sN < this.maxBatchRows) return;
    const err = this.commit();
    if (err !== null) this.onError(err);
  }

  private scheduleFlush(): void {
    this.scheduled = true;
    if (this.schedule === "microtask") queueMicrotask(this.onTick);
    else setImmediate(this.onTick);
  }

  private readonly onTick = (): void => {
    this.scheduled = false;
    if (this.closed) return;
    const err = this.commit();
    this.deliver();
    if (err !== null) this.onError(err);
  };

  /** Write the buffered rows in one transaction; on failure remember which seqs were lost. */
  private commit(): JournalCommitError | null {
    if (this.hook !== null) this.hook();
    const rows = this.oN + this.fN + this.sN + this.state.pending;
    if (rows === 0) return null;
    let err: JournalCommitError | null = null;
    try {
      this.writeTx.immediate();
    } catch (cause) {
      err = new JournalCommitError(rows, cause);
      if (this.batchFirst < this.lostFrom) this.lostFrom = this.batchFirst;
      this.lostErr ??= err;
    }
    this.oN = 0;
    this.fN = 0;
    this.sN = 0;
    this.state.clear();
    if (err === null) this.onBatch?.(rows);
    return err;
  }

  /** The buffered rows as one batch (views of the buffers, no copy). */
  private batch(): RowBatch {
    const st = this.state;
    return {
      oN: this.oN, oNum: this.oNum, oId: this.oId, oSym: this.oSym,
      fN: this.fN, fNum: this.fNum, fId: this.fId, fSym: this.fSym,
      sN: this.sN, sNum: this.sNum, sFrom: this.sFrom, sTo: this.sTo, sReason: this.sReason,
      mN: st.mN, mSym: st.mSym, mNum: st.mNum, dayKeys: st.dayKeys, dayVals: st.dayVals,
    };
  }

  /**
   * Run the waiters registered so far. A waiter gets the failure if any row appended before it
   * was registered was lost since the last delivery; otherwise null.
   */
  private deliver(): void {
    const fns = this.waiters;
    const seqs = this.waiterSeq;
    const lostFrom = this.lostFrom;
    const lostErr = this.lostErr;
    this.lostFrom = Number.POSITIVE_INFINITY;
    this.lostErr = null;
    if (fns.length === 0) return;
    // A waiter may append, register or even flush again: give it fresh arrays to do that in.
    this.waiters = this.spareWaiters ?? [];
    this.waiterSeq = this.spareSeq ?? [];
    this.spareWaiters = null;
    this.spareSeq = null;
    for (let k = 0; k < fns.length; k++) {
      try {
        fns[k]!(seqs[k]! >= lostFrom ? lostErr : null);
      } catch (cause) {
        // A throwing waiter must not cost the others their callback.
        this.onError(new StoreError(`a journal commit callback threw: ${cause instanceof Error ? cause.message : String(cause)}`, { cause }));
      }
    }
    fns.length = 0;
    seqs.length = 0;
    this.spareWaiters = fns;
    this.spareSeq = seqs;
  }
}
