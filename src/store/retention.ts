/**
 * Retention: delete journal rows of old trading days in small transactions, so a prune between
 * two ticks holds the write lock for about as long as one journal batch. Config versions and the
 * audit log are never touched.
 *
 * Orders and fills live in stored batch rows (batch-body.ts); a prune step decodes the few rows
 * it takes rows from, removes them, and writes each row back re-encoded (or deletes it once
 * empty), so `batchSize` still counts orders and fills, not stored rows. A stored row keeps its
 * seq range and time base, so nothing else moves.
 *
 * Fills are folded into `position_carry` in the same transaction that deletes them (positions
 * carry over days; see positions.ts). Only a prefix of the fills in seq order is ever folded: the
 * prune stops at the first fill of a kept day, so carry + remaining fills is always the same
 * sequence as all fills. (An old-day fill journaled after a newer one, which only a clock going
 * backwards produces, is kept until everything before it is old.)
 *
 * The newest state change before the cut-off is kept, so a HALTED set weeks ago and never
 * resumed is still known after its day is pruned.
 */
import type { Database, Statement } from "bun:sqlite";
import { applyFill, type PositionState } from "../risk/position.ts";
import { decodeBody, encodeBody, toBatch } from "./batch-body.ts";
import type { PositionCarry } from "./positions.ts";
import type { FillRow, OrderRow } from "./store.ts";

/** A stored batch row as read. */
interface StoredRow {
  seq: number;
  lastSeq: number;
  day: number;
  ts: number;
  orders: string;
  prices: string;
  fills: string;
  priceScale: number | null;
}

/** A stored row decoded for this step, its lists shortened in place. */
interface Taken {
  readonly row: StoredRow;
  readonly orders: OrderRow[];
  readonly fills: FillRow[];
}

const STORED = "seq, last_seq AS lastSeq, day, ts, orders, prices, fills, price_scale AS priceScale";

export class Retention {
  private readonly headFillRows: Statement<StoredRow, [number]>;
  private readonly oldOrderRows: Statement<StoredRow, [number, number]>;
  private readonly carryOf: Statement<PositionCarry, [string]>;
  private readonly upsertCarry: Statement<unknown, [string, number, number, number, number]>;
  private readonly foldMark: Statement<unknown, [string, number, number, number]>;
  private readonly rewrite: Statement<unknown, [number, number, string, string, string, number | null, number]>;
  private readonly deleteRow: Statement<unknown, [number]>;
  private readonly keptState: Statement<{ seq: number | null }, [number]>;
  private readonly deleteStates: Statement<unknown, [number, number, number]>;
  private readonly pruneTx: { immediate: (beforeDay: number, batchSize: number) => number };

  constructor(db: Database) {
    // Each stored row with fills holds at least one, so `limit` rows are enough for `limit` fills.
    this.headFillRows = db.prepare(`SELECT ${STORED} FROM journal_batches WHERE fills_n > 0 ORDER BY seq LIMIT ?`);
    // No ORDER BY seq: walking the day index from its start is the cheap way to find old rows.
    this.oldOrderRows = db.prepare(`SELECT ${STORED} FROM journal_batches WHERE day < ? AND orders_n > 0 LIMIT ?`);
    this.carryOf = db.prepare(
      "SELECT symbol, position, avg_price AS avgPrice, realized, through_seq AS throughSeq FROM position_carry WHERE symbol = ?",
    );
    this.upsertCarry = db.prepare(
      `INSERT INTO position_carry (symbol, position, avg_price, realized, through_seq) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (symbol) DO UPDATE SET position = excluded.position, avg_price = excluded.avg_price,
         realized = excluded.realized, through_seq = excluded.through_seq`,
    );
    // An order's signal_price is its symbol's mark until a newer row says otherwise: before the
    // order goes, its mark goes into `marks` (unless that holds a newer one), so recovery still
    // knows the mark of a symbol that has not traded within the retained days.
    this.foldMark = db.prepare(
      `INSERT INTO marks (symbol, price, ts, seq) VALUES (?, ?, ?, ?)
       ON CONFLICT (symbol) DO UPDATE SET price = excluded.price, ts = excluded.ts, seq = excluded.seq WHERE excluded.seq > marks.seq`,
    );
    // A rewritten row takes the current layout, whichever it was in (price_scale is its tag).
    this.rewrite = db.prepare("UPDATE journal_batches SET orders_n = ?, fills_n = ?, orders = ?, prices = ?, fills = ?, price_scale = ? WHERE seq = ?");
    this.deleteRow = db.prepare("DELETE FROM journal_batches WHERE seq = ?");
    this.keptState = db.prepare("SELECT MAX(seq) AS seq FROM state_changes WHERE day < ?");
    this.deleteStates = db.prepare("DELETE FROM state_changes WHERE seq IN (SELECT seq FROM state_changes WHERE day < ? AND seq < ? LIMIT ?)");
    this.pruneTx = db.transaction((beforeDay: number, batchSize: number) => this.pruneIn(beforeDay, batchSize));
  }

  /** Delete at most `batchSize` rows of days before `beforeDay` in one transaction; returns how many. */
  prune(beforeDay: number, batchSize: number): number {
    if (!(batchSize >= 1)) throw new RangeError(`prune batchSize must be at least 1, got ${batchSize}`);
    return this.pruneTx.immediate(beforeDay, Math.floor(batchSize));
  }

  private pruneIn(beforeDay: number, batchSize: number): number {
    const taken = new Map<number, Taken>();
    let budget = batchSize;
    budget -= this.foldFills(beforeDay, budget, taken);
    if (budget > 0) budget -= this.dropOrders(beforeDay, budget, taken);
    for (const t of taken.values()) this.store(t);
    if (budget > 0) {
      const keep = this.keptState.get(beforeDay)?.seq;
      if (keep != null) budget -= this.deleteStates.run(beforeDay, keep, budget).changes;
    }
    return batchSize - budget;
  }

  private take(row: StoredRow, taken: Map<number, Taken>): Taken {
    let t = taken.get(row.seq);
    if (t === undefined) {
      const d = decodeBody(row);
      t = { row, orders: d.orders, fills: d.fills };
      taken.set(row.seq, t);
    }
    return t;
  }

  /** Fold the leading old fills into the carry and drop them; returns how many. */
  private foldFills(beforeDay: number, limit: number, taken: Map<number, Taken>): number {
    const touched = new Map<string, PositionState & { throughSeq: number }>();
    let n = 0;
    for (const row of this.headFillRows.iterate(limit)) {
      if (n === limit || row.day >= beforeDay) break; // a kept day's fill: the prefix ends here
      const t = this.take(row, taken);
      const k = Math.min(limit - n, t.fills.length);
      for (const f of t.fills.splice(0, k)) {
        let p = touched.get(f.symbol);
        if (p === undefined) {
          const c = this.carryOf.get(f.symbol);
          p = c === null ? { position: 0, avgPrice: 0, realized: 0, throughSeq: 0 } : { position: c.position, avgPrice: c.avgPrice, realized: c.realized, throughSeq: c.throughSeq };
          touched.set(f.symbol, p);
        }
        applyFill(p, f.side, f.qty, f.price);
        p.throughSeq = f.seq;
      }
      n += k;
      if (t.fills.length > 0) break;
    }
    for (const [symbol, p] of touched) this.upsertCarry.run(symbol, p.position, p.avgPrice, p.realized, p.throughSeq);
    return n;
  }

  /** Drop orders of old days (any of them), their marks folded into `marks` first; returns how many. */
  private dropOrders(beforeDay: number, limit: number, taken: Map<number, Taken>): number {
    const newest = new Map<string, OrderRow>();
    let n = 0;
    for (const row of this.oldOrderRows.iterate(beforeDay, limit)) {
      if (n === limit) break;
      const t = this.take(row, taken);
      const k = Math.min(limit - n, t.orders.length);
      for (const o of t.orders.splice(0, k)) {
        const m = newest.get(o.symbol);
        if (m === undefined || o.seq > m.seq) newest.set(o.symbol, o);
      }
      n += k;
    }
    for (const o of newest.values()) this.foldMark.run(o.symbol, o.signalPrice, o.ts, o.seq);
    return n;
  }

  /** Write a stored row back with what is left of it, or delete it when nothing is. */
  private store(t: Taken): void {
    const r = t.row;
    if (t.orders.length === 0 && t.fills.length === 0) {
      this.deleteRow.run(r.seq);
      return;
    }
    const b = toBatch(t.orders, t.fills);
    const e = encodeBody(b, 0, t.orders.length, 0, t.fills.length, r.day, r);
    this.rewrite.run(e.ordersN, e.fillsN, e.orders, e.prices, e.fills, e.priceScale, r.seq);
  }

  /** Release the prepared statements. */
  finalize(): void {
    for (const s of [
      this.headFillRows, this.oldOrderRows, this.carryOf, this.upsertCarry, this.foldMark, this.rewrite, this.deleteRow, this.keptState, this.deleteStates,
    ]) s.finalize();
  }
}
