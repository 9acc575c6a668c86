/** No cap on the number of symbols: 100,000 validate and compile. No timings asserted here. */
import { describe, expect, test } from "bun:test";
import { generateDocument, symbolName } from "../../bench/gen-config.ts";
import { prepareText, prepareValue, type Prepared } from "../../src/config/prepare.ts";
import * as S from "../../src/config/snapshot.ts";
import { keyOf, referenceEffective, type Raw } from "./fixtures.ts";

const N = 100_000;
const doc = generateDocument(N) as Raw;

function prepared(r: ReturnType<typeof prepareValue>): Prepared {
  if (!r.ok) throw new Error(JSON.stringify(r.issues.slice(0, 5)));
  return r;
}

describe(`${N.toLocaleString("en")} symbols`, () => {
  const p = prepared(prepareValue(doc));
  const s = p.snapshot;

  test("validate and compile, without warnings", () => {
    expect(p.warnings).toEqual([]);
    expect(s.symbolCount).toBe(N);
    expect(s.index.size).toBe(N);
    expect(s.symbols.length).toBe(N);
    expect(s.row.length).toBeGreaterThanOrEqual(N);
    expect(s.inst.length).toBeGreaterThanOrEqual(N * S.INST_WIDTH);
  });

  test("identical effective configs are interned into a handful of profiles", () => {
    const distinct = new Set<string>([keyOf(referenceEffective(doc, undefined))]);
    for (const st of Object.keys(doc.strategies)) distinct.add(keyOf(referenceEffective(doc, undefined, st)));
    for (let i = 0; i < N; i += 1) distinct.add(keyOf(referenceEffective(doc, symbolName(i))));
    expect(s.profileCount).toBe(distinct.size);
    expect(s.profileCount).toBeLessThan(100);
  });

  // The first, the last, one in the middle, one with an override, one without a strategy.
  for (const i of [0, 1, 4, 9, 50_000, 77_779, N - 1]) {
    test(`${symbolName(i)}'s slots`, () => {
      const name = symbolName(i);
      const entry = doc.symbols[name];
      expect(s.index.get(name)).toBe(i);
      expect(S.referenceOf(s, i)).toBe(entry.reference_price);
      expect(S.classField(s, i, S.K_TICK_SIZE)).toBe(entry.tick_size);
      expect(S.classField(s, i, S.K_LOT_SIZE)).toBe(entry.lot_size);
      expect(s.sectors[S.sectorOf(s, i)]).toBe(entry.sector);
      const st = S.classField(s, i, S.K_STRATEGY);
      expect(st === -1 ? undefined : s.strategies[st]).toBe(entry.strategy);
      const id = S.classField(s, i, S.K_PROFILE);
      const c = S.classOf(s, i);
      const want = referenceEffective(doc, name);
      expect(s.profileObjects[id]).toEqual({ id, ...want } as never);
      expect(s.profiles[id * S.PROFILE_WIDTH + S.P_MAX_SIZE]).toBe(want.position_sizing!.max_position_size);
      expect(s.profiles[id * S.PROFILE_WIDTH + S.P_PRICE_COLLAR_BPS]).toBe(want.limits!.price_collar_bps);
      expect(s.hot[c]!.maxSize).toBe(want.position_sizing!.max_position_size);
      expect(s.hot[c]!.priceCollarBps).toBe(want.limits!.price_collar_bps);
      expect(s.hot[c]!.tickSize).toBe(entry.tick_size);
      expect(s.hot[c]!.lotSize).toBe(entry.lot_size);
    });
  }

  test("the generator covers overrides and symbols without a strategy", () => {
    expect(doc.symbols[symbolName(9)].limits).toBeDefined();
    expect(doc.symbols[symbolName(4)].strategy).toBeUndefined();
  });

  test("the same document as JSON text has the same hash", () => {
    const q = prepared(prepareText(JSON.stringify(doc), "json"));
    expect(q.hash).toBe(p.hash);
    expect(q.snapshot.symbolCount).toBe(N);
  });

  test("one broken symbol among 100,000 is one issue, named", () => {
    const broken = structuredClone(doc);
    broken.symbols[symbolName(54_321)].position_sizing = { max_position_size: 1 };
    broken.symbols[symbolName(99_998)].sector = "nowhere";
    const r = prepareValue(broken);
    if (r.ok) throw new Error("valid");
    expect(r.issues.map((i) => [i.path, i.code])).toEqual([
      [`symbols.${symbolName(54_321)}.position_sizing.max_position_size`, "max_not_above_default"],
      [`symbols.${symbolName(99_998)}.sector`, "unknown_sector"],
    ]);
  });

  test("a broken default among 100,000 symbols is one issue, not one per symbol", () => {
    const broken = structuredClone(doc);
    broken.trading.position_sizing.max_position_size = 100;
    const r = prepareValue(broken);
    if (r.ok) throw new Error("valid");
    // Two strategies set sizes of their own (both fine); symbols with a max of their own are fine too.
    expect(r.issues.map((i) => [i.path, i.code])).toEqual([["trading.position_sizing.max_position_size", "max_not_above_default"]]);
  });
});
