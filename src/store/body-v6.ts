/**
 * Migration 6's layout of a stored body (rows with `price_scale` NULL). Rows written by keel
 * before migration 7 stay in it, so it is still decoded; it is encoded only by migration 6's own
 * data step (which runs before the `price_scale` column exists).
 *
 *   orders: [[dseq, signal_id, symbol, side, qty, order_type, tif, config_version, dts], ...]
 *   prices: [price, signal_price, price, signal_price, ...]   (two per order, in order)
 *   fills:  [[dseq, order_id, symbol, side, qty, price, dts] | [dseq, k], ...]
 *
 * seq = row.seq + dseq, ts = row.ts + dts; `[dseq, k]` is a fill that repeats orders[k] of the
 * same row exactly (order id, symbol, side, qty, price, ts). The prices were a text of their own
 * because JSON.stringify leaves its fast path for an array that holds a double.
 */
import { bodyBase, checkFill, checkOrder, int, repeatsOrder, type BodyBase, type EncodedBody, type StoredBody } from "./body-common.ts";
import { F_W, O_W, type RowBatch } from "./row-batch.ts";
import type { FillRow, OrderRow } from "./store.ts";

/** Orders [o0, o1) and fills [f0, f1) of a batch (one day, seq order) in migration 6's layout. */
export function encodeBodyV6(b: RowBatch, o0: number, o1: number, f0: number, f1: number, day: number, base?: BodyBase): EncodedBody {
  const oNum = b.oNum;
  const fNum = b.fNum;
  const { seq: seq0, ts: ts0, lastSeq } = bodyBase(b, o0, o1, f0, f1, base);
  const orders: unknown[] = new Array(o1 - o0);
  const prices: number[] = new Array(2 * (o1 - o0));
  for (let k = o0; k < o1; k++) {
    checkOrder(b, k);
    const a = k * O_W;
    orders[k - o0] = [
      int(oNum[a]! - seq0), b.oId[k], b.oSym[k], int(oNum[a + 1]!), int(oNum[a + 2]!), int(oNum[a + 4]!), int(oNum[a + 5]!), int(oNum[a + 6]!),
      int(oNum[a + 8]! - ts0),
    ];
    prices[2 * (k - o0)] = oNum[a + 3]!;
    prices[2 * (k - o0) + 1] = oNum[a + 7]!;
  }
  const fills: unknown[] = new Array(f1 - f0);
  let p = o0 - 1; // the last order before the current fill, in seq order
  for (let k = f0; k < f1; k++) {
    checkFill(b, k);
    const a = k * F_W;
    const seq = fNum[a]!;
    while (p + 1 < o1 && oNum[(p + 1) * O_W]! < seq) p++;
    fills[k - f0] =
      repeatsOrder(b, p, o0, k) && oNum[p * O_W + 3] === fNum[a + 3]
        ? [int(seq - seq0), p - o0]
        : [int(seq - seq0), b.fId[k], b.fSym[k], int(fNum[a + 1]!), int(fNum[a + 2]!), fNum[a + 3]!, int(fNum[a + 4]! - ts0)];
  }
  return {
    seq: seq0, lastSeq, day, ts: ts0, ordersN: o1 - o0, fillsN: f1 - f0,
    orders: JSON.stringify(orders), prices: JSON.stringify(prices), fills: JSON.stringify(fills), priceScale: null,
  };
}

type Json = (string | number)[];

export function decodeOrdersV6(b: StoredBody): OrderRow[] {
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

export function decodeFillsV6(b: StoredBody, orders: () => readonly OrderRow[]): FillRow[] {
  const rows = JSON.parse(b.fills) as Json[];
  const { seq: seq0, ts: ts0, day } = b;
  const out: FillRow[] = new Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    if (r.length === 2) {
      const o = orders()[r[1] as number]!;
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

