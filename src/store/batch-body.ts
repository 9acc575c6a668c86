/**
 * The journal's stored form: one `journal_batches` row per committed batch (per trading day in
 * it, and per MAX_BODY_ROWS rows), its orders and fills encoded as JSON texts. Why: written as
 * table rows, each order and fill cost ~0.9 us of SQLite work (b-tree inserts into the table and
 * its day index), and the transaction was most of the engine's loop under load; one row per
 * batch costs a fixed ~16 us plus the bytes, and JSON keeps the rows readable in SQL through the
 * `orders` and `fills` views (migrations.ts) with SQLite's own json_each.
 *
 * Two layouts, told apart per row by `price_scale`: NULL is migration 6's (body-v6.ts), still
 * read because rows written before migration 7 are never rewritten in bulk; a scale is the
 * current one (body-v7.ts), which every write uses. This file is what the rest of the store
 * sees: encode (current layout), decode (either), and how a batch is cut into stored rows.
 *
 * Rows of a body are in seq order; the seq ranges of two stored rows never overlap, so reading
 * rows in `seq` order gives every order and fill in append order. The day is the stored row's: a
 * batch that spans a day roll is stored as two rows. Encoding also checks each row (the old
 * tables' CHECK constraints, body-common.ts): a row that could not be stored faithfully throws,
 * which rolls the whole batch back.
 */
import { bad, type BodyBase, type EncodedBody, type StoredBody } from "./body-common.ts";
import { decodeFillsV6, decodeOrdersV6 } from "./body-v6.ts";
import { StoreError } from "./errors.ts";
import { decodeFillsV7, decodeOrdersV7, encodeBodyV7 } from "./body-v7.ts";
import { F_W, O_W, type RowBatch } from "./row-batch.ts";
import type { FillRow, OrderRow } from "./store.ts";

export type { EncodedBody, StoredBody } from "./body-common.ts";

/** The most orders + fills in one stored row: bounds a prune step's rewrite and a view's work. */
export const MAX_BODY_ROWS = 1024;

/** The rows a stored body holds, decoded. */
export interface DecodedBody {
  readonly orders: OrderRow[];
  readonly fills: FillRow[];
}

/**
 * Encode orders [o0, o1) and fills [f0, f1) of a batch (all of one day, in seq order) as one
 * stored row, in the current layout. `base` keeps an existing row's seq and time base (a prune
 * rewriting it).
 */
export function encodeBody(b: RowBatch, o0: number, o1: number, f0: number, f1: number, day: number, base?: BodyBase): EncodedBody {
  return encodeBodyV7(b, o0, o1, f0, f1, day, base);
}

/** The row's layout tag; a row read without it would be decoded in the wrong layout, so refuse it. */
function layoutOf(b: StoredBody): number | null {
  const scale = b.priceScale as number | null | undefined;
  if (scale === undefined) throw new StoreError(`stored journal row seq ${b.seq} was read without its price_scale`);
  return scale;
}

/** The orders of a stored row, as OrderRow objects. */
export function decodeOrders(b: StoredBody): OrderRow[] {
  const scale = layoutOf(b);
  return scale === null ? decodeOrdersV6(b) : decodeOrdersV7(b, scale);
}

/** The fills of a stored row; `orders` are the same row's, when already decoded (a folded fill repeats one). */
export function decodeFills(b: StoredBody, orders: readonly OrderRow[] | null = null): FillRow[] {
  let os = orders;
  const ordersOf = (): readonly OrderRow[] => (os ??= decodeOrders(b));
  const scale = layoutOf(b);
  return scale === null ? decodeFillsV6(b, ordersOf) : decodeFillsV7(b, scale, ordersOf);
}

/** Both lists of a stored row. */
export function decodeBody(b: StoredBody): DecodedBody {
  const orders = decodeOrders(b);
  return { orders, fills: decodeFills(b, orders) };
}

/** Rows (decoded, or from an old table) as a RowBatch, so they are encoded by the same code. */
export function toBatch(orders: readonly OrderRow[], fills: readonly FillRow[]): RowBatch {
  const oNum = new Float64Array(Math.max(1, orders.length) * O_W);
  const fNum = new Float64Array(Math.max(1, fills.length) * F_W);
  orders.forEach((o, k) => oNum.set([o.seq, o.side, o.qty, o.price, o.orderType, o.tif, o.configVersion, o.signalPrice, o.ts, o.day], k * O_W));
  fills.forEach((f, k) => fNum.set([f.seq, f.side, f.qty, f.price, f.ts, f.day], k * F_W));
  return {
    oN: orders.length, oNum, oId: orders.map((o) => o.id), oSym: orders.map((o) => o.symbol),
    fN: fills.length, fNum, fId: fills.map((f) => f.orderId), fSym: fills.map((f) => f.symbol),
    sN: 0, sNum: new Float64Array(0), sFrom: [], sTo: [], sReason: [],
    mN: 0, mSym: [], mNum: new Float64Array(0), dayKeys: [], dayVals: [],
  };
}

/**
 * Split a batch's orders and fills into stored rows: runs of consecutive rows (in seq order) of
 * one day, at most MAX_BODY_ROWS each. Calls `emit(o0, o1, f0, f1, day)` per run.
 */
export function segments(b: RowBatch, emit: (o0: number, o1: number, f0: number, f1: number, day: number) => void): void {
  const oN = b.oN;
  const fN = b.fN;
  const oNum = b.oNum;
  const fNum = b.fNum;
  let i = 0;
  let j = 0;
  while (i < oN || j < fN) {
    const i0 = i;
    const j0 = j;
    const orderFirst = i < oN && (j >= fN || oNum[i * O_W]! < fNum[j * F_W]!);
    const day = orderFirst ? oNum[i * O_W + 9]! : fNum[j * F_W + 5]!;
    // A day that equals nothing (NaN) would end every run before its first row.
    if (!Number.isFinite(day)) bad(orderFirst ? "order" : "fill", orderFirst ? oNum[i * O_W]! : fNum[j * F_W]!, "day", day, "a finite number");
    for (let n = 0; n < MAX_BODY_ROWS && (i < oN || j < fN); n++) {
      if (i < oN && (j >= fN || oNum[i * O_W]! < fNum[j * F_W]!)) {
        if (oNum[i * O_W + 9] !== day) break;
        i++;
      } else {
        if (fNum[j * F_W + 5] !== day) break;
        j++;
      }
    }
    emit(i0, i, j0, j, day);
  }
}
