import { afterEach, describe, expect, test } from "bun:test";
import type { KeelEvent } from "../../src/events/bus.ts";
import { type Api, json, startApi } from "./fixture.ts";

let api: Api | null = null;
afterEach(async () => {
  await api?.close();
  api = null;
});

let seq = 0;
function signal(symbol: string, side: "buy" | "sell", price: number, strength = 1): Record<string, unknown> {
  return { id: `s${++seq}`, symbol, side, strength, price };
}

async function send(a: Api, signals: unknown[]): Promise<any[]> {
  const r = await a.call("/signals", json(signals, "POST"));
  expect(r.status).toBe(200);
  return r.json();
}

function events(a: Api): KeelEvent[] {
  const seen: KeelEvent[] = [];
  a.bus.subscribe((e) => seen.push(e));
  return seen;
}

describe("GET /risk", () => {
  test("before any signal: ACTIVE, no day, no positions, the limits in force", async () => {
    api = startApi();
    const r = await (await api.call("/risk")).json();
    expect(r).toMatchObject({ trading_state: "ACTIVE", trading_day: null, daily_trades: 0, open_positions: 0, positions: [], gross_exposure: 0, daily_pnl: 0 });
    expect(r.limits).toEqual({
      max_daily_trades: 150, max_positions: 20, max_order_notional: 250000, max_gross_exposure: 2000000,
      max_orders_per_second: 20, price_collar_bps: 500, max_daily_loss: 25000, duplicate_window_ms: 1000,
    });
    expect(r.sectors.map((s: any) => s.sector).sort()).toEqual(["consumer", "energy", "finance", "healthcare", "tech"]);
    expect(r.sectors.every((s: any) => s.exposure === 0)).toBe(true);
  });

  test("after signals: positions, counters, sector exposures and P&L", async () => {
    api = startApi();
    // AAPL: momentum, scaled 200 * 0.5 = 100 per order, then marked at 191. JPM: mean_reversion, fixed 50.
    const replies = await send(api, [signal("AAPL", "buy", 190, 0.5), signal("JPM", "buy", 205), signal("AAPL", "buy", 191, 0.5)]);
    expect(replies.map((r) => r.status)).toEqual(["accepted", "accepted", "accepted"]);
    const r = await (await api.call("/risk")).json();
    expect(r.trading_state).toBe("ACTIVE");
    expect(r.trading_day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(r.daily_trades).toBe(3);
    expect(r.open_positions).toBe(2);
    const bySymbol = Object.fromEntries(r.positions.map((p: any) => [p.symbol, p]));
    expect(Object.keys(bySymbol).sort()).toEqual(["AAPL", "JPM"]);
    const aapl = bySymbol.AAPL;
    expect(aapl.qty).toBe(200);
    expect(aapl.mark).toBe(191);
    expect(aapl.avg_price).toBeCloseTo((100 * replies[0].order.price + 100 * replies[2].order.price) / 200, 9);
    expect(aapl.exposure).toBeCloseTo(200 * 191, 9);
    expect(aapl.unrealized).toBeCloseTo(200 * (191 - aapl.avg_price), 9);
    expect(bySymbol.JPM).toMatchObject({ qty: 50, mark: 205 });
    const sector = Object.fromEntries(r.sectors.map((s: any) => [s.sector, s]));
    expect(sector.tech.exposure).toBeCloseTo(200 * 191, 6);
    expect(sector.tech.limit).toBe(800000);
    expect(sector.finance.exposure).toBeCloseTo(50 * 205, 6);
    expect(sector.energy.exposure).toBe(0);
    expect(r.gross_exposure).toBeCloseTo(200 * 191 + 50 * 205, 6);
    expect(r.unrealized).toBeCloseTo(aapl.unrealized + bySymbol.JPM.unrealized, 6);
    expect(r.daily_pnl).toBeCloseTo(r.realized_today + r.unrealized, 6);
  });

  test("the limits reported follow a PUT", async () => {
    api = startApi();
    const doc = JSON.parse(await (await api.call("/config")).text());
    doc.risk.limits.max_positions = 3;
    expect((await api.call("/config", json(doc))).status).toBe(200);
    expect((await (await api.call("/risk")).json()).limits.max_positions).toBe(3);
  });
});

describe("halt, reduce, resume", () => {
  test("halt: HALTED, audited with X-Author, published, and signals are then rejected trading_halted", async () => {
    api = startApi();
    const seen = events(api);
    const r = await api.call("/risk/halt", json({ reason: "  fat finger  " }, "POST", { "x-author": "carol" }));
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ trading_state: "HALTED", previous: "ACTIVE" });
    expect(api.engine.decider.state.tradingState).toBe(2);
    expect(api.store.listAudit(1)[0]).toMatchObject({
      author: "carol", action: "halt", reason: "fat finger", changes: [{ path: "trading_state", from: "ACTIVE", to: "HALTED" }],
      fromVersion: 1, toVersion: 1,
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ type: "trading_state_changed", from: "ACTIVE", to: "HALTED", reason: "fat finger", author: "carol" });
    expect(typeof (seen[0] as { ts: number }).ts).toBe("number");
    const replies = await send(api, [signal("AAPL", "buy", 190), signal("AAPL", "sell", 190)]);
    expect(replies.map((x) => [x.status, x.reason])).toEqual([["rejected", "trading_halted"], ["rejected", "trading_halted"]]);
    expect((await (await api.call("/risk")).json()).trading_state).toBe("HALTED");
    // The state change is journaled too, so a restart comes back HALTED.
    await api.store.journal.committed();
    expect(api.store.lastStateChange()).toMatchObject({ from: "ACTIVE", to: "HALTED", reason: "fat finger" });
  });

  test("reduce: only orders that shrink a position; resume: ACTIVE again", async () => {
    api = startApi();
    expect((await send(api, [signal("AAPL", "buy", 190)]))[0].order.qty).toBe(200);
    const seen = events(api);
    const red = await api.call("/risk/reduce", json({ reason: "de-risk" }, "POST"));
    expect(await red.json()).toEqual({ trading_state: "REDUCING", previous: "ACTIVE" });
    const during = await send(api, [signal("AAPL", "buy", 190.2), signal("MSFT", "buy", 415), signal("AAPL", "sell", 190.1, 0.25)]);
    expect(during[0]).toMatchObject({ status: "rejected", reason: "reduce_only" });
    expect(during[1]).toMatchObject({ status: "rejected", reason: "reduce_only" });
    expect(during[2]).toMatchObject({ status: "accepted", order: { side: "sell", qty: 50 } });
    // No author header: recorded as "api".
    expect(api.store.listAudit(1)[0]).toMatchObject({ author: "api", action: "reduce", reason: "de-risk" });

    const res = await api.call("/risk/resume", json({ reason: "all clear" }, "POST", { "x-author": "dave" }));
    expect(await res.json()).toEqual({ trading_state: "ACTIVE", previous: "REDUCING" });
    expect(api.store.listAudit(1)[0]).toMatchObject({ author: "dave", action: "resume", reason: "all clear" });
    expect((await send(api, [signal("MSFT", "buy", 415)]))[0].status).toBe("accepted");
    expect(seen.map((e) => e.type === "trading_state_changed" && [e.from, e.to, e.author])).toEqual([
      ["ACTIVE", "REDUCING", "api"],
      ["REDUCING", "ACTIVE", "dave"],
    ]);
  });

  test("a verb that does not change the state answers it, writes no audit row and publishes nothing", async () => {
    api = startApi();
    await api.call("/risk/halt", json({ reason: "one" }, "POST"));
    const audits = api.store.listAudit(100).length;
    const seen = events(api);
    const again = await api.call("/risk/halt", json({ reason: "two" }, "POST"));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ trading_state: "HALTED", previous: "HALTED" });
    expect(api.store.listAudit(100).length).toBe(audits);
    expect(seen).toEqual([]);
  });

  test("a missing, empty, blank, non-string or over-long reason is 400; malformed JSON is 400; nothing changes", async () => {
    api = startApi();
    const seen = events(api);
    const audits = api.store.listAudit(100).length;
    const bodies: (string | undefined)[] = [
      undefined, "", "{}", '{"reason":""}', '{"reason":"   "}', '{"reason":42}', '{"reason":null}', "[]", "null", `{"reason":"${"x".repeat(501)}"}`,
    ];
    for (const verb of ["halt", "reduce", "resume"]) {
      for (const body of bodies) {
        const r = await api.call(`/risk/${verb}`, { method: "POST", ...(body === undefined ? {} : { body, headers: { "content-type": "application/json" } }) });
        expect({ verb, body, status: r.status }).toEqual({ verb, body, status: 400 });
        expect((await r.json()).error).toBe("invalid_body");
      }
      const bad = await api.call(`/risk/${verb}`, { method: "POST", body: "{reason", headers: { "content-type": "application/json" } });
      expect(bad.status).toBe(400);
      expect((await bad.json()).error).toBe("malformed_body");
    }
    expect(api.engine.decider.state.tradingState).toBe(0);
    expect(api.store.listAudit(100).length).toBe(audits);
    expect(seen).toEqual([]);
    // 500 characters is still fine.
    expect((await api.call("/risk/halt", json({ reason: "y".repeat(500) }, "POST"))).status).toBe(200);
  });
});
