/**
 * The journal's stored form (src/store/batch-body.ts) on its own: what is encoded decodes to the
 * same rows, field for field, whatever the rows hold; prices come back bit for bit whether written
 * as ints at the row's scale or kept as doubles; rows in migration 6's layout still decode;
 * batches are cut where a day changes and at MAX_BODY_ROWS; the rows the old tables' CHECKs
 * refused are refused. The Store contract and the migration tests cover it through SQLite.
 */
import { describe, expect, test } from "bun:test";
import { decodeBody, encodeBody, MAX_BODY_ROWS, segments, toBatch } from "../../src/store/batch-body.ts";
import { encodeBodyV6 } from "../../src/store/body-v6.ts";
import { JournalRowError } from "../../src/store/errors.ts";
import { MAX_SCALE, scaled } from "../../src/store/price-code.ts";
import type { FillRow, OrderRow } from "../../src/store/store.ts";
import { DAY, T0 } from "./store.contract.ts";

/** A deterministic mix of the fills a journal sees, in append order. */
function mixedRows(n: number, seed = 3): { orders: OrderRow[]; fills: FillRow[] } {
  let s = seed;
  const rnd = () => ((s = (s * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32);
  const orders: OrderRow[] = [];
  const fills: FillRow[] = [];
  let seq = 100;
  for (let k = 0; k < n; k++) {
    const id = k % 13 === 0 ? `odd "id" \\ \n é ${k}` : `c${k & 3}-${k}`;
    const side = rnd() < 0.5 ? 1 : -1;
    const price = Math.round((50 + rnd() * 100) * 100) / 100 + (k % 7 === 0 ? 1e-9 : 0);
    const qty = k % 11 === 0 ? 2.5 : 1 + Math.floor(rnd() * 300);
    const ts = T0 + k * 3 + (k % 17 === 0 ? 0.25 : 0);
    const o: OrderRow = {
      seq: ++seq, id, symbol: ["AAA", "BRK.B", "X/Y"][k % 3]!, side, qty, price, orderType: k % 2, tif: k % 3,
      configVersion: 1 + (k % 4), signalPrice: price - 0.01, ts, day: DAY,
    };
    orders.push(o);
    if (k % 5 === 4) seq += 2; // seqs taken by state changes
    const kind = k % 4;
    if (kind === 0) fills.push({ seq: ++seq, orderId: id, symbol: o.symbol, side, qty, price, ts, day: DAY }); // paper: folded
    if (kind === 1) fills.push({ seq: ++seq, orderId: id, symbol: o.symbol, side, qty, price: price * 1.001, ts, day: DAY }); // market
    if (kind === 2) fills.push({ seq: ++seq, orderId: `earlier-${k}`, symbol: "AAA", side: -side, qty: 0.5, price, ts: ts + 1, day: DAY });
  }
  return { orders, fills };
}

/** Encode rows as the writer does, then decode each stored row. */
function roundTrip(orders: OrderRow[], fills: FillRow[]) {
  const b = toBatch(orders, fills);
  const stored: ReturnType<typeof encodeBody>[] = [];
  segments(b, (o0, o1, f0, f1, day) => stored.push(encodeBody(b, o0, o1, f0, f1, day)));
  const back = { orders: [] as OrderRow[], fills: [] as FillRow[] };
  for (const e of stored) {
    const d = decodeBody(e);
    back.orders.push(...d.orders);
    back.fills.push(...d.fills);
  }
  return { stored, back };
}

describe("batch bodies", () => {
  test("every order and fill decodes to what was encoded, field for field", () => {
    const { orders, fills } = mixedRows(400);
    const { stored, back } = roundTrip(orders, fills);
    expect(back.orders).toEqual(orders);
    expect(back.fills).toEqual(fills);
    // The paper fills are stored as a reference to their order (a bare index when the fill's seq
    // follows the order's, 80 of them; [dseq, k] for the 20 after a state change's seq), the others whole.
    const parsed = stored.flatMap((e) => JSON.parse(e.fills) as (number | unknown[])[]);
    expect(parsed.filter((f) => typeof f === "number").length).toBe(80);
    expect(parsed.filter((f) => Array.isArray(f) && f.length === 2).length).toBe(20);
  });

  test("prices: ints at the row's scale when exact, the rest doubles in the side list, all back bit for bit", () => {
    const { orders, fills } = mixedRows(200);
    // Every third order's prices need 4 decimals; market fills (kind 1) are price * 1.001, seldom exact.
    for (let k = 0; k < orders.length; k += 3) orders[k] = { ...orders[k]!, price: 12.3457, signalPrice: 0.1 + 0.2 };
    const tiny = { ...orders[5]!, price: 5e-324, signalPrice: -3.5 }; // no scale writes these
    orders[5] = tiny;
    const { stored, back } = roundTrip(orders, fills);
    expect(back.orders).toEqual(orders);
    expect(back.fills).toEqual(fills);
    for (const o of back.orders) expect(Object.is(o.price, orders.find((x) => x.seq === o.seq)!.price)).toBe(true);
    const e = stored[0]!;
    // 4 decimals at least (12.3457); a market fill's price * 1.001 can need more.
    expect([10_000, 100_000, 1_000_000]).toContain(e.priceScale!);
    const side = JSON.parse(e.prices) as number[];
    expect(side).toContain(5e-324);
    expect(side).toContain(-3.5);
    expect(side).toContain(0.1 + 0.2);
    // Coded prices are ints: positive at the scale, negative into the side list.
    for (const r of JSON.parse(e.orders) as number[][]) {
      for (const x of [r[4]!, r[5]!]) {
        expect(Number.isInteger(x)).toBe(true);
        if (x < 0) expect(side[-x - 1]).toBeDefined();
      }
    }
  });

  test("scaled() gives back exactly the price or refuses it", () => {
    let s = 11;
    const rnd = () => ((s = (s * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32);
    for (let n = 0; n < 20_000; n++) {
      const p = n % 2 === 0 ? Math.round(rnd() * 1e7) / 10 ** (n % 7) : rnd() * 1000;
      for (let scale = 1; scale <= MAX_SCALE; scale *= 10) {
        const x = scaled(p, scale);
        if (x !== 0) {
          expect(x / scale).toBe(p);
          expect(x | 0).toBe(x);
        }
      }
    }
    expect(scaled(2 ** 31 / 100, 100)).toBe(0); // over int32
    expect(scaled(0, 100)).toBe(0);
    expect(scaled(-1, 100)).toBe(0);
  });

  test("rows in migration 6's layout (price_scale NULL) decode as before", () => {
    const { orders, fills } = mixedRows(300);
    const b = toBatch(orders, fills);
    const back = { orders: [] as OrderRow[], fills: [] as FillRow[] };
    segments(b, (o0, o1, f0, f1, day) => {
      const e = encodeBodyV6(b, o0, o1, f0, f1, day);
      expect(e.priceScale).toBeNull();
      // As a reader selects it: the column is NULL.
      const d = decodeBody({ seq: e.seq, ts: e.ts, day: e.day, orders: e.orders, prices: e.prices, fills: e.fills, priceScale: null });
      back.orders.push(...d.orders);
      back.fills.push(...d.fills);
    });
    expect(back.orders).toEqual(orders);
    expect(back.fills).toEqual(fills);
    // A row read without its tag is refused rather than decoded in the wrong layout.
    const e = encodeBody(b, 0, 3, 0, 0, DAY);
    expect(() => decodeBody({ ...e, priceScale: undefined as unknown as null })).toThrow("price_scale");
  });

  test("a time that a delta would not give back exactly makes the row keep whole times", () => {
    const { orders, fills } = mixedRows(20);
    orders[3] = { ...orders[3]!, ts: 2 ** 60 + 0.5 };
    const { stored, back } = roundTrip(orders, fills);
    expect(stored[0]!.ts).toBe(0);
    expect(back.orders).toEqual(orders);
  });

  test("a batch across a day roll is two stored rows, and large batches are cut at MAX_BODY_ROWS; seq ranges never overlap", () => {
    const { orders, fills } = mixedRows(3 * MAX_BODY_ROWS);
    const roll = orders[700]!.seq;
    for (const r of [...orders, ...fills]) (r as { day: number }).day = r.seq < roll ? DAY : DAY + 1;
    const { stored, back } = roundTrip(orders, fills);
    expect(back.orders).toEqual(orders);
    expect(back.fills).toEqual(fills);
    const before = [...orders, ...fills].filter((r) => r.day === DAY).length;
    const after = orders.length + fills.length - before;
    const days = stored.map((e) => e.day);
    expect(days).toEqual([
      ...new Array<number>(Math.ceil(before / MAX_BODY_ROWS)).fill(DAY),
      ...new Array<number>(Math.ceil(after / MAX_BODY_ROWS)).fill(DAY + 1),
    ]);
    for (const e of stored) expect(e.ordersN + e.fillsN).toBeLessThanOrEqual(MAX_BODY_ROWS);
    for (let k = 1; k < stored.length; k++) expect(stored[k]!.seq).toBeGreaterThan(stored[k - 1]!.lastSeq);
  });

  test("a folded fill whose order is gone (pruned) is stored whole when its row is rewritten", () => {
    const { orders, fills } = mixedRows(8);
    const b = toBatch(orders, fills);
    const e = encodeBody(b, 0, orders.length, 0, fills.length, DAY);
    const d = decodeBody(e);
    const kept = d.orders.slice(4);
    const rewritten = encodeBody(toBatch(kept, d.fills), 0, kept.length, 0, d.fills.length, DAY, e);
    expect(rewritten.seq).toBe(e.seq);
    expect(rewritten.lastSeq).toBe(e.lastSeq);
    const again = decodeBody(rewritten);
    expect(again.orders).toEqual(kept);
    expect(again.fills).toEqual(fills);
  });

  test("the rows the old tables refused are refused", () => {
    const { orders, fills } = mixedRows(4);
    const bad: [string, OrderRow[], FillRow[]][] = [
      ["side", [{ ...orders[0]!, side: 0 }], []],
      ["qty", [{ ...orders[0]!, qty: -5 }], []],
      ["qty", [{ ...orders[0]!, qty: Number.NaN }], []],
      ["price", [{ ...orders[0]!, price: 0 }], []],
      ["price", [{ ...orders[0]!, price: Infinity }], []],
      ["field", [{ ...orders[0]!, signalPrice: Infinity }], []],
      ["signal_id", [{ ...orders[0]!, id: null as unknown as string }], []],
      ["side", [], [{ ...fills[0]!, side: 2 }]],
      ["price", [], [{ ...fills[0]!, price: -1 }]],
      ["ts", [], [{ ...fills[0]!, ts: Number.NaN }]],
      ["day", [{ ...orders[0]!, day: Number.NaN }], []],
    ];
    for (const [field, os, fs] of bad) {
      expect(() => roundTrip(os, fs)).toThrow(JournalRowError);
      expect(() => roundTrip(os, fs)).toThrow(field);
    }
  });
});
