/**
 * Writing one journal batch: orders, fills and state changes as inserts (32 rows per statement:
 * one statement step per row costs more in the binding layer than in SQLite, measured ~1.3x),
 * marks and day starts as upserts. The caller owns the transaction. Used by the journal on its
 * own connection; a batch is plain arrays, so it can also cross to a writer thread.
 */
import type { Database, Statement } from "bun:sqlite";

// Numeric columns per kind, in the order of the INSERT's parameters after seq and the strings.
export const O_W = 10; // seq, side, qty, price, orderType, tif, configVersion, signalPrice, ts, day
export const F_W = 6; // seq, side, qty, price, ts, day
export const S_W = 3; // seq, ts, day
export const M_W = 3; // price, ts, seq
const CHUNK = 32;

/** One batch of rows, column by column; only the first N rows of each kind count. */
export interface RowBatch {
  readonly oN: number;
  readonly oNum: Float64Array;
  readonly oId: readonly string[];
  readonly oSym: readonly string[];
  readonly fN: number;
  readonly fNum: Float64Array;
  readonly fId: readonly string[];
  readonly fSym: readonly string[];
  readonly sN: number;
  readonly sNum: Float64Array;
  readonly sFrom: readonly string[];
  readonly sTo: readonly string[];
  readonly sReason: readonly string[];
  readonly mN: number;
  readonly mSym: readonly string[];
  readonly mNum: Float64Array;
  readonly dayKeys: readonly number[];
  readonly dayVals: readonly number[];
}

function multiRow(table: string, columns: string, width: number, rows: number): string {
  const one = `(${new Array(width).fill("?").join(", ")})`;
  return `INSERT INTO ${table} (${columns}) VALUES ${new Array(rows).fill(one).join(", ")}`;
}

export class RowWriter {
  private readonly insOrder: Statement;
  private readonly insFill: Statement;
  private readonly insOrders: Statement;
  private readonly insFills: Statement;
  private readonly insState: Statement;
  private readonly upMark: Statement;
  private readonly upDay: Statement;
  // Reused bindings for the multi-row statements.
  private readonly oParams: (string | number)[] = new Array(CHUNK * 12);
  private readonly fParams: (string | number)[] = new Array(CHUNK * 8);

  constructor(db: Database) {
    const orderColumns = "seq, signal_id, symbol, side, qty, price, order_type, tif, config_version, signal_price, ts, day";
    const fillColumns = "seq, order_id, symbol, side, qty, price, ts, day";
    this.insOrder = db.prepare(multiRow("orders", orderColumns, 12, 1));
    this.insFill = db.prepare(multiRow("fills", fillColumns, 8, 1));
    this.insOrders = db.prepare(multiRow("orders", orderColumns, 12, CHUNK));
    this.insFills = db.prepare(multiRow("fills", fillColumns, 8, CHUNK));
    this.insState = db.prepare("INSERT INTO state_changes (seq, from_state, to_state, reason, ts, day) VALUES (?, ?, ?, ?, ?, ?)");
    this.upMark = db.prepare(
      "INSERT INTO marks (symbol, price, ts, seq) VALUES (?, ?, ?, ?) ON CONFLICT(symbol) DO UPDATE SET price = excluded.price, ts = excluded.ts, seq = excluded.seq",
    );
    this.upDay = db.prepare("INSERT INTO day_starts (day, unrealized) VALUES (?, ?) ON CONFLICT(day) DO UPDATE SET unrealized = excluded.unrealized");
  }

  /** Write every row of the batch; call inside a transaction. */
  write(b: RowBatch): void {
    this.writeWide(b.oN, b.oNum, O_W, b.oId, b.oSym, this.insOrders, this.insOrder, this.oParams);
    this.writeWide(b.fN, b.fNum, F_W, b.fId, b.fSym, this.insFills, this.insFill, this.fParams);
    const s = b.sNum;
    for (let k = 0, o = 0; k < b.sN; k++, o += S_W) this.insState.run(s[o]!, b.sFrom[k]!, b.sTo[k]!, b.sReason[k]!, s[o + 1]!, s[o + 2]!);
    const m = b.mNum;
    for (let k = 0; k < b.mN; k++) this.upMark.run(b.mSym[k]!, m[M_W * k]!, m[M_W * k + 1]!, m[M_W * k + 2]!);
    for (let k = 0; k < b.dayKeys.length; k++) this.upDay.run(b.dayKeys[k]!, b.dayVals[k]!);
  }

  /** Rows of (seq, id, symbol, ...rest): CHUNK at a time, the remainder one by one. */
  private writeWide(
    n: number, num: Float64Array, width: number, ids: readonly string[], syms: readonly string[],
    many: Statement, one: Statement, p: (string | number)[],
  ): void {
    let k = 0;
    for (; k + CHUNK <= n; k += CHUNK) {
      for (let r = k, w = 0; r < k + CHUNK; r++) {
        const o = r * width;
        p[w++] = num[o]!;
        p[w++] = ids[r]!;
        p[w++] = syms[r]!;
        for (let c = 1; c < width; c++) p[w++] = num[o + c]!;
      }
      many.run(...p);
    }
    const single: (string | number)[] = new Array(width + 2);
    for (; k < n; k++) {
      const o = k * width;
      single[0] = num[o]!;
      single[1] = ids[k]!;
      single[2] = syms[k]!;
      for (let c = 1; c < width; c++) single[c + 2] = num[o + c]!;
      one.run(...single);
    }
  }

  finalize(): void {
    for (const s of [this.insOrder, this.insFill, this.insOrders, this.insFills, this.insState, this.upMark, this.upDay]) s.finalize();
  }
}
