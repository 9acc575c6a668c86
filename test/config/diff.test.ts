import { describe, expect, test } from "bun:test";
import { diff, diffAt } from "../../src/config/diff.ts";
import { validate } from "../../src/config/validate.ts";

const base = {
  risk: { sectors: { tech: { max_gross_exposure: 1e6 } } },
  symbols: { AAPL: { sector: "tech", reference_price: 190, tick_size: 0.01, lot_size: 1 } },
};

function doc(raw: unknown) {
  const v = validate(raw);
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return v.document;
}

describe("diff", () => {
  test("identical documents have no changes", () => {
    expect(diff(doc(base), doc(structuredClone(base)))).toEqual([]);
  });

  test("a default written out is no change", () => {
    const explicit = { ...structuredClone(base), risk: { ...base.risk, limits: { max_daily_trades: 50 } } };
    expect(diff(doc(base), doc(explicit))).toEqual([]);
  });

  test("a changed leaf is one entry with its full path", () => {
    const b = structuredClone(base);
    (b as any).risk.limits = { max_daily_trades: 10 };
    expect(diff(doc(base), doc(b))).toEqual([{ path: "risk.limits.max_daily_trades", from: 50, to: 10 }]);
  });

  test("an added symbol is one entry for the whole entry; a removed one too, with null on the other side", () => {
    const b = structuredClone(base) as any;
    b.symbols["BRK.B"] = { sector: "tech", reference_price: 400, tick_size: 0.01, lot_size: 1 };
    const added = diff(doc(base), doc(b));
    expect(added).toEqual([{ path: 'symbols["BRK.B"]', from: null, to: { sector: "tech", reference_price: 400, tick_size: 0.01, lot_size: 1 } }]);
    expect(diff(doc(b), doc(base))).toEqual([{ path: 'symbols["BRK.B"]', from: added[0]!.to, to: null }]);
  });

  test("changes come in canonical (sorted) path order, several at once", () => {
    const b = structuredClone(base) as any;
    b.trading = { mode: "paper", execution: { limit_offset_bps: 5 } };
    b.symbols.AAPL.lot_size = 10;
    b.risk.sectors.tech.max_gross_exposure = 2e6;
    expect(diff(doc(base), doc(b)).map((c) => c.path)).toEqual([
      "risk.sectors.tech.max_gross_exposure",
      "symbols.AAPL.lot_size",
      "trading.execution.limit_offset_bps",
    ]);
  });

  test("an override appearing on a symbol is one entry for the override table", () => {
    const b = structuredClone(base) as any;
    b.symbols.AAPL.limits = { price_collar_bps: 100 };
    expect(diff(doc(base), doc(b))).toEqual([{ path: "symbols.AAPL.limits", from: null, to: { price_collar_bps: 100 } }]);
  });
});

describe("diffAt", () => {
  test("compares two values at a path, as diff() would find them in their documents", () => {
    const a = doc(base);
    const b = structuredClone(base) as any;
    b.symbols.AAPL.lot_size = 10;
    b.symbols.AAPL.limits = { price_collar_bps: 100 };
    const bd = doc(b);
    expect(diffAt(["symbols", "AAPL"], a.symbols.AAPL, bd.symbols.AAPL)).toEqual(diff(a, bd));
  });

  test("a value on one side only is one entry at the path", () => {
    const entry = { sector: "tech", reference_price: 1, tick_size: 0.01, lot_size: 1 };
    expect(diffAt(["symbols", "BRK.B"], undefined, entry)).toEqual([{ path: 'symbols["BRK.B"]', from: null, to: entry }]);
    expect(diffAt(["symbols", "X"], entry, undefined)).toEqual([{ path: "symbols.X", from: entry, to: null }]);
    expect(diffAt(["symbols", "X"], entry, { ...entry })).toEqual([]);
  });
});
