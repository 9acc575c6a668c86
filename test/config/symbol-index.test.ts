import { describe, expect, test } from "bun:test";
import { rng } from "../../bench/gen-config.ts";
import { prepareValue } from "../../src/config/prepare.ts";
import { SymbolIndex } from "../../src/config/symbol-index.ts";
import { Decider } from "../../src/engine/decide.ts";
import { ACCEPTED, UNKNOWN_SYMBOL } from "../../src/engine/reasons.ts";
import { toSignal } from "../../src/engine/signal.ts";

describe("SymbolIndex", () => {
  test("maps each name to its position and nothing else", () => {
    const names = ["AAPL", "BRK.B", "7203", "0700", "ES:2026Z", "A/B", "X_1-2"];
    const index = SymbolIndex.of(names);
    expect(index.size).toBe(names.length);
    names.forEach((name, i) => {
      expect(index.get(name)).toBe(i);
      expect(index.has(name)).toBe(true);
    });
    // Names a plain object would inherit, index-like strings not listed, and near misses.
    for (const absent of ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "7204", "700", "aapl", "AAPL ", ""]) {
      expect(index.get(absent)).toBeUndefined();
      expect(index.has(absent)).toBe(false);
    }
    expect(new Map(index)).toEqual(new Map(names.map((n, i) => [n, i])));
  });

  test("a key that looks like an array index is found by a freshly parsed string", () => {
    const index = SymbolIndex.of(["9984", "7203", "1"]);
    const parsed = JSON.parse('{"a":"7203","b":"1","c":"9984"}') as Record<string, string>;
    expect(index.get(parsed.a!)).toBe(1);
    expect(index.get(parsed.b!)).toBe(2);
    expect(index.get(parsed.c!)).toBe(0);
  });

  test("set and delete keep the size and the look-ups right, through random changes", () => {
    const rand = rng(11);
    const index = new SymbolIndex();
    const model = new Map<string, number>();
    for (let step = 0; step < 5000; step++) {
      const name = `S${Math.floor(rand() * 300)}`;
      if (rand() < 0.6) {
        index.set(name, step);
        model.set(name, step);
      } else {
        expect(index.delete(name)).toBe(model.delete(name));
      }
      expect(index.size).toBe(model.size);
    }
    for (let k = 0; k < 300; k++) expect(index.get(`S${k}`)).toBe(model.get(`S${k}`));
    expect(new Map(index)).toEqual(model);
  });

  test("the engine finds symbols by names parsed off the wire, and refuses unknown ones", () => {
    const prepared = prepareValue({
      risk: { sectors: { tech: { max_gross_exposure: 1e9 } } },
      symbols: {
        "7203": { sector: "tech", reference_price: 100, tick_size: 0.01, lot_size: 1 },
        AAPL: { sector: "tech", reference_price: 190, tick_size: 0.01, lot_size: 1 },
      },
    });
    if (!prepared.ok) throw new Error(JSON.stringify(prepared.issues));
    const d = new Decider(prepared.snapshot, 1);
    const decide = (line: string) => {
      const p = toSignal(JSON.parse(line), () => 0);
      if (!p.ok) throw new Error(p.message);
      return d.decide(p.signal);
    };
    expect(decide('{"id":"1","symbol":"7203","side":"buy","strength":1,"price":100,"ts":1}')).toBe(ACCEPTED);
    expect(d.symbolIndex).toBe(prepared.snapshot.index.get("7203")!);
    expect(decide('{"id":"2","symbol":"AAPL","side":"buy","strength":1,"price":190,"ts":2}')).toBe(ACCEPTED);
    expect(decide('{"id":"3","symbol":"__proto__","side":"buy","strength":1,"price":190,"ts":3}')).toBe(UNKNOWN_SYMBOL);
    expect(decide('{"id":"4","symbol":"constructor","side":"buy","strength":1,"price":190,"ts":4}')).toBe(UNKNOWN_SYMBOL);
    expect(decide('{"id":"5","symbol":"720","side":"buy","strength":1,"price":190,"ts":5}')).toBe(UNKNOWN_SYMBOL);
  });
});
