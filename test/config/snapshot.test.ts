/**
 * The compiled Snapshot against the reference resolver in fixtures.ts (the slow, obvious way: for
 * every field, the symbol's own override, else its strategy's, else the document's defaults, else
 * the documented default). Random documents come from fast-check.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { prepareValue, type Prepared } from "../../src/config/prepare.ts";
import * as S from "../../src/config/snapshot.ts";
import { assertProperty, keyOf, referenceEffective, type Eff, type Raw } from "./fixtures.ts";

const METHOD: Record<string, number> = { fixed: S.METHOD_FIXED, scaled: S.METHOD_SCALED };
const ORDER: Record<string, number> = { limit: S.ORDER_LIMIT, market: S.ORDER_MARKET };
const TIF: Record<string, number> = { day: S.TIF_DAY, ioc: S.TIF_IOC, gtc: S.TIF_GTC };
/** 1/tick when that is a whole number, by hand. */
const TICK_INV: Record<number, number> = { 0.01: 100, 0.001: 1000, 0.05: 20, 0.25: 4, 1: 1, 0.0001: 10000, 0.3: 0, 5: 0, 0.07: 0 };

/** Every slot of the snapshot against the reference; returns how many symbols share a profile with another. */
function checkSnapshot(doc: Raw, p: Prepared): number {
  const s = p.snapshot;
  const names = Object.keys(doc.symbols ?? {});
  const sectors = Object.keys(doc.risk?.sectors ?? {});
  const strategies = Object.keys(doc.strategies ?? {});
  expect(s.symbolCount).toBe(names.length);
  expect([...s.symbols]).toEqual(names);
  expect(s.index.size).toBe(names.length);
  expect([...s.sectors]).toEqual(sectors);
  expect([...s.strategies]).toEqual(strategies);
  sectors.forEach((name, k) => expect(s.sectorLimit[k]).toBe(doc.risk.sectors[name].max_gross_exposure));
  const [hh, mm] = (doc.risk?.day_reset_utc ?? "00:00").split(":").map(Number);
  expect(s.dayResetMinute).toBe(hh! * 60 + mm!);
  expect(s.mode).toBe(doc.trading?.mode === "live" ? S.MODE_LIVE : S.MODE_PAPER);
  expect(s.hash).toBe(p.hash);

  const rows = new Set<number>();
  const idByKey = new Map<string, number>();
  const classByKey = new Map<string, number>();
  for (const [i, name] of names.entries()) {
    const entry = doc.symbols[name];
    expect(s.index.get(name)).toBe(i);
    const r = s.row[i]!;
    expect(r).toBeGreaterThanOrEqual(0);
    rows.add(r);
    expect(s.inst[r * S.INST_WIDTH + S.I_REFERENCE_PRICE]).toBe(entry.reference_price);
    const c = s.instI32[r * S.INST_I32_WIDTH + S.J_CLASS]!;
    expect(c).toBeGreaterThanOrEqual(0);
    expect(c).toBeLessThan(s.classCount);
    const k = c * S.CLASS_WIDTH;
    expect(s.classes[k + S.K_TICK_SIZE]).toBe(entry.tick_size);
    expect(s.classes[k + S.K_LOT_SIZE]).toBe(entry.lot_size);
    expect(s.classes[k + S.K_LOT_INV]).toBe(1 / entry.lot_size);
    expect(s.classes[k + S.K_TICK_INV]).toBe(TICK_INV[entry.tick_size]!);
    expect(s.sectors[s.classes[k + S.K_SECTOR]!]).toBe(entry.sector);
    const st = s.classes[k + S.K_STRATEGY]!;
    if (entry.strategy === undefined) expect(st).toBe(-1);
    else expect(s.strategies[st]).toBe(entry.strategy);

    const id = s.classes[k + S.K_PROFILE]!;
    const want = referenceEffective(doc, name);
    checkProfile(s, id, want);
    // The flat object of the class: the profile's values and the class's own fields.
    expect(s.hot[c]).toBeInstanceOf(S.HotProfile);
    expect({ ...s.hot[c]! } as Record<string, number>).toEqual({
      ...hotOf(s, id), profile: id, sector: s.classes[k + S.K_SECTOR]!, strategy: st, tickSize: entry.tick_size,
      tickInv: TICK_INV[entry.tick_size]!, lotSize: entry.lot_size, lotInv: 1 / entry.lot_size,
    });
    // Class interning: equal (profile, sector, strategy, tick, lot) <=> one class id.
    const classKey = `${id}|${entry.sector}|${entry.strategy}|${entry.tick_size}|${entry.lot_size}`;
    if (classByKey.has(classKey)) expect(c).toBe(classByKey.get(classKey)!);
    else {
      expect([...classByKey.values()]).not.toContain(c);
      classByKey.set(classKey, c);
    }
    expect(S.effectiveOf(s, name)).toBe(s.profileObjects[id]!);
    // Interning: equal effective configs <=> one profile id.
    const key = keyOf(want);
    if (idByKey.has(key)) expect(id).toBe(idByKey.get(key)!);
    else {
      expect([...idByKey.values()]).not.toContain(id);
      idByKey.set(key, id);
    }
  }
  expect(rows.size).toBe(names.length);
  expect(s.classCount).toBe(classByKey.size);
  expect(s.hot.length).toBe(classByKey.size);
  const sharing = names.length - idByKey.size;

  // Profiles exist for the defaults and every strategy too, and nothing else.
  const all = new Set(names.map((n) => keyOf(referenceEffective(doc, n))));
  all.add(keyOf(referenceEffective(doc, undefined)));
  for (const st of strategies) all.add(keyOf(referenceEffective(doc, undefined, st)));
  expect(s.profileCount).toBe(all.size);
  expect(s.profileObjects.length).toBe(all.size);
  expect(s.profiles.length).toBeGreaterThanOrEqual(all.size * S.PROFILE_WIDTH);
  return sharing;
}

/** The profile fields of the flat object of some class with profile `id` (every class has them). */
function hotOf(s: S.Snapshot, id: number): Record<string, number> {
  const c = s.hot.findIndex((h) => h.profile === id);
  const { profile: _p, sector: _s, strategy: _st, tickSize: _t, tickInv: _ti, lotSize: _l, lotInv: _li, ...fields } = s.hot[c]!;
  return fields;
}

function checkProfile(s: S.Snapshot, id: number, e: Eff): void {
  const t = s.profiles;
  const o = id * S.PROFILE_WIDTH;
  const ps = e.position_sizing!;
  const ex = e.execution!;
  const li = e.limits!;
  const slots: [number, number][] = [
    [S.P_METHOD, METHOD[ps.method]!], [S.P_DEFAULT_SIZE, ps.default_position_size], [S.P_MAX_SIZE, ps.max_position_size],
    [S.P_ORDER_TYPE, ORDER[ex.order_type]!], [S.P_TIF, TIF[ex.time_in_force]!], [S.P_LIMIT_OFFSET_BPS, ex.limit_offset_bps],
    [S.P_MAX_SLIPPAGE_BPS, ex.max_slippage_bps], [S.P_MAX_DAILY_TRADES, li.max_daily_trades], [S.P_MAX_POSITIONS, li.max_positions],
    [S.P_MAX_ORDER_NOTIONAL, li.max_order_notional], [S.P_MAX_GROSS_EXPOSURE, li.max_gross_exposure],
    [S.P_MAX_ORDERS_PER_SECOND, li.max_orders_per_second], [S.P_PRICE_COLLAR_BPS, li.price_collar_bps],
    [S.P_MAX_DAILY_LOSS, li.max_daily_loss], [S.P_DUPLICATE_WINDOW_MS, li.duplicate_window_ms],
    [S.P_BUY_FACTOR, 1 + ex.limit_offset_bps / 10000], [S.P_SELL_FACTOR, 1 - ex.limit_offset_bps / 10000],
    [S.P_BUCKET_MILLI, li.max_orders_per_second * 1000],
  ];
  for (const [slot, value] of slots) expect([slot, t[o + slot]]).toEqual([slot, value]);
  expect(hotOf(s, id)).toEqual({
    method: METHOD[ps.method]!, defaultSize: ps.default_position_size, maxSize: ps.max_position_size,
    orderType: ORDER[ex.order_type]!, tif: TIF[ex.time_in_force]!, maxSlippageBps: ex.max_slippage_bps,
    maxDailyTrades: li.max_daily_trades, maxPositions: li.max_positions, maxOrderNotional: li.max_order_notional,
    maxGrossExposure: li.max_gross_exposure, maxOrdersPerSecond: li.max_orders_per_second, priceCollarBps: li.price_collar_bps,
    maxDailyLoss: li.max_daily_loss, duplicateWindowMs: li.duplicate_window_ms,
    buyFactor: 1 + ex.limit_offset_bps / 10000, sellFactor: 1 - ex.limit_offset_bps / 10000, bucketMilli: li.max_orders_per_second * 1000,
  });
  expect(s.profileObjects[id]).toEqual({ id, ...e } as never);
}

// Sizes are drawn so that every max is above every default: random layers never break the rule.
// Each key is left out two times in three, so layers are sparse and equal configs recur.
const partial = (fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Raw> =>
  fc
    .record(Object.fromEntries(Object.entries(fields).map(([k, a]) => [k, fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary: a, weight: 1 })])))
    .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
const sizing = partial({ method: fc.constantFrom("fixed", "scaled"), default_position_size: fc.constantFrom(0.5, 10, 50, 100), max_position_size: fc.constantFrom(200, 500, 1000, 5000) });
const execution = partial({
  order_type: fc.constantFrom("limit", "market"), time_in_force: fc.constantFrom("day", "ioc", "gtc"),
  limit_offset_bps: fc.constantFrom(0, 1, 2.5, 10), max_slippage_bps: fc.constantFrom(0, 5, 10),
});
const limits = partial({
  max_daily_trades: fc.constantFrom(1, 50, 150, 300), max_positions: fc.constantFrom(1, 20), max_order_notional: fc.constantFrom(1000, 250000),
  max_gross_exposure: fc.constantFrom(1e6, 2e6), max_orders_per_second: fc.constantFrom(1, 20, 50), price_collar_bps: fc.constantFrom(5, 100, 500),
  max_daily_loss: fc.constantFrom(100, 25000), duplicate_window_ms: fc.constantFrom(0, 1000),
});
const overrides = partial({ position_sizing: sizing, execution, limits });
const symbolNames = fc.uniqueArray(fc.constantFrom("AAPL", "MSFT", "BRK.B", "EUR/USD", "XETR:SAP", "ES_F", "BTC-USD", "A", "B", "C", "D", "E", "F", "G", "H", "7203"), { maxLength: 16 });

const documents = fc
  .record({
    trading: partial({ mode: fc.constantFrom("paper", "live"), max_symbols: fc.integer({ min: 1, max: 100 }), position_sizing: sizing, execution }),
    risk: partial({ limits, day_reset_utc: fc.tuple(fc.nat(23), fc.nat(59)).map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`) }),
    sectors: fc.uniqueArray(fc.constantFrom("tech", "finance", "energy", "big-caps", "Sector_9"), { minLength: 1, maxLength: 4 }),
    sectorLimit: fc.constantFrom(100000, 500000, 1234.5),
    strategies: fc.dictionary(fc.constantFrom("momentum", "mean_reversion", "breakout", "x-1"), overrides, { maxKeys: 4 }),
    symbols: symbolNames.chain((names) =>
      fc.tuple(...names.map((name) => fc.record({
        name: fc.constant(name), sector: fc.nat(), strategy: fc.option(fc.nat(), { nil: undefined }), over: overrides,
        reference_price: fc.constantFrom(1, 10.5, 190.25), tick_size: fc.constantFrom(0.01, 0.001, 0.05, 0.25, 1, 0.0001, 0.3, 5, 0.07),
        lot_size: fc.constantFrom(1, 10, 100),
      })))),
  })
  .map(({ trading, risk, sectors, sectorLimit, strategies, symbols }) => {
    const strategyNames = Object.keys(strategies);
    const doc: Raw = { trading, risk: { ...risk, sectors: Object.fromEntries(sectors.map((s) => [s, { max_gross_exposure: sectorLimit }])) }, strategies, symbols: {} };
    for (const { name, sector, strategy, over, ...fields } of symbols) {
      const entry: Raw = { sector: sectors[sector % sectors.length], ...fields, ...over };
      if (strategy !== undefined && strategyNames.length > 0) entry.strategy = strategyNames[strategy % strategyNames.length];
      doc.symbols[name] = entry;
    }
    return doc;
  });

function prepared(doc: Raw): Prepared {
  const p = prepareValue(doc);
  if (!p.ok) throw new Error(`generated an invalid document: ${JSON.stringify(p.issues)}`);
  return p;
}

describe("compiled Snapshot == the reference resolver", () => {
  test("random documents: every slot", () => {
    let symbols = 0;
    let sharing = 0;
    let overridden = 0;
    assertProperty(
      fc.property(documents, (doc) => {
        const names = Object.keys(doc.symbols);
        symbols += names.length;
        overridden += names.filter((n) => Object.keys(doc.symbols[n]).some((k) => k === "limits" || k === "execution" || k === "position_sizing")).length;
        sharing += checkSnapshot(doc, prepared(doc));
      }),
      { numRuns: 200, seed: 1 },
    );
    // The generator must exercise both interning and overrides, or the property proves little.
    expect(symbols).toBeGreaterThan(500);
    expect(overridden).toBeGreaterThan(100);
    expect(sharing).toBeGreaterThan(50);
  });

  test("interning: the same values reached by different routes share one profile", () => {
    const doc: Raw = {
      risk: { sectors: { tech: { max_gross_exposure: 7 } } },
      strategies: { m: { limits: { max_positions: 5 } }, same: { limits: { max_positions: 5 } }, noop: {} },
      symbols: {
        A: { sector: "tech", strategy: "m", reference_price: 1, tick_size: 0.01, lot_size: 1 },
        B: { sector: "tech", reference_price: 2, tick_size: 0.01, lot_size: 1, limits: { max_positions: 5 } },
        C: { sector: "tech", strategy: "same", reference_price: 3, tick_size: 0.3, lot_size: 1 },
        D: { sector: "tech", strategy: "noop", reference_price: 4, tick_size: 5, lot_size: 1 },
        E: { sector: "tech", reference_price: 5, tick_size: 1, lot_size: 1, limits: { max_positions: 20 } },
      },
    };
    const p = prepared(doc);
    checkSnapshot(doc, p);
    const id = (n: string) => S.effectiveOf(p.snapshot, n)!.id;
    // A, B and C arrive at the same values by three routes; D and E are the defaults.
    expect(id("B")).toBe(id("A"));
    expect(id("C")).toBe(id("A"));
    expect(id("D")).toBe(id("E"));
    expect(id("A")).not.toBe(id("D"));
    expect(p.snapshot.profileCount).toBe(2);
  });
});

describe("immutability", () => {
  const doc: Raw = {
    risk: { sectors: { tech: { max_gross_exposure: 7 } } },
    strategies: { m: { limits: { max_positions: 5 } } },
    symbols: { A: { sector: "tech", strategy: "m", reference_price: 1, tick_size: 0.01, lot_size: 1 } },
  };

  test("the snapshot, its profiles and its name tables are frozen", () => {
    const s = prepared(doc).snapshot;
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.sectors)).toBe(true);
    expect(Object.isFrozen(s.strategies)).toBe(true);
    for (const h of s.hot) expect(Object.isFrozen(h)).toBe(true);
    for (const pr of s.profileObjects) {
      expect(Object.isFrozen(pr)).toBe(true);
      for (const sec of [pr.position_sizing, pr.execution, pr.limits]) expect(Object.isFrozen(sec)).toBe(true);
    }
  });

  test("writes throw instead of changing anything", () => {
    const s = prepared(doc).snapshot;
    const w = (o: object, k: string, v: unknown) => () => void ((o as Raw)[k] = v);
    expect(w(s, "hash", "x")).toThrow(TypeError);
    expect(w(s, "symbolCount", 9)).toThrow(TypeError);
    expect(w(s.hot[0]!, "maxSize", 1)).toThrow(TypeError);
    expect(w(s.profileObjects[0]!.limits, "max_positions", 1)).toThrow(TypeError);
    expect(w(s.sectors, "0", "x")).toThrow(TypeError);
    expect(s.profileObjects[0]!.limits.max_positions).toBe(20);
  });

  test("the tables live in shared memory; inst and instI32 are one buffer", () => {
    const s = prepared(doc).snapshot;
    for (const a of [s.row, s.inst, s.instI32, s.profiles, s.classes, s.sectorLimit]) expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(s.instI32.buffer).toBe(s.inst.buffer);
  });

  test("compiling twice gives equal, separate snapshots", () => {
    const a = prepared(doc).snapshot;
    const b = prepared(doc).snapshot;
    expect(b.inst).not.toBe(a.inst);
    expect([...b.inst]).toEqual([...a.inst]);
    expect([...b.profiles]).toEqual([...a.profiles]);
    expect([...b.classes]).toEqual([...a.classes]);
  });
});
