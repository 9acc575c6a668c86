/**
 * The current layout of a stored body (migration 7; rows tagged by a non-null `price_scale`):
 *
 *   orders: [[dseq, signal_id, symbol, sqty, price, signal_price, order_type, tif, config_version, dts], ...]
 *   fills:  [k | [dseq, k] | [dseq, k, price] | [dseq, order_id, symbol, sqty, price, dts], ...]
 *   prices: the row's side list of prices no scale writes exactly (price-code.ts), usually []
 *
 * seq = row.seq + dseq, ts = row.ts + dts, sqty = side * qty (side is 1 or -1 and qty > 0, so
 * both come back exactly), and a price is an int at the row's `price_scale` or a reference into
 * `prices` (price-code.ts). A bare `k` is the paper venue's fill: it repeats orders[k] of the same
 * row exactly (order id, symbol, side, qty, price, ts) and its seq is that order's plus one;
 * `[dseq, k]` repeats orders[k] at another seq; `[dseq, k, price]` repeats it but for the price
 * (a market order's fill, moved by slippage); anything else is written whole.
 *
 * Why this and not migration 6's layout (body-v6.ts): per batch of ~195 signals it was ~30 us of
 * encoding in isolation and ~55 us inside the server's loop. The prices were doubles, which keep
 * JSON.stringify off its fast path; with prices as ints everything but the side list is ints and
 * strings. The orders' text outgrew JSC's 8 KiB fast-path buffer: it is stringified in pieces
 * (json-list.ts). Fewer elements and bytes: side folded into qty, prices inline instead of in a
 * text of their own, the paper fill a bare index.
 */
import { bodyBase, checkFill, checkOrder, int, repeatsOrder, type BodyBase, type EncodedBody, type StoredBody } from "./body-common.ts";
import { JsonList } from "./json-list.ts";
import { decodePrice, PriceCoder, widen } from "./price-code.ts";
import { F_W, O_W, type RowBatch } from "./row-batch.ts";
import type { FillRow, OrderRow } from "./store.ts";

// Estimated JSON characters of a row's numbers, brackets and commas (over, for ordinary values).
const ORDER_CHARS = 60;
const FILL_CHARS = 44;

/**
 * The row's scale: the smallest power of ten that writes every order's limit price exactly (where
 * one does). Limit prices sit on a tick grid, so they are what decides it; signal prices and fill
 * prices are written at that scale when they are exact at it, and go to the side list otherwise.
 * Letting every price vote would let one market fill's slippage product (447.179765) raise the
 * whole row to six decimals, pushing ordinary prices past int32 and into the side list.
 */
function rowScale(b: RowBatch, o0: number, o1: number): number {
  let s = 1;
  for (let k = o0; k < o1; k++) s = widen(b.oNum[k * O_W + 3]!, s);
  return s;
}

/** Orders [o0, o1) and fills [f0, f1) of a batch (one day, seq order) as one stored row. */
export function encodeBodyV7(b: RowBatch, o0: number, o1: number, f0: number, f1: number, day: number, base?: BodyBase): EncodedBody {
  const oNum = b.oNum;
  const fNum = b.fNum;
  const { seq: seq0, ts: ts0, lastSeq } = bodyBase(b, o0, o1, f0, f1, base);
  const pc = new PriceCoder(rowScale(b, o0, o1));

  const orders = new JsonList();
  for (let k = o0; k < o1; k++) {
    checkOrder(b, k);
    const a = k * O_W;
    const id = b.oId[k]!;
    const symbol = b.oSym[k]!;
    orders.push(
      [
        int(oNum[a]! - seq0), id, symbol, int(oNum[a + 1]! * oNum[a + 2]!), pc.code(oNum[a + 3]!), pc.code(oNum[a + 7]!),
        int(oNum[a + 4]!), int(oNum[a + 5]!), int(oNum[a + 6]!), int(oNum[a + 8]! - ts0),
      ],
      id.length + symbol.length + ORDER_CHARS,
    );
  }

  const fills = new JsonList();
  let p = o0 - 1; // the last order before the current fill, in seq order
  for (let k = f0; k < f1; k++) {
    checkFill(b, k);
    const a = k * F_W;
    const seq = fNum[a]!;
    while (p + 1 < o1 && oNum[(p + 1) * O_W]! < seq) p++;
    const o = p * O_W;
    const same = repeatsOrder(b, p, o0, k);
    if (same && oNum[o + 3] === fNum[a + 3]) {
      fills.push(oNum[o] === seq - 1 ? p - o0 : [int(seq - seq0), p - o0], 12);
    } else if (same) {
      fills.push([int(seq - seq0), p - o0, pc.code(fNum[a + 3]!)], 24);
    } else {
      const id = b.fId[k]!;
      const symbol = b.fSym[k]!;
      fills.push([int(seq - seq0), id, symbol, int(fNum[a + 1]! * fNum[a + 2]!), pc.code(fNum[a + 3]!), int(fNum[a + 4]! - ts0)], id.length + symbol.length + FILL_CHARS);
    }
  }

  return {
    seq: seq0, lastSeq, day, ts: ts0, ordersN: o1 - o0, fillsN: f1 - f0,
    orders: orders.text(), prices: JSON.stringify(pc.side), fills: fills.text(), priceScale: pc.scale,
  };
}

type Json = (string | number)[];

function order(r: Json, seq0: number, ts0: number, day: number, scale: number, side: readonly number[]): OrderRow {
  const q = r[3] as number;
  return {
    seq: seq0 + (r[0] as number), id: r[1] as string, symbol: r[2] as string, side: q < 0 ? -1 : 1, qty: q < 0 ? -q : q,
    price: decodePrice(r[4] as number, scale, side), orderType: r[6] as number, tif: r[7] as number, configVersion: r[8] as number,
    signalPrice: decodePrice(r[5] as number, scale, side), ts: ts0 + (r[9] as number), day,
  };
}

export function decodeOrdersV7(b: StoredBody, scale: number): OrderRow[] {
  const rows = JSON.parse(b.orders) as Json[];
  const side = JSON.parse(b.prices) as number[];
  const out: OrderRow[] = new Array(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = order(rows[k]!, b.seq, b.ts, b.day, scale, side);
  return out;
}

export function decodeFillsV7(b: StoredBody, scale: number, orders: () => readonly OrderRow[]): FillRow[] {
  const rows = JSON.parse(b.fills) as (number | Json)[];
  const { seq: seq0, ts: ts0, day } = b;
  let side: number[] | null = null;
  const out: FillRow[] = new Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    if (typeof r === "number" || r.length <= 3) {
      const o = orders()[typeof r === "number" ? r : (r[1] as number)]!;
      const seq = typeof r === "number" ? o.seq + 1 : seq0 + (r[0] as number);
      let price = o.price;
      if (typeof r !== "number" && r.length === 3) price = decodePrice(r[2] as number, scale, (side ??= JSON.parse(b.prices) as number[]));
      out[k] = { seq, orderId: o.id, symbol: o.symbol, side: o.side, qty: o.qty, price, ts: o.ts, day };
    } else {
      side ??= JSON.parse(b.prices) as number[];
      const q = r[3] as number;
      out[k] = {
        seq: seq0 + (r[0] as number), orderId: r[1] as string, symbol: r[2] as string, side: q < 0 ? -1 : 1, qty: q < 0 ? -q : q,
        price: decodePrice(r[4] as number, scale, side), ts: ts0 + (r[5] as number), day,
      };
    }
  }
  return out;
}
