/**
 * The journal's stored form: one `journal_batches` row per committed batch (per trading day in
 * it, and per MAX_BODY_ROWS rows), its orders and fills encoded as three JSON texts. Why: written
 * as table rows, each order and fill cost ~0.9 us of SQLite work (b-tree inserts into the table
 * and its day index), and the transaction was most of the engine's loop under load; one row per
 * batch costs a fixed ~16 us plus the bytes (~2.6 ns a byte), and JSON keeps the rows readable
 * in SQL through the `orders` and `fills` views (migrations.ts) with SQLite's own json_each.
 *
 * Layout of a row (`seq` the first seq of the range it covers, `ts` a time base):
 *   orders: [[dseq, signal_id, symbol, side, qty, order_type, tif, config_version, dts], ...]
 *   prices: [price, signal_price, price, signal_price, ...]   (two per order, in order)
 *   fills:  [[dseq, order_id, symbol, side, qty, price, dts] | [dseq, k], ...]
 * where seq = row.seq + dseq and ts = row.ts + dts (small numbers are shorter text and cheaper to
 * format), and `[dseq, k]` is a fill that repeats orders[k] of the same row exactly (order id,
 * symbol, side, qty, price, ts): the paper venue's fill of the order just decided, which would
 * otherwise be most of the bytes again. The prices are a text of their own because JSON.stringify
 * takes its fast path only for arrays without doubles (measured: 195 orders in 7.6 us without
 * their prices, 35 us with them inline, 10 us for the prices alone). Rows of a body are in seq
 * order; the seq ranges of two stored rows never overlap, so reading rows in `seq` order gives
 * every order and fill in append order. The day is the stored row's: a batch that spans a day
 * roll is stored as two rows.
 *
 * Encoding also checks each row (the old tables' CHECK constraints): a row that could not be
 * stored faithfully (side not 1/-1, qty or price not above 0, a number that is not finite, an id
 * that is not a string) throws, which rolls the whole batch back.
 */
import { JournalRowError } from "./errors.ts";
import type { FillRow, OrderRow } from "./store.ts";
import { F_W, O_W, type RowBatch } from "./row-batch.ts";

/** The most orders + fills in one stored row: bounds a prune step's rewrite and a view's work. */
export const MAX_BODY_ROWS = 1024;

/** One stored row, ready to insert. */
export interface EncodedBody {
  readonly seq: number;
  readonly lastSeq: number;
  readonly day: number;
  readonly ts: number;
  readonly ordersN: number;
  readonly fillsN: number;
  readonly orders: string;
  readonly prices: string;
  readonly fills: string;
}

/** A stored row as read back: what decoding needs. */
export interface StoredBody {
  readonly seq: number;
  readonly ts: number;
  readonly day: number;
  readonly orders: string;
  readonly prices: string;
  readonly fills: string;
}

/** The rows a stored body holds, decoded. */
export interface DecodedBody {
  readonly orders: OrderRow[];
  readonly fills: FillRow[];
}

/**
 * The same number, as an int32 when it is one: JSON.stringify writes an int32 in a few ns and a
 * double through the shortest-digits conversion (~27 ns here), and numbers read from the
 * journal's Float64Array columns are doubles even when whole. The text is the same either way.
 */
function int(x: number): number {
  const i = x | 0;
  return i === x ? i : x;
}

function bad(what: string, seq: number, field: string, value: unknown, rule: string): never {
  throw new JournalRowError(`journal ${what} seq ${seq}: ${field} ${String(value)} refused (${rule})`);
}

/** The time base: the first row's time, unless a delta would not add back to the same double. */
function timeBase(b: RowBatch, o0: number, o1: number, f0: number, f1: number, first: number): number {
  if (!Number.isSafeInteger(first)) return 0;
  for (let k = o0; k < o1; k++) {
    const t = b.oNum[k * O_W + 8]!;
    if (first + (t - first) !== t) return 0;
  }
  for (let k = f0; k < f1; k++) {
    const t = b.fNum[k * F_W + 4]!;
    if (first + (t - first) !== t) return 0;
  }
  return first;
}

/**
 * Encode orders [o0, o1) and fills [f0, f1) of a batch (all of one day, in seq order) as one
 * stored row. `base` keeps an existing row's seq and time base (a prune rewriting it).
 */
export function encodeBody(
  b: RowBatch, o0: number, o1: number, f0: number, f1: number, day: number,
  base?: { readonly seq: number; readonly ts: number; readonly lastSeq: number },
): EncodedBody {
  const oNum = b.oNum;
  const fNum = b.fNum;
  const firstSeq = Math.min(o1 > o0 ? oNum[o0 * O_W]! : Infinity, f1 > f0 ? fNum[f0 * F_W]! : Infinity);
  const lastSeq = Math.max(o1 > o0 ? oNum[(o1 - 1) * O_W]! : -Infinity, f1 > f0 ? fNum[(f1 - 1) * F_W]! : -Infinity);
  const seq0 = base?.seq ?? firstSeq;
  const firstTs = o1 > o0 && (f1 === f0 || oNum[o0 * O_W]! < fNum[f0 * F_W]!) ? oNum[o0 * O_W + 8]! : fNum[f0 * F_W + 4]!;
  const ts0 = base?.ts ?? timeBase(b, o0, o1, f0, f1, firstTs);

  const orders: unknown[] = new Array(o1 - o0);
  const prices: number[] = new Array(2 * (o1 - o0));
  for (let k = o0; k < o1; k++) {
    const a = k * O_W;
    const seq = oNum[a]!;
    const id = b.oId[k];
    const symbol = b.oSym[k];
    const side = oNum[a + 1]!;
    const qty = oNum[a + 2]!;
    const price = oNum[a + 3]!;
    if (typeof id !== "string") bad("order", seq, "signal_id", id, "a string");
    if (typeof symbol !== "string") bad("order", seq, "symbol", symbol, "a string");
    if (side !== 1 && side !== -1) bad("order", seq, "side", side, "1 or -1");
    if (!(qty > 0 && qty < Infinity)) bad("order", seq, "qty", qty, "a finite number above 0");
    if (!(price > 0 && price < Infinity)) bad("order", seq, "price", price, "a finite number above 0");
    for (let c = 4; c < 10; c++) if (!Number.isFinite(oNum[a + c]!)) bad("order", seq, `field ${c}`, oNum[a + c], "a finite number");
    orders[k - o0] = [int(seq - seq0), id, symbol, int(side), int(qty), int(oNum[a + 4]!), int(oNum[a + 5]!), int(oNum[a + 6]!), int(oNum[a + 8]! - ts0)];
    prices[2 * (k - o0)] = price;
    prices[2 * (k - o0) + 1] = oNum[a + 7]!;
  }

  const fills: unknown[] = new Array(f1 - f0);
  let p = o0 - 1; // the last order before the current fill, in seq order
  for (let k = f0; k < f1; k++) {
    const a = k * F_W;
    const seq = fNum[a]!;
    const id = b.fId[k];
    const symbol = b.fSym[k];
    const side = fNum[a + 1]!;
    const qty = fNum[a + 2]!;
    const price = fNum[a + 3]!;
    const ts = fNum[a + 4]!;
    if (typeof id !== "string") bad("fill", seq, "order_id", id, "a string");
    if (typeof symbol !== "string") bad("fill", seq, "symbol", symbol, "a string");
    if (side !== 1 && side !== -1) bad("fill", seq, "side", side, "1 or -1");
    if (!(qty > 0 && qty < Infinity)) bad("fill", seq, "qty", qty, "a finite number above 0");
    if (!(price > 0 && price < Infinity)) bad("fill", seq, "price", price, "a finite number above 0");
    if (!Number.isFinite(ts)) bad("fill", seq, "ts", ts, "a finite number");
    while (p + 1 < o1 && oNum[(p + 1) * O_W]! < seq) p++;
    const o = p * O_W;
    fills[k - f0] =
      p >= o0 && b.oId[p] === id && b.oSym[p] === symbol && oNum[o + 1] === side && oNum[o + 2] === qty && oNum[o + 3] === price && oNum[o + 8] === ts
        ? [int(seq - seq0), p - o0]
        : [int(seq - seq0), id, symbol, int(side), int(qty), price, int(ts - ts0)];
  }

  return {
    seq: seq0, lastSeq: base?.lastSeq ?? lastSeq, day, ts: ts0, ordersN: o1 - o0, fillsN: f1 - f0,
    orders: JSON.stringify(orders), prices: JSON.stringify(prices), fills: JSON.stringify(fills),
  };
}

type Json = (string | number)[];

/** The orders of a stored row, as OrderRow objects. */
export function decodeOrders(b: StoredBody): OrderRow[] {
  const rows = JSON.parse(b.orders) as Json[];
  const prices = JSON.parse(b.prices) as number[];
  const { seq: seq0, ts: ts0, day } = b;
  const out: OrderRow[] = new Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    out[k] = {
      seq: seq0 + (r[0] as number), id: r[1] as string, symbol: r[2] as string, side: r[3] as number, qty: r[4] as number,
      price: prices[2 * k]!, orderType: r[5] as number, tif: r[6] as number, configVersion: r[7] as number,
      signalPrice: prices[2 * k + 1]!, ts: ts0 + (r[8] as number), day,
    };
  }
  return out;
}

/** The fills of a stored row; `orders` are the same row's, when already decoded (a folded fill repeats one). */
export function decodeFills(b: StoredBody, orders: readonly OrderRow[] | null = null): FillRow[] {
  const rows = JSON.parse(b.fills) as Json[];
  const { seq: seq0, ts: ts0, day } = b;
  const out: FillRow[] = new Array(rows.length);
  let os = orders;
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    if (r.length === 2) {
      os ??= decodeOrders(b);
      const o = os[r[1] as number]!;
      out[k] = { seq: seq0 + (r[0] as number), orderId: o.id, symbol: o.symbol, side: o.side, qty: o.qty, price: o.price, ts: o.ts, day };
    } else {
      out[k] = {
        seq: seq0 + (r[0] as number), orderId: r[1] as string, symbol: r[2] as string, side: r[3] as number, qty: r[4] as number,
        price: r[5] as number, ts: ts0 + (r[6] as number), day,
      };
    }
  }
  return out;
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
