/**
 * Sizing and pricing through the engine: fixed vs scaled size, lot rounding (with its float
 * tolerance), clipping to max_position_size from both sides and across zero, reductions never
 * blocked (even above a limit lowered by a reload), limit prices on the tick grid towards the
 * passive side, market orders at the signal price.
 */
import { describe, expect, test } from "bun:test";
import { engineWith, orderOf, outcome, sig, snapshotOf, T0 } from "./fixtures.ts";

const BUY = 1;
const SELL = -1;

function sizing(method: "fixed" | "scaled", default_position_size: number, max_position_size: number, lot_size = 1) {
  return {
    trading: { position_sizing: { method, default_position_size, max_position_size } },
    symbols: { AAA: { lot_size } },
  };
}

describe("size", () => {
  test("fixed: default_position_size whatever the strength", () => {
    const e = engineWith(sizing("fixed", 100, 10_000));
    let t = T0;
    for (const strength of [1, 0.5, 0.01, Number.MIN_VALUE]) {
      expect(orderOf(e.process(sig("AAA", BUY, 100, { strength, ts: ++t }))).qty).toBe(100);
    }
  });

  test("scaled: default_position_size * strength, rounded down to whole units", () => {
    const e = engineWith(sizing("scaled", 100, 10_000));
    let t = T0;
    const cases: [number, number][] = [[1, 100], [0.5, 50], [0.555, 55], [0.999, 99], [0.01, 1]];
    for (const [strength, qty] of cases) expect(orderOf(e.process(sig("AAA", BUY, 100, { strength, ts: ++t }))).qty).toBe(qty);
  });

  test("scaled: float noise below a whole lot is absorbed (0.29 * 100 is 29, not 28)", () => {
    expect(0.29 * 100).toBeLessThan(29); // the noise this guards against
    const e = engineWith(sizing("scaled", 100, 10_000));
    expect(orderOf(e.process(sig("AAA", BUY, 100, { strength: 0.29 }))).qty).toBe(29);
    expect(orderOf(e.process(sig("AAA", BUY, 100, { strength: 0.57, ts: T0 + 1 }))).qty).toBe(57);
    expect(orderOf(e.process(sig("AAA", BUY, 100, { strength: 0.58, ts: T0 + 2 }))).qty).toBe(58);
  });

  test("rounded down to lot_size", () => {
    const e = engineWith(sizing("scaled", 1000, 100_000, 100));
    let t = T0;
    const cases: [number, number][] = [[1, 1000], [0.99, 900], [0.5, 500], [0.29, 200], [0.1, 100], [0.3, 300]];
    for (const [strength, qty] of cases) expect(orderOf(e.process(sig("AAA", BUY, 100, { strength, ts: ++t }))).qty).toBe(qty);
    expect(outcome(e.process(sig("AAA", BUY, 100, { strength: 0.099, ts: ++t })))).toBe("zero_quantity");
  });

  test("fixed size not a multiple of the lot is rounded down", () => {
    const e = engineWith(sizing("fixed", 250, 10_000, 100));
    expect(orderOf(e.process(sig("AAA", BUY, 100))).qty).toBe(200);
  });

  test("lot sizes 1, 10 and 100 with fractional default sizes", () => {
    for (const [lot, qty] of [[1, 12], [10, 10], [100, 0]] as const) {
      const e = engineWith(sizing("fixed", 12.5, 100, lot));
      const r = e.process(sig("AAA", BUY, 100));
      if (qty === 0) expect(outcome(r)).toBe("zero_quantity");
      else expect(orderOf(r).qty).toBe(qty);
    }
  });
});

describe("clipping to max_position_size", () => {
  test("long side: clipped to the room left, then rejected", () => {
    const e = engineWith(sizing("fixed", 400, 1000));
    const qtys = [1, 2, 3].map((k) => orderOf(e.process(sig("AAA", BUY, 100, { ts: T0 + k }))).qty);
    expect(qtys).toEqual([400, 400, 200]);
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: T0 + 4 })))).toBe("max_position_size");
    expect(e.decider.state.position(0)).toBe(1000);
  });

  test("short side: the same, mirrored", () => {
    const e = engineWith(sizing("fixed", 400, 1000));
    const qtys = [1, 2, 3].map((k) => orderOf(e.process(sig("AAA", SELL, 100, { ts: T0 + k }))).qty);
    expect(qtys).toEqual([400, 400, 200]);
    expect(outcome(e.process(sig("AAA", SELL, 100, { ts: T0 + 4 })))).toBe("max_position_size");
    expect(e.decider.state.position(0)).toBe(-1000);
  });

  test("the clip is rounded down to whole lots; a clip below one lot rejects", () => {
    const e = engineWith(sizing("fixed", 200, 250, 100));
    expect(orderOf(e.process(sig("AAA", BUY, 100))).qty).toBe(200);
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: T0 + 1 })))).toBe("max_position_size"); // 50 of room: 0 lots
    const f = engineWith(sizing("fixed", 200, 350, 100));
    f.process(sig("AAA", BUY, 100));
    expect(orderOf(f.process(sig("AAA", BUY, 100, { ts: T0 + 1 }))).qty).toBe(100); // 150 of room: 1 lot
  });

  test("across zero: a flip is allowed and ends within the limit on the other side", () => {
    const e = engineWith(sizing("fixed", 500, 600));
    e.process(sig("AAA", BUY, 100));
    expect(orderOf(e.process(sig("AAA", BUY, 100, { ts: T0 + 1 }))).qty).toBe(100); // +600
    expect(orderOf(e.process(sig("AAA", SELL, 100, { ts: T0 + 2 }))).qty).toBe(500); // +100
    expect(orderOf(e.process(sig("AAA", SELL, 100, { ts: T0 + 3 }))).qty).toBe(500); // -400: flipped
    expect(orderOf(e.process(sig("AAA", SELL, 100, { ts: T0 + 4 }))).qty).toBe(200); // -600: clipped
    expect(outcome(e.process(sig("AAA", SELL, 100, { ts: T0 + 5 })))).toBe("max_position_size");
    expect(orderOf(e.process(sig("AAA", BUY, 100, { ts: T0 + 6 }))).qty).toBe(500); // -100
    expect(orderOf(e.process(sig("AAA", BUY, 100, { ts: T0 + 7 }))).qty).toBe(500); // +400: flipped back
    expect(e.decider.state.position(0)).toBe(400);
  });

  test("each symbol is clipped to its own effective limit", () => {
    const e = engineWith({
      trading: { position_sizing: { method: "fixed", default_position_size: 100, max_position_size: 150 } },
      symbols: { BBB: { position_sizing: { max_position_size: 1000 } } },
    });
    e.process(sig("AAA", BUY, 100));
    e.process(sig("BBB", BUY, 50));
    expect(orderOf(e.process(sig("AAA", BUY, 100, { ts: T0 + 1 }))).qty).toBe(50);
    expect(orderOf(e.process(sig("BBB", BUY, 50, { ts: T0 + 1 }))).qty).toBe(100);
  });
});

describe("reductions are never blocked by max_position_size", () => {
  test("with |position| above a limit lowered by reload: increases refused, reductions accepted", () => {
    const e = engineWith(sizing("fixed", 300, 1000));
    e.process(sig("AAA", BUY, 100));
    e.process(sig("AAA", BUY, 100, { ts: T0 + 1 })); // +600
    e.load(snapshotOf(sizing("fixed", 100, 200)), 2);
    expect(e.decider.state.position(0)).toBe(600);
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: T0 + 2 })))).toBe("max_position_size");
    for (let k = 0; k < 4; k++) expect(orderOf(e.process(sig("AAA", SELL, 100, { ts: T0 + 3 + k }))).qty).toBe(100);
    expect(e.decider.state.position(0)).toBe(200);
    // At the limit again: a buy has no room, a sell still goes.
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: T0 + 10 })))).toBe("max_position_size");
    expect(orderOf(e.process(sig("AAA", SELL, 100, { ts: T0 + 11 }))).qty).toBe(100);
  });

  test("the same for a short position", () => {
    const e = engineWith(sizing("fixed", 300, 1000));
    e.process(sig("AAA", SELL, 100)); // -300
    e.load(snapshotOf(sizing("fixed", 100, 200)), 2);
    expect(outcome(e.process(sig("AAA", SELL, 100, { ts: T0 + 1 })))).toBe("max_position_size");
    expect(orderOf(e.process(sig("AAA", BUY, 100, { ts: T0 + 2 }))).qty).toBe(100);
  });
});

describe("price", () => {
  function priced(execution: Record<string, unknown>, tick = 0.01) {
    return engineWith({ trading: { execution }, symbols: { AAA: { tick_size: tick, reference_price: 190 } } });
  }

  test("limit: buy above by limit_offset_bps, rounded down to the tick; sell below, rounded up", () => {
    const e = priced({ order_type: "limit", limit_offset_bps: 25 });
    // 190.5381 * 1.0025 = 191.01444525 -> 191.01; 190.5381 * 0.9975 = 190.06175... -> 190.07
    expect(orderOf(e.process(sig("AAA", BUY, 190.5381))).price).toBe(191.01);
    expect(orderOf(e.process(sig("AAA", SELL, 190.5381, { ts: T0 + 1 }))).price).toBe(190.07);
  });

  test("limit with no offset: the signal price rounded towards the passive side, exactly representable", () => {
    const e = priced({ order_type: "limit", limit_offset_bps: 0 });
    expect(orderOf(e.process(sig("AAA", BUY, 190.5381))).price).toBe(190.53);
    expect(orderOf(e.process(sig("AAA", SELL, 190.5381, { ts: T0 + 1 }))).price).toBe(190.54);
    // Already on the grid: unchanged, both sides.
    expect(orderOf(e.process(sig("AAA", BUY, 190.53, { ts: T0 + 2 }))).price).toBe(190.53);
    expect(orderOf(e.process(sig("AAA", SELL, 190.53, { ts: T0 + 3 }))).price).toBe(190.53);
  });

  test.each([
    [0.05, 190.5381, 190.5, 190.55],
    [0.25, 190.5381, 190.5, 190.75],
    [0.001, 190.5381, 190.538, 190.539],
    [5, 190.5381, 190, 195],
    [0.5, 190.5381, 190.5, 191],
  ])("tick %p: %p -> buy %p, sell %p", (tick, price, buy, sell) => {
    const e = priced({ order_type: "limit", limit_offset_bps: 0 }, tick);
    expect(orderOf(e.process(sig("AAA", BUY, price))).price).toBe(buy);
    expect(orderOf(e.process(sig("AAA", SELL, price, { ts: T0 + 1 }))).price).toBe(sell);
  });

  test("market: the order carries the signal price, unrounded; tif comes from the config", () => {
    const e = priced({ order_type: "market", time_in_force: "ioc", limit_offset_bps: 25, max_slippage_bps: 10 });
    const o = orderOf(e.process(sig("AAA", BUY, 190.5381)));
    expect(o).toEqual({ symbol: "AAA", side: "buy", qty: 100, price: 190.5381, type: "market", tif: "ioc" });
    expect(orderOf(e.process(sig("AAA", SELL, 190.5381, { ts: T0 + 1 }))).price).toBe(190.5381);
  });

  test("order type and offset follow inheritance: defaults <- strategy <- symbol", () => {
    const e = engineWith({
      trading: { execution: { order_type: "limit", limit_offset_bps: 10 } },
      strategies: { fast: { execution: { order_type: "market" } } },
      symbols: { BBB: { strategy: "fast" }, CCC: { strategy: "fast", execution: { order_type: "limit", limit_offset_bps: 50 } } },
    });
    expect(orderOf(e.process(sig("AAA", BUY, 100))).price).toBe(100.1);
    expect(orderOf(e.process(sig("BBB", BUY, 50))).type).toBe("market");
    expect(orderOf(e.process(sig("CCC", BUY, 20))).price).toBe(20.1);
  });
});
