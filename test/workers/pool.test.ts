import { afterEach, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { WorkerPool } from "../../src/workers/pool.ts";
import { exchange, freePort } from "../cli/serve-helpers.ts";
import { json, startApi, type Api } from "../api/fixture.ts";
import { T0 } from "./fixtures.ts";

const open: { api: Api; pool: WorkerPool }[] = [];
afterEach(async () => {
  for (const { api, pool } of open.splice(0)) {
    await pool.stop();
    await api.close();
  }
});

async function start(count = 2) {
  const api = startApi();
  const pool = await WorkerPool.start({
    count, engine: api.engine, journal: api.store.journal, bus: api.bus, host: "127.0.0.1", port: freePort(), log: () => {},
    onCommitFailed: () => {},
  });
  api.engine.process = (s) => pool.process(s);
  open.push({ api, pool });
  return { api, pool };
}

const line = (id: string, symbol: string, side: string, price: number, ts: number) =>
  JSON.stringify({ id, symbol, side, strength: 0.5, price, ts }) + "\n";

function committedOrders(api: Api): number {
  const db = new Database(join(api.dir, "paper.db"), { readonly: true });
  try {
    return (db.query("SELECT count(*) AS n FROM orders").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

test("2 Workers on one port: every connection answered in order, every acknowledged order committed before its reply", async () => {
  const { api, pool } = await start(2);
  const conns = await Promise.all(
    Array.from({ length: 6 }, (_, c) => {
      let text = "";
      for (let k = 0; k < 20; k++) text += line(`c${c}-${k}`, k % 2 ? "AAPL" : "MSFT", k % 4 < 2 ? "buy" : "sell", k % 2 ? 190 : 410, T0 + c * 1000 + k * 60);
      text += line(`c${c}-x`, "NOPE", "buy", 1, T0);
      return exchange(pool.port, text, 21);
    }),
  );
  let accepted = 0;
  for (const [c, replies] of conns.entries()) {
    expect(replies.map((r) => r.id)).toEqual([...Array.from({ length: 20 }, (_, k) => `c${c}-${k}`), `c${c}-x`]);
    expect(replies[20]).toEqual({ id: `c${c}-x`, status: "rejected", reason: "unknown_symbol", config_version: 1 });
    accepted += replies.filter((r) => r.status === "accepted").length;
  }
  expect(accepted).toBeGreaterThan(10);
  // Replies were sent only after their batch committed: every accepted order is in the file now.
  expect(committedOrders(api)).toBe(accepted);
  // The recording engine saw the same orders: GET /risk agrees with the journal.
  const risk = await (await api.call("/risk")).json();
  expect(risk.daily_trades).toBe(accepted);
});

test("a PATCH is seen by the Workers without a new generation; a new symbol rebuilds the shared state", async () => {
  const { api, pool } = await start(2);
  let r = await exchange(pool.port, line("p1", "AAPL", "buy", 190, T0), 1);
  expect(r[0].status).toBe("accepted");
  const qty = r[0].order.qty;
  const patch = await api.call("/config/symbols/AAPL", json({ position_sizing: { default_position_size: 10 } }, "PATCH"));
  expect(patch.status).toBe(200);
  const v2 = (await patch.json()).version;
  r = await exchange(pool.port, line("p2", "AAPL", "buy", 190, T0 + 1000), 1);
  expect(r[0]).toMatchObject({ status: "accepted", config_version: v2 });
  expect(r[0].order.qty).toBe(5);
  expect(pool.reloads).toEqual({ inPlace: 1, generations: 0, rebuilds: 0 });
  // A new symbol changes the layout: Workers pause, the state is rebuilt, positions carry over.
  const add = await api.call("/config/symbols/ZZZ", json({ sector: "tech", reference_price: 10, tick_size: 0.01, lot_size: 1 }, "PATCH"));
  expect(add.status).toBe(200);
  r = await exchange(pool.port, line("p3", "ZZZ", "buy", 10, T0 + 2000) + line("p4", "AAPL", "sell", 190, T0 + 3000), 2);
  expect(r.map((x) => x.status)).toEqual(["accepted", "accepted"]);
  expect(r[1].config_version).toBe(v2 + 1);
  expect(pool.reloads).toEqual({ inPlace: 1, generations: 0, rebuilds: 1 });
  const risk = await (await api.call("/risk")).json();
  const aapl = risk.positions.find((p: { symbol: string }) => p.symbol === "AAPL");
  expect(aapl.qty).toBe(qty + 5 - 5);
});

test("a Worker that dies is reported, trading HALTS with the reason, and a new Worker takes its place", async () => {
  const { api, pool } = await start(2);
  const states: string[] = [];
  api.bus.subscribe((e) => {
    if (e.type === "trading_state_changed") states.push(`${e.to}: ${e.reason}`);
  });
  pool.workerForTest(0)!.terminate();
  const deadline = Date.now() + 5000;
  while (pool.workers < 2 || pool.deaths < 1) {
    if (Date.now() > deadline) throw new Error(`not replaced: ${pool.workers} workers, ${pool.deaths} deaths`);
    await Bun.sleep(10);
  }
  expect(states[0]).toMatch(/^HALTED: engine worker 0 died/);
  const audit = api.store.listAudit(1)[0]!;
  expect(audit).toMatchObject({ action: "halt", author: "engine" });
  // Every Worker, the new one included, refuses to trade until an operator resumes.
  const conns = await Promise.all([0, 1, 2, 3].map((k) => exchange(pool.port, line(`h${k}`, "AAPL", "buy", 190, T0 + k), 1)));
  for (const r of conns) expect(r[0].reason).toBe("trading_halted");
  expect((await api.call("/risk/resume", json({ reason: "checked" }, "POST"))).status).toBe(200);
  const after = await Promise.all([0, 1, 2, 3].map((k) => exchange(pool.port, line(`r${k}`, "MSFT", "buy", 410, T0 + 2000 * k), 1)));
  for (const r of after) expect(r[0]).toMatchObject({ status: "accepted" });
});
