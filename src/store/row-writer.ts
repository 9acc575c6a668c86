/**
 * Writing one journal batch: its orders and fills as `journal_batches` rows (batch-body.ts: one
 * row per day in the batch, JSON bodies in the current layout), the state changes as rows, marks
 * and day starts as upserts. The caller owns the transaction. A batch is plain arrays (row-batch.ts).
 */
import type { Database, Statement } from "bun:sqlite";
import { encodeBody, segments, type EncodedBody } from "./batch-body.ts";
import { JournalRowError } from "./errors.ts";
import { M_W, O_W, S_W, type RowBatch } from "./row-batch.ts";

export { F_W, M_W, O_W, S_W, type RowBatch } from "./row-batch.ts";

/** The INSERT of one stored body (the current layout, with its price_scale tag). */
export const INSERT_BODY =
  "INSERT INTO journal_batches (seq, last_seq, day, ts, orders_n, fills_n, orders, prices, fills, price_scale) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

export function insertBody(stmt: Statement, e: EncodedBody): void {
  stmt.run(e.seq, e.lastSeq, e.day, e.ts, e.ordersN, e.fillsN, e.orders, e.prices, e.fills, e.priceScale);
}

export class RowWriter {
  private readonly insBody: Statement;
  private readonly insState: Statement;
  private readonly upMark: Statement;
  private readonly upDay: Statement;
  private readonly versionExists: Statement<{ one: number }, [number]>;
  /** Config versions seen to exist: they are never deleted, so one look-up each is enough. */
  private readonly knownVersions = new Set<number>();
  private readonly emit = (o0: number, o1: number, f0: number, f1: number, day: number): void => {
    insertBody(this.insBody, encodeBody(this.current!, o0, o1, f0, f1, day));
  };
  private current: RowBatch | null = null;

  constructor(db: Database) {
    this.insBody = db.prepare(INSERT_BODY);
    this.insState = db.prepare("INSERT INTO state_changes (seq, from_state, to_state, reason, ts, day) VALUES (?, ?, ?, ?, ?, ?)");
    this.upMark = db.prepare(
      "INSERT INTO marks (symbol, price, ts, seq) VALUES (?, ?, ?, ?) ON CONFLICT(symbol) DO UPDATE SET price = excluded.price, ts = excluded.ts, seq = excluded.seq",
    );
    this.upDay = db.prepare("INSERT INTO day_starts (day, unrealized) VALUES (?, ?) ON CONFLICT(day) DO UPDATE SET unrealized = excluded.unrealized");
    this.versionExists = db.prepare("SELECT 1 AS one FROM config_versions WHERE version = ?");
  }

  /** Write every row of the batch; call inside a transaction. Throws on a row it must refuse. */
  write(b: RowBatch): void {
    this.checkVersions(b);
    this.current = b;
    try {
      segments(b, this.emit);
    } finally {
      this.current = null;
    }
    const s = b.sNum;
    for (let k = 0, o = 0; k < b.sN; k++, o += S_W) this.insState.run(s[o]!, b.sFrom[k]!, b.sTo[k]!, b.sReason[k]!, s[o + 1]!, s[o + 2]!);
    const m = b.mNum;
    for (let k = 0; k < b.mN; k++) this.upMark.run(b.mSym[k]!, m[M_W * k]!, m[M_W * k + 1]!, m[M_W * k + 2]!);
    for (let k = 0; k < b.dayKeys.length; k++) this.upDay.run(b.dayKeys[k]!, b.dayVals[k]!);
  }

  /** The old table's foreign key: every order names a stored config version. */
  private checkVersions(b: RowBatch): void {
    let last = Number.NaN;
    for (let k = 0; k < b.oN; k++) {
      const v = b.oNum[k * O_W + 6]!;
      if (v === last || this.knownVersions.has(v)) {
        last = v;
        continue;
      }
      if (this.versionExists.get(v) === null) {
        throw new JournalRowError(`journal order seq ${b.oNum[k * O_W]}: config_version ${v} refused (no such version)`);
      }
      this.knownVersions.add(v);
      last = v;
    }
  }

  finalize(): void {
    for (const s of [this.insBody, this.insState, this.upMark, this.upDay, this.versionExists]) s.finalize();
  }
}
