/**
 * Class interning (config/classes.ts): symbols with the same profile, sector, strategy, tick and
 * lot share one class; any difference is a class of its own; and ids far past what a real
 * document has still intern exactly (the text-key path).
 */
import { describe, expect, test } from "bun:test";
import { ClassIds, readClass, tickInverse, writeClass, type ClassValues } from "../../src/config/classes.ts";
import { prepareValue } from "../../src/config/prepare.ts";
import { CLASS_WIDTH, K_LOT_INV, K_TICK_INV, classOf } from "../../src/config/snapshot.ts";

const base: ClassValues = { profile: 3, sector: 1, strategy: -1, tick: 0.01, lot: 100 };

describe("ClassIds", () => {
  test("equal values find the same id; a change in any one field does not", () => {
    const ids = new ClassIds(4, 8);
    ids.set(base, 0);
    expect(ids.get({ ...base })).toBe(0);
    expect(ids.find(3, 1, -1, 0.01, 100)).toBe(0);
    for (const change of [{ profile: 4 }, { sector: 2 }, { strategy: 0 }, { tick: 0.05 }, { lot: 10 }]) {
      expect(ids.get({ ...base, ...change })).toBeUndefined();
    }
    ids.set({ ...base, tick: 0.05 }, 1);
    expect(ids.get({ ...base, tick: 0.05 })).toBe(1);
    expect(ids.get(base)).toBe(0);
    expect(ids.size).toBe(2);
  });

  test("(profile, sector, strategy) past 2^53 as one integer still intern exactly", () => {
    const ids = new ClassIds(2 ** 20, 2 ** 20);
    const big = { ...base, profile: 2 ** 20, sector: 2 ** 20 - 1, strategy: 2 ** 20 - 1 };
    ids.set(big, 7);
    expect(ids.get({ ...big })).toBe(7);
    expect(ids.get({ ...big, strategy: 2 ** 20 - 2 })).toBeUndefined();
    expect(ids.get({ ...big, profile: 2 ** 20 + 1 })).toBeUndefined();
  });

  test("of() reads a table back, and a written row carries the inverses", () => {
    const table = new Float64Array(3 * CLASS_WIDTH);
    writeClass(table, 0, base);
    writeClass(table, 1, { ...base, lot: 3, tick: 0.3 });
    expect(readClass(table, 1)).toEqual({ ...base, lot: 3, tick: 0.3 });
    expect(table[CLASS_WIDTH + K_LOT_INV]).toBe(1 / 3);
    expect(table[CLASS_WIDTH + K_TICK_INV]).toBe(tickInverse(0.3));
    expect(table[K_TICK_INV]).toBe(100);
    const ids = ClassIds.of(table, 2, 4, 8);
    expect(ids.get(base)).toBe(0);
    expect(ids.get({ ...base, lot: 3, tick: 0.3 })).toBe(1);
  });
});

describe("compile() and classes", () => {
  const symbols = (n: number, tick: (i: number) => number) =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`S${i}`, { sector: i % 2 ? "a" : "b", reference_price: 10 + i, tick_size: tick(i), lot_size: 1 }]));
  const doc = (n: number, tick: (i: number) => number) => ({
    risk: { sectors: { a: { max_gross_exposure: 1e9 }, b: { max_gross_exposure: 1e9 } } },
    symbols: symbols(n, tick),
  });

  test("a universe with two sectors and one tick compiles to two classes", () => {
    const p = prepareValue(doc(100, () => 0.01));
    if (!p.ok) throw new Error(JSON.stringify(p.issues));
    expect(p.snapshot.classCount).toBe(2);
    expect(classOf(p.snapshot, 0)).not.toBe(classOf(p.snapshot, 1));
    expect(classOf(p.snapshot, 0)).toBe(classOf(p.snapshot, 2));
  });

  test("the worst case, a tick per symbol, is a class per symbol with its own values", () => {
    const p = prepareValue(doc(100, (i) => (i + 1) / 1000));
    if (!p.ok) throw new Error(JSON.stringify(p.issues));
    const s = p.snapshot;
    expect(s.classCount).toBe(100);
    for (let i = 0; i < 100; i++) expect(s.hot[classOf(s, i)]!.tickSize).toBe((i + 1) / 1000);
  });
});
