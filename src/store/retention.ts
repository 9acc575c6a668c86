/**
 * Retention: delete journal rows of old trading days in small transactions, so a prune between
 * two ticks holds the write lock for about as long as one journal batch. Config versions and the
 * audit log are never touched.
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
import type { PositionCarry } from "./positions.ts";

interface FoldRow {
  seq: number;
  symbol: string;
  side: number;
  qty: number;
  price: number;
  day: number;
}

export class Retention {
  private readonly headFills: Statement<FoldRow, [number]>;
  private readonly carryOf: Statement<PositionCarry, [string]>;
  private readonly upsertCarry: Statement<unknown, [string, number, number, number, number]>;
  private readonly deleteFills: Statement<unknown, [number]>;
  private readonly deleteOrders: Statement<unknown, [number, number]>;
  private readonly foldMarks: Statement<unknown, [number, number]>;
  private readonly keptState: Statement<{ seq: number | null }, [number]>;
  private readonly deleteStates: Statement<unknown, [number, number, number]>;
  private readonly pruneTx: { immediate: (beforeDay: number, batchSize: number) => number };

  constructor(db: Database) {
    this.headFills = db.prepare("SELECT seq, symbol, side, qty, price, day FROM fills ORDER BY seq LIMIT ?");
    this.carryOf = db.prepare(
      "SELECT symbol, position, avg_price AS avgPrice, realized, through_seq AS throughSeq FROM position_carry WHERE symbol = ?",
    );
    this.upsertCarry = db.prepare(
      `INSERT INTO position_carry (symbol, position, avg_price, realized, through_seq) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (symbol) DO UPDATE SET position = excluded.position, avg_price = excluded.avg_price,
         realized = excluded.realized, through_seq = excluded.through_seq`,
    );
    this.deleteFills = db.prepare("DELETE FROM fills WHERE seq <= ?");
    // No ORDER BY: walking the day index from its start is the cheap way to find old rows.
    this.deleteOrders = db.prepare("DELETE FROM orders WHERE seq IN (SELECT seq FROM orders WHERE day < ? LIMIT ?)");
    // An order's signal_price is its symbol's mark until a newer row says otherwise: before the
    // order goes, its mark goes into `marks` (unless that holds a newer one), so recovery still
    // knows the mark of a symbol that has not traded within the retained days.
    this.foldMarks = db.prepare(
      `INSERT INTO marks (symbol, price, ts, seq)
       SELECT symbol, signal_price, ts, seq FROM orders WHERE seq IN (SELECT seq FROM orders WHERE day < ? LIMIT ?)
       ON CONFLICT (symbol) DO UPDATE SET price = excluded.price, ts = excluded.ts, seq = excluded.seq WHERE excluded.seq > marks.seq`,
    );
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
    let budget = batchSize;
    budget -= this.foldFills(beforeDay, budget);
    if (budget > 0) {
      this.foldMarks.run(beforeDay, budget);
      budget -= this.deleteOrders.run(beforeDay, budget).changes;
    }
    if (budget > 0) {
      const keep = this.keptState.get(beforeDay)?.seq;
      if (keep != null) budget -= this.deleteStates.run(beforeDay, keep, budget).changes;
    }
    return batchSize - budget;
  }

  /** Fold the leading old fills into the carry and delete them; returns how many. */
  private foldFills(beforeDay: number, limit: number): number {
    const head = this.headFills.all(limit);
    const touched = new Map<string, PositionState & { throughSeq: number }>();
    let last = -1;
    for (const f of head) {
      if (f.day >= beforeDay) break;
      let p = touched.get(f.symbol);
      if (p === undefined) {
        const c = this.carryOf.get(f.symbol);
        p = c === null ? { position: 0, avgPrice: 0, realized: 0, throughSeq: 0 } : { position: c.position, avgPrice: c.avgPrice, realized: c.realized, throughSeq: c.throughSeq };
        touched.set(f.symbol, p);
      }
      applyFill(p, f.side, f.qty, f.price);
      p.throughSeq = f.seq;
      last = f.seq;
    }
    if (last < 0) return 0;
    for (const [symbol, p] of touched) this.upsertCarry.run(symbol, p.position, p.avgPrice, p.realized, p.throughSeq);
    return this.deleteFills.run(last).changes;
  }

  /** Release the prepared statements. */
  finalize(): void {
    for (const s of [this.headFills, this.carryOf, this.upsertCarry, this.deleteFills, this.deleteOrders, this.foldMarks, this.keptState, this.deleteStates]) s.finalize();
  }
}
