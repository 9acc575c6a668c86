/**
 * The paper venue: the shared Venue contract, its own fill prices, and what its fills do to the
 * engine's risk state (positions, average price, realised P&L on reduce, close and flip, and
 * mark-to-market unrealised P&L at each symbol's last signal price).
 */
import { describe, expect, test } from "bun:test";
import { ORDER_LIMIT, ORDER_MARKET } from "../../src/config/snapshot.ts";
import { Engine } from "../../src/engine/engine.ts";
import { S_AVG, S_MARK } from "../../src/risk/state.ts";
import { PaperVenue } from "../../src/venue/paper.ts";
import type { Fill, VenueOrder } from "../../src/venue/venue.ts";
import { engineWith, orderOf, outcome, sig, snapshotOf, T0 } from "../engine/fixtures.ts";
import { spyVenue, venueContract, venueOrder } from "./venue.contract.ts";

const BUY = 1;
const SELL = -1;

venueContract("paper", (onFill) => new PaperVenue(onFill), { fillsInFull: true, settle: async () => {} });

describe("PaperVenue: the kill switch", () => {
  test("cancelAll is a no-op that says why: paper orders fill at once, nothing is ever working", () => {
    const v = new PaperVenue(() => {});
    v.submit(venueOrder());
    expect(v.workingOrders()).toEqual([]);
    const r = v.cancelAll("operator halt");
    expect(r.requested).toBe(0);
    expect(r.note).toContain("no working orders");
    expect(r.note).toContain("operator halt");
    expect(v.down).toBeNull();
  });
});

describe("PaperVenue fills", () => {
  function fillOf(o: VenueOrder): Fill {
    const fills: Fill[] = [];
    new PaperVenue((f) => fills.push(f)).submit(o);
    expect(fills.length).toBe(1); // at once, in full, synchronously
    return fills[0]!;
  }

  test("is named paper", () => {
    expect(new PaperVenue(() => {}).name).toBe("paper");
  });

  test("a limit order fills at its limit price, in full, at the order's time", () => {
    const o = venueOrder({ id: "L1", side: BUY, qty: 300, price: 100.05, orderType: ORDER_LIMIT, slippageBps: 50 });
    expect(fillOf(o)).toEqual({ orderId: "L1", symbolIndex: 0, symbol: "AAA", side: BUY, qty: 300, price: 100.05, ts: o.ts });
  });

  test("a market buy fills above the reference price by max_slippage_bps, a sell below", () => {
    expect(fillOf(venueOrder({ side: BUY, price: 200, orderType: ORDER_MARKET, slippageBps: 25 })).price).toBeCloseTo(200.5, 12);
    expect(fillOf(venueOrder({ side: SELL, price: 200, orderType: ORDER_MARKET, slippageBps: 25 })).price).toBeCloseTo(199.5, 12);
  });

  test("a market order with no slippage allowance fills at the reference price exactly", () => {
    expect(fillOf(venueOrder({ side: BUY, price: 123.456, orderType: ORDER_MARKET, slippageBps: 0 })).price).toBe(123.456);
  });
});

describe("engine -> venue", () => {
  test("an accepted order reaches the venue with every field; a reject reaches nothing", () => {
    const sent: VenueOrder[] = [];
    const snap = snapshotOf({ trading: { execution: { order_type: "market", max_slippage_bps: 7 } } });
    const e = new Engine(snap, 1, (onFill) =>
      spyVenue("spy", (o) => {
        sent.push(o);
        onFill({ orderId: o.id, symbolIndex: o.symbolIndex, symbol: o.symbol, side: o.side, qty: o.qty, price: o.price, ts: o.ts });
      }),
    );
    e.process(sig("BBB", SELL, 50.123, { id: "q1", ts: T0 + 5 }));
    e.process(sig("ZZZ", SELL, 50));
    expect(sent).toEqual([
      { id: "q1", symbolIndex: snap.index.get("BBB")!, symbol: "BBB", side: SELL, qty: 100, price: 50.123, orderType: ORDER_MARKET, slippageBps: 7, tif: 0, ts: T0 + 5 },
    ]);
    expect(e.decider.state.position(snap.index.get("BBB")!)).toBe(-100);
  });

  test("a venue that does not fill leaves the position flat (fills, not orders, move positions)", () => {
    const e = new Engine(snapshotOf(), 1, () => spyVenue("black-hole", () => {}));
    expect(outcome(e.process(sig("AAA", BUY, 100)))).toBe("accepted");
    expect(e.decider.state.position(0)).toBe(0);
    expect(e.decider.state.openPositions).toBe(0);
    expect(e.decider.state.dailyTrades).toBe(1); // the order counts as a trade all the same
  });
});

describe("positions and P&L from paper fills", () => {
  // Limit orders at the signal price (no offset), so fills are at the (on-grid) signal price.
  function engine(over: Record<string, unknown> = {}) {
    return engineWith({ trading: { position_sizing: { method: "scaled", default_position_size: 300, max_position_size: 3000 } }, ...over });
  }
  const third = 1 / 3; // 100 shares of the 300 default

  test("adding to a position averages the entry price", () => {
    const e = engine();
    e.process(sig("AAA", BUY, 100, { strength: third }));
    e.process(sig("AAA", BUY, 110, { strength: third, ts: T0 + 1 }));
    const st = e.decider.state;
    expect(st.position(0)).toBe(200);
    expect(st.get(0, S_AVG)).toBeCloseTo(105, 12);
    expect(st.realized[0]).toBe(0);
    expect(st.unrealized).toBeCloseTo(200 * (110 - 105), 9);
  });

  test("the strength 1/3 of 300 is 100 shares", () => {
    const e = engine();
    expect(orderOf(e.process(sig("AAA", BUY, 100, { strength: third }))).qty).toBe(100);
  });

  test("reducing realises P&L on the part closed; the average of the rest is unchanged", () => {
    const e = engine();
    e.process(sig("AAA", BUY, 100, { strength: third }));
    e.process(sig("AAA", BUY, 110, { strength: third, ts: T0 + 1 })); // 200 @ 105
    e.process(sig("AAA", SELL, 120, { strength: third, ts: T0 + 2 })); // sell 100 @ 120
    const st = e.decider.state;
    expect(st.position(0)).toBe(100);
    expect(st.get(0, S_AVG)).toBeCloseTo(105, 12);
    expect(st.realized[0]).toBeCloseTo(1500, 9);
    expect(st.realizedToday).toBeCloseTo(1500, 9);
    expect(st.unrealized).toBeCloseTo(100 * (120 - 105), 9);
    expect(st.dailyPnl()).toBeCloseTo(3000, 9);
  });

  test("closing realises the rest; the position, average, exposure and open count go to zero", () => {
    const e = engine();
    e.process(sig("AAA", BUY, 100, { strength: third }));
    e.process(sig("AAA", BUY, 110, { strength: third, ts: T0 + 1 }));
    e.process(sig("AAA", SELL, 120, { strength: third, ts: T0 + 2 }));
    e.process(sig("AAA", SELL, 90, { strength: third, ts: T0 + 3 })); // 100 @ 90 against 105: -1,500
    const st = e.decider.state;
    expect(st.position(0)).toBe(0);
    expect(st.get(0, S_AVG)).toBe(0);
    expect(st.realized[0]).toBeCloseTo(0, 9);
    expect(st.unrealized).toBeCloseTo(0, 9);
    expect(st.gross).toBeCloseTo(0, 9);
    expect(st.sectorExpo[0]).toBeCloseTo(0, 9);
    expect(st.openPositions).toBe(0);
  });

  test("short: a buy back below the entry is a gain", () => {
    const e = engine();
    e.process(sig("AAA", SELL, 100, { strength: third }));
    e.process(sig("AAA", BUY, 90, { strength: 1 / 6, ts: T0 + 1 })); // 50 @ 90
    const st = e.decider.state;
    expect(st.position(0)).toBe(-50);
    expect(st.realized[0]).toBeCloseTo(500, 9);
    expect(st.get(0, S_AVG)).toBeCloseTo(100, 12);
    expect(st.unrealized).toBeCloseTo(-50 * (90 - 100), 9);
  });

  test("a flip realises the whole old position and opens the remainder at the fill price", () => {
    const e = engine();
    e.process(sig("AAA", BUY, 100, { strength: 0.5 })); // +150 @ 100
    e.process(sig("AAA", SELL, 104, { strength: 1, ts: T0 + 1 })); // -300 @ 104: closes 150, opens -150
    const st = e.decider.state;
    expect(st.position(0)).toBe(-150);
    expect(st.realized[0]).toBeCloseTo(150 * 4, 9);
    expect(st.get(0, S_AVG)).toBe(104);
    expect(st.unrealized).toBeCloseTo(0, 9);
    expect(st.gross).toBeCloseTo(150 * 104, 9);
    expect(st.openPositions).toBe(1);
    // And back: the short loses on a rise.
    e.process(sig("AAA", BUY, 106, { strength: 1, ts: T0 + 2 })); // +300 @ 106: closes -150 at -300, opens +150
    expect(st.position(0)).toBe(150);
    expect(st.realized[0]).toBeCloseTo(600 - 300, 9);
    expect(st.get(0, S_AVG)).toBe(106);
  });

  test("market fills include the slippage: an immediate unrealised loss against the mark", () => {
    const e = engine({ trading: { position_sizing: { method: "fixed", default_position_size: 100, max_position_size: 1000 }, execution: { order_type: "market", max_slippage_bps: 10 } } });
    e.process(sig("AAA", BUY, 100));
    const st = e.decider.state;
    expect(st.get(0, S_AVG)).toBeCloseTo(100.1, 12);
    expect(st.get(0, S_MARK)).toBe(100);
    expect(st.unrealized).toBeCloseTo(-10, 9);
    e.process(sig("AAA", SELL, 100, { ts: T0 + 1 })); // sells at 99.9
    expect(st.realized[0]).toBeCloseTo(100 * (99.9 - 100.1), 9);
  });
});

describe("mark-to-market at each symbol's last signal price", () => {
  function book() {
    // max_daily_trades 2: after the two fills every signal is rejected, but after marking.
    const e = engineWith({ risk: { limits: { max_daily_trades: 2, price_collar_bps: 1000 } } });
    e.process(sig("AAA", BUY, 100)); // +100 @ 100 (tech)
    e.process(sig("CCC", SELL, 20)); // -100 @ 20 (energy)
    return e;
  }
  const AAA = 0;
  const CCC = 2;

  test("unrealised P&L, gross and sector exposure follow the last price of each symbol", () => {
    const e = book();
    const st = e.decider.state;
    expect(outcome(e.process(sig("AAA", BUY, 102, { ts: T0 + 1 })))).toBe("max_daily_trades");
    expect(outcome(e.process(sig("CCC", BUY, 19.5, { ts: T0 + 2 })))).toBe("max_daily_trades");
    expect(st.get(AAA, S_MARK)).toBe(102);
    expect(st.get(CCC, S_MARK)).toBe(19.5);
    expect(st.unrealized).toBeCloseTo(100 * 2 + -100 * -0.5, 9);
    expect(st.gross).toBeCloseTo(100 * 102 + 100 * 19.5, 9);
    expect(st.sectorExpo[0]).toBeCloseTo(100 * 102, 9); // tech
    expect(st.sectorExpo[1]).toBeCloseTo(100 * 19.5, 9); // energy
    expect(st.dailyPnl()).toBeCloseTo(250, 9);
    // A later price replaces the mark; only the last one counts.
    e.process(sig("AAA", BUY, 98, { ts: T0 + 3 }));
    expect(st.unrealized).toBeCloseTo(100 * -2 + -100 * -0.5, 9);
  });

  test("a flat symbol's price moves nothing", () => {
    const e = book();
    const st = e.decider.state;
    const before = [st.unrealized, st.gross, st.sectorExpo[0]];
    e.process(sig("BBB", BUY, 55, { ts: T0 + 1 }));
    expect([st.unrealized, st.gross, st.sectorExpo[0]]).toEqual(before);
  });

  test("rejected before the mark (unknown, invalid, collar) moves nothing", () => {
    const e = book();
    const st = e.decider.state;
    const before = [st.unrealized, st.gross, st.get(AAA, S_MARK)];
    e.process(sig("ZZZ", BUY, 1, { ts: T0 + 1 }));
    e.process(sig("AAA", 0, 101, { ts: T0 + 2 }));
    e.process(sig("AAA", BUY, 101, { strength: 2, ts: T0 + 3 }));
    e.process(sig("AAA", BUY, 150, { ts: T0 + 4 })); // 50% off the reference: price_collar
    expect([st.unrealized, st.gross, st.get(AAA, S_MARK)]).toEqual(before);
  });

  test("running totals equal totals recomputed from the rows", () => {
    const e = book();
    const st = e.decider.state;
    let t = T0;
    for (const [sym, px] of [["AAA", 101.5], ["CCC", 20.7], ["AAA", 99.25], ["CCC", 19.01], ["AAA", 100.75]] as const) {
      e.process(sig(sym, BUY, px, { ts: ++t }));
    }
    const running = { gross: st.gross, unrealized: st.unrealized, open: st.openPositions, tech: st.sectorExpo[0], energy: st.sectorExpo[1] };
    st.rebuildTotals(e.snapshot);
    expect(running.gross).toBeCloseTo(st.gross, 9);
    expect(running.unrealized).toBeCloseTo(st.unrealized, 9);
    expect(running.open).toBe(st.openPositions);
    expect(running.tech!).toBeCloseTo(st.sectorExpo[0]!, 9);
    expect(running.energy!).toBeCloseTo(st.sectorExpo[1]!, 9);
  });
});
