/**
 * Reading the journal back: one trading day for the daily counters and the trading state, every
 * remaining fill (after the carry) for positions. Orders and fills are decoded from their stored
 * batch rows (batch-body.ts) in seq order; state changes, the carry and marks are plain tables
 * whose columns are aliased to the row types' field names.
 */
import type { Database, Statement } from "bun:sqlite";
import { decodeBody, decodeFills, decodeOrders, type StoredBody } from "./batch-body.ts";
import type { PositionCarry } from "./positions.ts";
import type { DayJournal, FillRow, MarkRow, OrderRow, StateChangeRow } from "./store.ts";

const STATE_COLUMNS = 'seq, from_state AS "from", to_state AS "to", reason, ts, day';
const CARRY_COLUMNS = "symbol, position, avg_price AS avgPrice, realized, through_seq AS throughSeq";

type BodyRow = StoredBody;
const BODY_COLUMNS = "seq, ts, day, orders, prices, fills, price_scale AS priceScale";

/** Journal reads; usable on a read-only connection. */
export class JournalReads {
  private readonly bodiesOfDay: Statement<BodyRow, [number]>;
  private readonly statesOfDay: Statement<StateChangeRow, [number]>;
  private readonly stateBefore: Statement<StateChangeRow, [number]>;
  private readonly lastState: Statement<StateChangeRow, []>;
  private readonly countOfDay: Statement<{ n: number }, [number]>;
  private readonly lastDayStmt: Statement<{ day: number | null }, []>;
  private readonly carry: Statement<PositionCarry, []>;
  private readonly maxSeqStmt: Statement<{ seq: number | null }, []>;
  private readonly marksStmt: Statement<MarkRow, []>;
  private readonly lastOrdersStmt: Statement<BodyRow, []>;
  private readonly dayStartStmt: Statement<{ unrealized: number }, [number]>;

  constructor(private readonly db: Database) {
    // ORDER BY seq is free: the day index holds rowids (seqs) in order within a day.
    this.bodiesOfDay = db.prepare(`SELECT ${BODY_COLUMNS} FROM journal_batches WHERE day = ? ORDER BY seq`);
    this.statesOfDay = db.prepare(`SELECT ${STATE_COLUMNS} FROM state_changes WHERE day = ? ORDER BY seq`);
    this.stateBefore = db.prepare(`SELECT ${STATE_COLUMNS} FROM state_changes WHERE day < ? ORDER BY seq DESC LIMIT 1`);
    this.lastState = db.prepare(`SELECT ${STATE_COLUMNS} FROM state_changes ORDER BY seq DESC LIMIT 1`);
    this.countOfDay = db.prepare("SELECT COALESCE(SUM(orders_n), 0) AS n FROM journal_batches WHERE day = ?");
    this.lastDayStmt = db.prepare(
      "SELECT MAX(d) AS day FROM (SELECT MAX(day) AS d FROM journal_batches UNION ALL SELECT MAX(day) FROM state_changes)",
    );
    this.carry = db.prepare(`SELECT ${CARRY_COLUMNS} FROM position_carry ORDER BY symbol`);
    this.marksStmt = db.prepare("SELECT symbol, price, ts, seq FROM marks ORDER BY symbol");
    this.lastOrdersStmt = db.prepare(`SELECT ${BODY_COLUMNS} FROM journal_batches WHERE orders_n > 0 ORDER BY seq DESC`);
    this.dayStartStmt = db.prepare("SELECT unrealized FROM day_starts WHERE day = ?");
    this.maxSeqStmt = db.prepare(
      // Stored rows cover disjoint seq ranges, so the last row by seq has the highest last_seq.
      `SELECT MAX(s) AS seq FROM (SELECT (SELECT last_seq FROM journal_batches ORDER BY seq DESC LIMIT 1) AS s
       UNION ALL SELECT MAX(seq) FROM state_changes UNION ALL SELECT MAX(through_seq) FROM position_carry)`,
    );
  }

  /** One trading day's rows in seq order, and the last state change before it. */
  dayJournal(day: number): DayJournal {
    const orders: OrderRow[] = [];
    const fills: FillRow[] = [];
    for (const b of this.bodiesOfDay.iterate(day)) {
      const d = decodeBody(b);
      for (const o of d.orders) orders.push(o);
      for (const f of d.fills) fills.push(f);
    }
    return { day, orders, fills, stateChanges: this.statesOfDay.all(day), stateBefore: this.stateBefore.get(day) };
  }

  /** Orders journaled on `day`. */
  dailyTrades(day: number): number {
    return this.countOfDay.get(day)!.n;
  }

  /** The latest trading-state change, or null. */
  lastStateChange(): StateChangeRow | null {
    return this.lastState.get();
  }

  /** The newest trading day with a journal row, or null. */
  lastDay(): number | null {
    return this.lastDayStmt.get()!.day;
  }

  /**
   * Every remaining fill, in seq order, streamed (the table can be large). Each call gets its own
   * statement, so two iterations may overlap; it is finalized when the iteration ends or returns.
   */
  *fills(): IterableIterator<FillRow> {
    const stmt = this.db.prepare<BodyRow, []>(`SELECT ${BODY_COLUMNS} FROM journal_batches WHERE fills_n > 0 ORDER BY seq`);
    try {
      for (const b of stmt.iterate()) yield* decodeFills(b);
    } finally {
      stmt.finalize();
    }
  }

  /** The position carry, by symbol. */
  positionCarry(): PositionCarry[] {
    return this.carry.all();
  }

  /** Every symbol's latest mark. */
  marks(): MarkRow[] {
    return this.marksStmt.all();
  }

  /** Each symbol's most recent order, in seq order (every stored order is looked at, newest first). */
  lastOrders(): OrderRow[] {
    const last = new Map<string, OrderRow>();
    for (const b of this.lastOrdersStmt.iterate()) {
      const os = decodeOrders(b);
      for (let k = os.length - 1; k >= 0; k--) if (!last.has(os[k]!.symbol)) last.set(os[k]!.symbol, os[k]!);
    }
    return [...last.values()].sort((a, b) => a.seq - b.seq);
  }

  /** The daily-loss baseline journaled for `day`, or null. */
  dayStartOf(day: number): number | null {
    return this.dayStartStmt.get(day)?.unrealized ?? null;
  }

  /** The highest seq ever used (0 on an empty journal): the writer continues after it. */
  maxSeq(): number {
    return this.maxSeqStmt.get()!.seq ?? 0;
  }

  /** Release the prepared statements. */
  finalize(): void {
    for (const s of [
      this.bodiesOfDay, this.statesOfDay, this.stateBefore, this.lastState,
      this.countOfDay, this.lastDayStmt, this.carry, this.maxSeqStmt, this.marksStmt, this.lastOrdersStmt, this.dayStartStmt,
    ]) s.finalize();
  }
}
