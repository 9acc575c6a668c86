/**
 * Reading the journal back: one trading day for the daily counters and the trading state, every
 * remaining fill (after the carry) for positions. Columns are aliased to the row types' field
 * names so SQLite's row objects are returned as they are, without a mapping pass.
 */
import type { Database, Statement } from "bun:sqlite";
import type { PositionCarry } from "./positions.ts";
import type { DayJournal, FillRow, MarkRow, OrderRow, StateChangeRow } from "./store.ts";

const ORDER_COLUMNS =
  "seq, signal_id AS id, symbol, side, qty, price, order_type AS orderType, tif, config_version AS configVersion, signal_price AS signalPrice, ts, day";
const FILL_COLUMNS = "seq, order_id AS orderId, symbol, side, qty, price, ts, day";
const STATE_COLUMNS = 'seq, from_state AS "from", to_state AS "to", reason, ts, day';
const CARRY_COLUMNS = "symbol, position, avg_price AS avgPrice, realized, through_seq AS throughSeq";

/** Journal reads; usable on a read-only connection. */
export class JournalReads {
  private readonly ordersOfDay: Statement<OrderRow, [number]>;
  private readonly fillsOfDay: Statement<FillRow, [number]>;
  private readonly statesOfDay: Statement<StateChangeRow, [number]>;
  private readonly stateBefore: Statement<StateChangeRow, [number]>;
  private readonly lastState: Statement<StateChangeRow, []>;
  private readonly countOfDay: Statement<{ n: number }, [number]>;
  private readonly lastDayStmt: Statement<{ day: number | null }, []>;
  private readonly carry: Statement<PositionCarry, []>;
  private readonly maxSeqStmt: Statement<{ seq: number | null }, []>;
  private readonly marksStmt: Statement<MarkRow, []>;
  private readonly lastOrdersStmt: Statement<OrderRow, []>;
  private readonly dayStartStmt: Statement<{ unrealized: number }, [number]>;

  constructor(private readonly db: Database) {
    // ORDER BY seq is free: the day index holds rowids (seqs) in order within a day.
    this.ordersOfDay = db.prepare(`SELECT ${ORDER_COLUMNS} FROM orders WHERE day = ? ORDER BY seq`);
    this.fillsOfDay = db.prepare(`SELECT ${FILL_COLUMNS} FROM fills WHERE day = ? ORDER BY seq`);
    this.statesOfDay = db.prepare(`SELECT ${STATE_COLUMNS} FROM state_changes WHERE day = ? ORDER BY seq`);
    this.stateBefore = db.prepare(`SELECT ${STATE_COLUMNS} FROM state_changes WHERE day < ? ORDER BY seq DESC LIMIT 1`);
    this.lastState = db.prepare(`SELECT ${STATE_COLUMNS} FROM state_changes ORDER BY seq DESC LIMIT 1`);
    this.countOfDay = db.prepare("SELECT COUNT(*) AS n FROM orders WHERE day = ?");
    this.lastDayStmt = db.prepare(
      "SELECT MAX(d) AS day FROM (SELECT MAX(day) AS d FROM orders UNION ALL SELECT MAX(day) FROM fills UNION ALL SELECT MAX(day) FROM state_changes)",
    );
    this.carry = db.prepare(`SELECT ${CARRY_COLUMNS} FROM position_carry ORDER BY symbol`);
    this.marksStmt = db.prepare("SELECT symbol, price, ts, seq FROM marks ORDER BY symbol");
    this.lastOrdersStmt = db.prepare(`SELECT ${ORDER_COLUMNS} FROM orders WHERE seq IN (SELECT MAX(seq) FROM orders GROUP BY symbol) ORDER BY seq`);
    this.dayStartStmt = db.prepare("SELECT unrealized FROM day_starts WHERE day = ?");
    this.maxSeqStmt = db.prepare(
      `SELECT MAX(s) AS seq FROM (SELECT MAX(seq) AS s FROM orders UNION ALL SELECT MAX(seq) FROM fills
       UNION ALL SELECT MAX(seq) FROM state_changes UNION ALL SELECT MAX(through_seq) FROM position_carry)`,
    );
  }

  /** One trading day's rows in seq order, and the last state change before it. */
  dayJournal(day: number): DayJournal {
    return {
      day,
      orders: this.ordersOfDay.all(day),
      fills: this.fillsOfDay.all(day),
      stateChanges: this.statesOfDay.all(day),
      stateBefore: this.stateBefore.get(day),
    };
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
    const stmt = this.db.prepare<FillRow, []>(`SELECT ${FILL_COLUMNS} FROM fills ORDER BY seq`);
    try {
      yield* stmt.iterate();
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

  /** Each symbol's most recent order. */
  lastOrders(): OrderRow[] {
    return this.lastOrdersStmt.all();
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
      this.ordersOfDay, this.fillsOfDay, this.statesOfDay, this.stateBefore, this.lastState,
      this.countOfDay, this.lastDayStmt, this.carry, this.maxSeqStmt, this.marksStmt, this.lastOrdersStmt, this.dayStartStmt,
    ]) s.finalize();
  }
}
