import { afterEach, describe, expect, test } from "bun:test";
import { startIngest } from "../../src/ingest/tcp.ts";
import { exchange } from "../cli/serve-helpers.ts";
import { type Api, json, startApi } from "./fixture.ts";

const apis: Api[] = [];
function api(): Api {
  const a = startApi();
  apis.push(a);
  return a;
}
afterEach(async () => {
  for (const a of apis.splice(0)) await a.close();
});

async function post(a: Api, body: unknown): Promise<Response> {
  return a.call("/signals", json(body, "POST"));
}

const T0 = Date.UTC(2026, 2, 10, 15, 0, 0);

/** A mix of what a sender may send: accepted, rejected for several reasons, malformed elements. */
const MIXED: unknown[] = [
  { id: "a1", symbol: "AAPL", side: "buy", strength: 0.5, price: 190.1, ts: T0 },
  { id: "r1", symbol: "NOPE", side: "buy", strength: 0.5, price: 1, ts: T0 + 1 },
  { id: "r2", symbol: "AAPL", side: "up", strength: 0.5, price: 190.1, ts: T0 + 2 },
  { id: "r3", symbol: "AAPL", side: "buy", strength: 0.5, price: 250, ts: T0 + 3 },
  42,
  { symbol: "AAPL", side: "buy", strength: 0.5, price: 190 },
  { id: "e3", symbol: 7, side: "buy", strength: 0.5, price: 190 },
  { id: 17, symbol: "JPM", side: "sell", strength: 1, price: 205.4, ts: T0 + 4, strategy: "mine" },
  { id: "r4", symbol: "AAPL", side: "buy", strength: 0.5, price: 190.1, ts: T0 + 5 },
];

describe("POST /signals", () => {
  test("an array gets one reply per element, in order: accepted with the order, rejected with the reason, error for a malformed element", async () => {
    const a = api();
    const r = await post(a, MIXED);
    expect(r.status).toBe(200);
    const replies = await r.json();
    expect(replies).toHaveLength(MIXED.length);
    expect(replies[0]).toEqual({ id: "a1", status: "accepted", order: { symbol: "AAPL", side: "buy", qty: 100, price: 190.13, type: "limit", tif: "day" }, config_version: 1 });
    expect(replies[1]).toEqual({ id: "r1", status: "rejected", reason: "unknown_symbol", config_version: 1 });
    expect(replies[2]).toEqual({ id: "r2", status: "rejected", reason: "invalid_signal", config_version: 1 });
    expect(replies[3]).toEqual({ id: "r3", status: "rejected", reason: "price_collar", config_version: 1 });
    expect(replies[4]).toEqual({ status: "error", message: "a signal must be a JSON object" });
    expect(replies[5].status).toBe("error");
    expect(replies[5].id).toBeUndefined();
    expect(replies[6]).toMatchObject({ id: "e3", status: "error" });
    // A numeric id is answered as a string; mean_reversion is fixed 50 and IOC; limits round away from crossing (buy down, sell up).
    expect(replies[7]).toEqual({ id: "17", status: "accepted", order: { symbol: "JPM", side: "sell", qty: 50, price: 205.38, type: "limit", tif: "ioc" }, config_version: 1 });
    // The same order again within duplicate_window_ms.
    expect(replies[8]).toEqual({ id: "r4", status: "rejected", reason: "duplicate_order", config_version: 1 });
    for (const x of replies) if (x.status !== "error") expect(x.config_version).toBe(1);
  });

  test("the replies are exactly those TCP ingest gives for the same signals", async () => {
    const http = api();
    const tcp = api();
    const ingest = startIngest({ host: "127.0.0.1", port: 0, engine: tcp.engine, journal: tcp.store.journal });
    try {
      const viaHttp = await (await post(http, MIXED)).json();
      const lines = MIXED.map((s) => JSON.stringify(s)).join("\n") + "\n";
      const viaTcp = await exchange(ingest.port, lines, MIXED.length);
      expect(viaTcp).toEqual(viaHttp);
      // And both engines journaled the same orders.
      const orders = (x: Api) => x.store.dayJournal(x.store.lastDay()!).orders.map(({ seq: _s, ...o }) => o);
      expect(orders(http)).toEqual(orders(tcp));
    } finally {
      await ingest.stop();
    }
  });

  test("replies carry the version they were decided under", async () => {
    const a = api();
    const doc = JSON.parse(await (await a.call("/config")).text());
    doc.trading.position_sizing.default_position_size = 40;
    expect((await a.call("/config", json(doc))).status).toBe(200);
    const [w] = await (await post(a, [{ id: "w", symbol: "WMT", side: "buy", strength: 1, price: 68.4 }])).json();
    expect(w).toMatchObject({ status: "accepted", order: { qty: 40 }, config_version: 2 });
  });

  test("a body that is not an array is 400; malformed JSON is 400; an empty array is []", async () => {
    const a = api();
    for (const body of ['{"id":"1","symbol":"AAPL","side":"buy","strength":1,"price":190}', '"x"', "1", "null", ""]) {
      const r = await a.call("/signals", { method: "POST", body, headers: { "content-type": "application/json" } });
      expect({ body, status: r.status }).toEqual({ body, status: 400 });
      expect(await r.json()).toMatchObject({ error: "invalid_body" });
    }
    const bad = await a.call("/signals", { method: "POST", body: "[{", headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toBe("malformed_body");
    expect(await (await post(a, [])).json()).toEqual([]);
    // Over 1 MiB: 413 before anything is decided.
    const one = { id: "big", symbol: "AAPL", side: "buy", strength: 0.5, price: 190.1, strategy: "x".repeat(100) };
    const big = await post(a, Array.from({ length: 8000 }, (_, k) => ({ ...one, id: `big${k}` })));
    expect(big.status).toBe(413);
    expect((await big.json()).error).toBe("payload_too_large");
    expect(a.engine.outcomes.reduce((x, y) => x + y, 0)).toBe(0);
  });

  test("the accepted orders are committed to the journal when the response arrives", async () => {
    const a = api();
    const j = a.store.journal;
    const pendingAtWait: number[] = [];
    const committed = j.committed.bind(j);
    j.committed = () => {
      pendingAtWait.push(j.pending);
      return committed();
    };
    const batch = Array.from({ length: 200 }, (_, k) => ({
      id: `o${k}`, symbol: k % 2 === 0 ? "AAPL" : "MSFT", side: k % 4 < 2 ? "buy" : "sell", strength: 0.5, price: k % 2 === 0 ? 190 : 415, ts: T0 + k * 1000,
    }));
    const replies = await (await post(a, batch)).json();
    // Read at once: no await between the response and the read.
    const day = a.store.lastDay();
    expect(day).not.toBeNull();
    const journal = a.store.dayJournal(day!);
    const accepted = replies.filter((r: any) => r.status === "accepted");
    expect(accepted.length).toBeGreaterThan(100);
    expect(journal.orders.map((o) => o.id)).toEqual(accepted.map((r: any) => r.id));
    expect(journal.orders.map((o) => [o.symbol, o.qty, o.configVersion])).toEqual(accepted.map((r: any) => [r.order.symbol, r.order.qty, r.config_version]));
    // Paper fills at once: one fill per order, journaled in the same batch.
    expect(journal.fills.map((f) => f.orderId)).toEqual(accepted.map((r: any) => r.id));
    // The route waited on the batch holding those rows, once.
    expect(pendingAtWait).toHaveLength(1);
    expect(pendingAtWait[0]).toBeGreaterThanOrEqual(2 * accepted.length);
    expect(j.pending).toBe(0);
  });

  test("an exception inside the engine answers that signal with an error; the batch's other replies stand", async () => {
    const a = api();
    const process = a.engine.process.bind(a.engine);
    a.engine.process = (s) => {
      if (s.id === "boom") throw new Error("a bug");
      return process(s);
    };
    const r = await post(a, [
      { id: "a1", symbol: "AAPL", side: "buy", strength: 0.5, price: 190.1, ts: T0 },
      { id: "boom", symbol: "AAPL", side: "buy", strength: 0.5, price: 190.1, ts: T0 + 1 },
      { id: "a2", symbol: "MSFT", side: "buy", strength: 0.5, price: 415, ts: T0 + 2 },
    ]);
    expect(r.status).toBe(200);
    const replies = await r.json();
    expect(replies.map((x: any) => [x.id, x.status])).toEqual([["a1", "accepted"], ["boom", "error"], ["a2", "accepted"]]);
    expect(replies[1].message).toBe("internal error");
    // The accepted ones are the journal's: their replies were not lost with the failing one.
    expect(a.store.dayJournal(a.store.lastDay()!).orders.map((o) => o.id)).toEqual(["a1", "a2"]);
  });

  test("a journal commit that fails: 500, nothing acknowledged, and trading halts as it does over TCP", async () => {
    const a = api();
    const seen: any[] = [];
    a.bus.subscribe((e) => seen.push(e));
    // A real failure inside SQLite's transaction: every insert of a journal batch (its orders) aborts it.
    a.store.db.exec("CREATE TRIGGER refuse_orders BEFORE INSERT ON journal_batches BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END");
    const r = await post(a, [{ id: "f1", symbol: "AAPL", side: "buy", strength: 0.5, price: 190.1 }]);
    expect(r.status).toBe(500);
    const body = await r.json();
    expect(body.error).toBe("journal_commit_failed");
    expect(body.message).toContain("disk full (test)");
    expect(a.engine.decider.state.tradingState).toBe(2);
    expect(seen).toEqual([expect.objectContaining({ type: "trading_state_changed", to: "HALTED", author: "engine" })]);
    expect(seen[0].reason).toContain("journal commit failed");
    expect(a.store.listAudit(1)[0]).toMatchObject({ author: "engine", action: "halt" });
    a.store.db.exec("DROP TRIGGER refuse_orders");
    const [next] = await (await post(a, [{ id: "f2", symbol: "MSFT", side: "buy", strength: 0.5, price: 415 }])).json();
    expect(next).toMatchObject({ status: "rejected", reason: "trading_halted" });
    expect(a.store.lastOrders().map((o) => o.id)).not.toContain("f1");
  });
});
