/**
 * What every stored-body layout shares (batch-body.ts chooses the layout): the row types, the
 * checks the old tables' CHECK constraints made, and the seq and time bases a row's deltas are
 * taken from. A layout (body-v6.ts, body-v7.ts) only decides how the fields are written.
 */
import { JournalRowError } from "./errors.ts";
import { F_W, O_W, type RowBatch } from "./row-batch.ts";

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
  /** The layout tag: null for migration 6's layout, the price scale for the current one. */
  readonly priceScale: number | null;
}

/** A stored row as read back: what decoding needs. */
export interface StoredBody {
  readonly seq: number;
  readonly ts: number;
  readonly day: number;
  readonly orders: string;
  readonly prices: string;
  readonly fills: string;
  /**
   * The layout tag (`price_scale`): null for migration 6's layout. Required, so a reader that
   * forgets to select the column does not compile (it would decode every row as the old layout).
   */
  readonly priceScale: number | null;
}

/** The seq and time base a stored row keeps (a prune rewriting it passes the row's own). */
export interface BodyBase {
  readonly seq: number;
  readonly ts: number;
  readonly lastSeq: number;
}

/**
 * The same number, as an int32 when it is one: JSON.stringify writes an int32 in a few ns and a
 * double through the shortest-digits conversion (~27 ns here), and numbers read from the
 * journal's Float64Array columns are doubles even when whole. The text is the same either way.
 */
export function int(x: number): number {
  const i = x | 0;
  return i === x ? i : x;
}

export function bad(what: string, seq: number, field: string, value: unknown, rule: string): never {
  throw new JournalRowError(`journal ${what} seq ${seq}: ${field} ${String(value)} refused (${rule})`);
}

/** The old orders table's CHECKs, on order k of the batch. */
export function checkOrder(b: RowBatch, k: number): void {
  const a = k * O_W;
  const oNum = b.oNum;
  const seq = oNum[a]!;
  const side = oNum[a + 1]!;
  const qty = oNum[a + 2]!;
  const price = oNum[a + 3]!;
  if (typeof b.oId[k] !== "string") bad("order", seq, "signal_id", b.oId[k], "a string");
  if (typeof b.oSym[k] !== "string") bad("order", seq, "symbol", b.oSym[k], "a string");
  if (side !== 1 && side !== -1) bad("order", seq, "side", side, "1 or -1");
  if (!(qty > 0 && qty < Infinity)) bad("order", seq, "qty", qty, "a finite number above 0");
  if (!(price > 0 && price < Infinity)) bad("order", seq, "price", price, "a finite number above 0");
  for (let c = 4; c < 10; c++) if (!Number.isFinite(oNum[a + c]!)) bad("order", seq, `field ${c}`, oNum[a + c], "a finite number");
}

/** The old fills table's CHECKs, on fill k of the batch. */
export function checkFill(b: RowBatch, k: number): void {
  const a = k * F_W;
  const fNum = b.fNum;
  const seq = fNum[a]!;
  const side = fNum[a + 1]!;
  const qty = fNum[a + 2]!;
  const price = fNum[a + 3]!;
  const ts = fNum[a + 4]!;
  if (typeof b.fId[k] !== "string") bad("fill", seq, "order_id", b.fId[k], "a string");
  if (typeof b.fSym[k] !== "string") bad("fill", seq, "symbol", b.fSym[k], "a string");
  if (side !== 1 && side !== -1) bad("fill", seq, "side", side, "1 or -1");
  if (!(qty > 0 && qty < Infinity)) bad("fill", seq, "qty", qty, "a finite number above 0");
  if (!(price > 0 && price < Infinity)) bad("fill", seq, "price", price, "a finite number above 0");
  if (!Number.isFinite(ts)) bad("fill", seq, "ts", ts, "a finite number");
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

/** The seq and time base of orders [o0, o1) and fills [f0, f1), unless `base` (a rewrite) gives them. */
export function bodyBase(b: RowBatch, o0: number, o1: number, f0: number, f1: number, base?: BodyBase): BodyBase {
  const oNum = b.oNum;
  const fNum = b.fNum;
  const firstSeq = Math.min(o1 > o0 ? oNum[o0 * O_W]! : Infinity, f1 > f0 ? fNum[f0 * F_W]! : Infinity);
  const lastSeq = Math.max(o1 > o0 ? oNum[(o1 - 1) * O_W]! : -Infinity, f1 > f0 ? fNum[(f1 - 1) * F_W]! : -Infinity);
  if (base !== undefined) return { seq: base.seq, ts: base.ts, lastSeq: base.lastSeq };
  const firstTs = o1 > o0 && (f1 === f0 || oNum[o0 * O_W]! < fNum[f0 * F_W]!) ? oNum[o0 * O_W + 8]! : fNum[f0 * F_W + 4]!;
  return { seq: firstSeq, ts: timeBase(b, o0, o1, f0, f1, firstTs), lastSeq };
}

/**
 * Does fill k repeat order p of the same batch, but for its price: the same id, symbol, side, qty
 * and ts? (p below o0: no order before the fill in this body.) Both layouts store such a fill by
 * reference to its order; the caller compares the price, which a market order's fill moves.
 */
export function repeatsOrder(b: RowBatch, p: number, o0: number, k: number): boolean {
  const o = p * O_W;
  const a = k * F_W;
  const oNum = b.oNum;
  const fNum = b.fNum;
  return p >= o0 && b.oId[p] === b.fId[k] && b.oSym[p] === b.fSym[k] && oNum[o + 1] === fNum[a + 1] && oNum[o + 2] === fNum[a + 2] && oNum[o + 8] === fNum[a + 4];
}
