/**
 * The contract every Venue implementation keeps, as one shared suite: call `venueContract` from
 * the implementation's own test file with a factory (paper.test.ts does it for PaperVenue;
 * fix/fix-venue.test.ts for FixVenue logged on to an independent FIX acceptor, jspurefix).
 *
 * What the engine relies on:
 *   - each fill names the order it belongs to (orderId, symbol, symbolIndex, side as submitted);
 *   - fills are for a positive, finite quantity and price, and never add up to more than the order;
 *   - a limit order never fills through its limit (a buy at or below, a sell at or above);
 *   - a market order fills within max_slippage_bps of its reference price, against the order;
 *   - fills of one order never carry another order's id, whatever the interleaving;
 *   - an order that is done (filled, cancelled, rejected) is not working; cancelAll() never
 *     throws, and once its cancels are answered no order is working;
 *   - a venue that can take orders says so (`down` is null).
 * Venues that report fills asynchronously pass `settle` (resolves once the orders submitted to a
 * venue have had their reports); `fillsInFull` says the venue fills every order completely;
 * `workingSymbol` names a symbol whose orders the venue leaves working. `make` may be async (a
 * venue that must log on first); every venue made is closed after its test.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { ORDER_LIMIT, ORDER_MARKET } from "../../src/config/snapshot.ts";
import type { CancelAll, Fill, FillListener, Venue, VenueOrder } from "../../src/venue/venue.ts";

export interface VenueContractOptions {
  /** Resolves once every order submitted to `venue` has had its reports. Default: the next macrotask. */
  settle?: (venue: Venue) => Promise<void>;
  /** The venue fills every order completely (the paper venue does). */
  fillsInFull?: boolean;
  /** A symbol whose orders the venue leaves working (for the cancel-all contract); none: every order completes. */
  workingSymbol?: string;
}

/** A venue for engine tests: `submit` is yours; it has nothing working and nothing to cancel. */
export function spyVenue(name: string, submit: (o: VenueOrder) => void): Venue {
  return {
    name,
    submit,
    down: null,
    cancelAll: (reason: string): CancelAll => ({ requested: 0, note: `${name}: nothing to cancel (${reason})` }),
    workingOrders: () => [],
    close: () => Promise.resolve(),
  };
}

let seq = 0;

/** A valid order; override any field. */
export function venueOrder(over: Partial<VenueOrder> = {}): VenueOrder {
  return {
    id: `o${++seq}`,
    symbolIndex: 0,
    symbol: "AAA",
    side: 1,
    qty: 100,
    price: 100,
    orderType: ORDER_LIMIT,
    slippageBps: 10,
    tif: 0,
    ts: Date.UTC(2026, 10, 25, 14, 30),
    ...over,
  };
}

/** Run the Venue contract against the venues `make` builds (one fresh venue per test). */
export function venueContract(label: string, make: (onFill: FillListener) => Venue | Promise<Venue>, opts: VenueContractOptions = {}): void {
  const settle = opts.settle ?? (() => new Promise<void>((r) => setTimeout(r, 0)));
  const made: Venue[] = [];

  async function build(onFill: FillListener): Promise<Venue> {
    const v = await make(onFill);
    made.push(v);
    return v;
  }

  async function run(orders: VenueOrder[]): Promise<{ venue: Venue; fills: Fill[] }> {
    const fills: Fill[] = [];
    const venue = await build((f) => fills.push(f));
    for (const o of orders) venue.submit(o);
    await settle(venue);
    return { venue, fills };
  }

  function fillsOf(fills: Fill[], o: VenueOrder): Fill[] {
    return fills.filter((f) => f.orderId === o.id);
  }

  describe(`Venue contract: ${label}`, () => {
    afterEach(async () => {
      await Promise.all(made.splice(0).map((v) => v.close()));
    });

    test("has a non-empty name and can take orders", async () => {
      const venue = await build(() => {});
      expect(typeof venue.name).toBe("string");
      expect(venue.name.length).toBeGreaterThan(0);
      expect(venue.down).toBeNull();
    });

    test("a fill names its order: id, symbol, symbol index and side as submitted", async () => {
      const o = venueOrder({ symbolIndex: 3, symbol: "CCC", side: -1 });
      const { fills } = await run([o]);
      const mine = fillsOf(fills, o);
      if (opts.fillsInFull) expect(mine.length).toBeGreaterThan(0);
      for (const f of mine) {
        expect(f.symbol).toBe("CCC");
        expect(f.symbolIndex).toBe(3);
        expect(f.side).toBe(-1);
      }
    });

    test("fills are positive and finite, and never add up to more than the order", async () => {
      const orders = [venueOrder({ qty: 1 }), venueOrder({ qty: 250, side: -1 }), venueOrder({ qty: 7, orderType: ORDER_MARKET })];
      const { fills } = await run(orders);
      for (const o of orders) {
        const mine = fillsOf(fills, o);
        let total = 0;
        for (const f of mine) {
          expect(f.qty).toBeGreaterThan(0);
          expect(Number.isFinite(f.qty)).toBe(true);
          expect(f.price).toBeGreaterThan(0);
          expect(Number.isFinite(f.price)).toBe(true);
          expect(Number.isFinite(f.ts)).toBe(true);
          total += f.qty;
        }
        expect(total).toBeLessThanOrEqual(o.qty);
        if (opts.fillsInFull) expect(total).toBe(o.qty);
      }
    });

    test("a limit order never fills through its limit", async () => {
      const buy = venueOrder({ side: 1, price: 100.05, orderType: ORDER_LIMIT });
      const sell = venueOrder({ side: -1, price: 99.95, orderType: ORDER_LIMIT });
      const { fills } = await run([buy, sell]);
      for (const f of fillsOf(fills, buy)) expect(f.price).toBeLessThanOrEqual(100.05);
      for (const f of fillsOf(fills, sell)) expect(f.price).toBeGreaterThanOrEqual(99.95);
    });

    test("a market order fills within max_slippage_bps of its reference price", async () => {
      const buy = venueOrder({ side: 1, price: 200, orderType: ORDER_MARKET, slippageBps: 25 });
      const sell = venueOrder({ side: -1, price: 200, orderType: ORDER_MARKET, slippageBps: 25 });
      const { fills } = await run([buy, sell]);
      for (const f of fillsOf(fills, buy)) expect(f.price).toBeLessThanOrEqual(200 * 1.0025 + 1e-9);
      for (const f of fillsOf(fills, sell)) expect(f.price).toBeGreaterThanOrEqual(200 * 0.9975 - 1e-9);
    });

    test("many interleaved orders: every fill belongs to a submitted order, none over-filled", async () => {
      const orders: VenueOrder[] = [];
      for (let k = 0; k < 200; k++) {
        orders.push(venueOrder({
          symbolIndex: k % 5, symbol: `S${k % 5}`, side: k % 3 === 0 ? -1 : 1, qty: 1 + (k % 17) * 10,
          price: 50 + k, orderType: k % 2 === 0 ? ORDER_LIMIT : ORDER_MARKET,
        }));
      }
      const { fills } = await run(orders);
      const byId = new Map(orders.map((o) => [o.id, o] as const));
      const filled = new Map<string, number>();
      for (const f of fills) {
        const o = byId.get(f.orderId);
        expect(o).toBeDefined();
        expect(f.symbol).toBe(o!.symbol);
        expect(f.side).toBe(o!.side);
        filled.set(f.orderId, (filled.get(f.orderId) ?? 0) + f.qty);
      }
      for (const o of orders) {
        expect(filled.get(o.id) ?? 0).toBeLessThanOrEqual(o.qty);
        if (opts.fillsInFull) expect(filled.get(o.id)).toBe(o.qty);
      }
    });

    test("submit returns without throwing and the venue reports to its own listener only", async () => {
      const a: Fill[] = [];
      const b: Fill[] = [];
      const va = await build((f) => a.push(f));
      const vb = await build((f) => b.push(f));
      const o = venueOrder();
      expect(() => va.submit(o)).not.toThrow();
      await settle(va);
      await settle(vb);
      expect(b.length).toBe(0);
      for (const f of a) expect(f.orderId).toBe(o.id);
    });

    test("done orders are not working; cancelAll leaves nothing working and never throws", async () => {
      const done = venueOrder();
      const left: VenueOrder[] = [];
      if (opts.workingSymbol !== undefined) left.push(venueOrder({ symbol: opts.workingSymbol }), venueOrder({ symbol: opts.workingSymbol, side: -1 }));
      const { venue, fills } = await run([done, ...left]);
      expect(venue.workingOrders().sort()).toEqual(left.map((o) => o.id).sort());
      let r: CancelAll | undefined;
      expect(() => (r = venue.cancelAll("contract test"))).not.toThrow();
      expect(r!.requested).toBe(left.length);
      expect(r!.note.length).toBeGreaterThan(0);
      await settle(venue);
      expect(venue.workingOrders()).toEqual([]);
      for (const o of left) expect(fillsOf(fills, o)).toEqual([]);
      if (opts.fillsInFull) expect(fillsOf(fills, done).reduce((q, f) => q + f.qty, 0)).toBe(done.qty);
    });
  });
}
