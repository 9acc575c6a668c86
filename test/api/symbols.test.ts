import { afterEach, describe, expect, test } from "bun:test";
import {
  effectiveOf, K_LOT_SIZE, K_PROFILE, K_SECTOR, K_STRATEGY, K_TICK_INV, K_TICK_SIZE, PROFILE_WIDTH, classField, classOf, referenceOf, type Snapshot,
} from "../../src/config/snapshot.ts";
import { prepareText } from "../../src/config/prepare.ts";
import { type Api, json, startApi } from "./fixture.ts";

let api: Api | null = null;
afterEach(async () => {
  await api?.close();
  api = null;
});

/**
 * One symbol's compiled slots, copied out as plain data: its instrument row (through row[]), the
 * names its ids resolve to, and its profile as the hot path reads it (the table row, the hot
 * object) and as the edge does. Profile and class ids themselves are interning details and are left out.
 */
function slots(snap: Snapshot, symbol: string) {
  const i = snap.index.get(symbol);
  if (i === undefined) return undefined;
  const sector = classField(snap, i, K_SECTOR);
  const strategy = classField(snap, i, K_STRATEGY);
  const pid = classField(snap, i, K_PROFILE);
  const { id: _id, ...profile } = snap.profileObjects[pid]!;
  const { profile: _pid, ...hot } = { ...snap.hot[classOf(snap, i)]! };
  return {
    inst: [referenceOf(snap, i), classField(snap, i, K_TICK_SIZE), classField(snap, i, K_LOT_SIZE), classField(snap, i, K_TICK_INV)],
    sector: snap.sectors[sector],
    sectorLimit: snap.sectorLimit[sector],
    strategy: strategy < 0 ? null : snap.strategies[strategy],
    table: Array.from(snap.profiles.subarray(pid * PROFILE_WIDTH, (pid + 1) * PROFILE_WIDTH)),
    hot,
    profile: JSON.parse(JSON.stringify(profile)),
  };
}

function allSlots(snap: Snapshot): Map<string, ReturnType<typeof slots>> {
  return new Map(snap.symbols.map((s) => [s, slots(snap, s)]));
}

function expectOthersIdentical(before: ReturnType<typeof allSlots>, after: Snapshot, except: string): void {
  let n = 0;
  for (const [symbol, was] of before) {
    if (symbol === except) continue;
    expect([symbol, slots(after, symbol)]).toEqual([symbol, was]);
    n++;
  }
  expect(n).toBe(before.size - (before.has(except) ? 1 : 0));
}

async function doc(a: Api): Promise<any> {
  return JSON.parse(await (await a.call("/config")).text());
}

async function signals(a: Api, list: unknown[]): Promise<any[]> {
  return (await a.call("/signals", json(list, "POST"))).json();
}

const NEW_SYMBOL = { sector: "tech", strategy: "momentum", reference_price: 12.5, tick_size: 0.01, lot_size: 1 };

describe("PATCH /config/symbols/{symbol}", () => {
  test("one field: a new version with exactly that change; every other symbol's slots identical", async () => {
    api = startApi();
    const before = allSlots(api.engine.snapshot);
    const aaplBefore = slots(api.engine.snapshot, "AAPL")!;
    const r = await api.call("/config/symbols/AAPL", json({ reference_price: 191 }, "PATCH", { "x-author": "gina", "x-message": "new ref" }));
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body).toMatchObject({ version: 2, changes: [{ path: "symbols.AAPL.reference_price", from: 190.5, to: 191 }] });
    expect(body.unchanged).toBeUndefined();
    expect(r.headers.get("x-config-version")).toBe("2");
    expect(r.headers.get("etag")).toBe(`"${body.hash}"`);
    expect(api.engine.version).toBe(2);
    expectOthersIdentical(before, api.engine.snapshot, "AAPL");
    // AAPL itself: only the reference price moved.
    const aapl = slots(api.engine.snapshot, "AAPL")!;
    expect(aapl.inst[0]).toBe(191);
    expect({ ...aapl, inst: aapl.inst.slice(1) }).toEqual({ ...aaplBefore, inst: aaplBefore.inst.slice(1) });
    expect((await doc(api)).symbols.AAPL.reference_price).toBe(191);
    expect(api.store.getVersion(2)).toMatchObject({ author: "gina", message: "new ref", parent: 1 });
    expect(api.store.listAudit(1)[0]).toMatchObject({ action: "patch", author: "gina", fromVersion: 1, toVersion: 2 });
    // The new reference is the one decisions use: 200 is inside a 5% collar of 191 but a sell at 181 is not.
    const [ok, collared] = await signals(api, [
      { id: "p1", symbol: "AAPL", side: "buy", strength: 0.5, price: 200.5 },
      { id: "p2", symbol: "AAPL", side: "sell", strength: 0.5, price: 181 },
    ]);
    expect(ok).toMatchObject({ status: "accepted", config_version: 2 });
    expect(collared).toMatchObject({ status: "rejected", reason: "price_collar" });
  });

  test("an override table merges key by key, null removes it, and other symbols sharing the profile keep theirs", async () => {
    api = startApi();
    const before = allSlots(api.engine.snapshot);
    expect(before.get("MSFT")!.profile).toEqual(before.get("AAPL")!.profile);
    const r = await api.call("/config/symbols/AAPL", json({ limits: { price_collar_bps: 250 } }, "PATCH"));
    expect((await r.json()).changes).toEqual([{ path: "symbols.AAPL.limits", from: null, to: { price_collar_bps: 250 } }]);
    expectOthersIdentical(before, api.engine.snapshot, "AAPL");
    expect(effectiveOf(api.engine.snapshot, "AAPL")!.limits.price_collar_bps).toBe(250);
    expect(effectiveOf(api.engine.snapshot, "AAPL")!.limits.max_orders_per_second).toBe(50);

    // NVDA already has overrides; adding one keeps the others.
    const nvda = await (await api.call("/config/symbols/NVDA", json({ limits: { max_orders_per_second: 5 } }, "PATCH"))).json();
    expect(nvda.changes).toEqual([{ path: "symbols.NVDA.limits.max_orders_per_second", from: null, to: 5 }]);
    expect((await doc(api)).symbols.NVDA.limits).toEqual({ price_collar_bps: 300, max_orders_per_second: 5 });

    // null removes AAPL's override: back to exactly the profile it started with.
    const removed = await (await api.call("/config/symbols/AAPL", json({ limits: null }, "PATCH"))).json();
    expect(removed.changes).toEqual([{ path: "symbols.AAPL.limits", from: { price_collar_bps: 250 }, to: null }]);
    expect(slots(api.engine.snapshot, "AAPL")).toEqual(before.get("AAPL"));
  });

  test("an open position survives a patch of its symbol and of others", async () => {
    api = startApi();
    const [b] = await signals(api, [{ id: "b", symbol: "AAPL", side: "buy", strength: 1, price: 190.5 }]);
    expect(b.status).toBe("accepted");
    await api.call("/config/symbols/AAPL", json({ reference_price: 189 }, "PATCH"));
    await api.call("/config/symbols/MSFT", json({ lot_size: 10 }, "PATCH"));
    const risk = await (await api.call("/risk")).json();
    expect(risk.positions).toEqual([expect.objectContaining({ symbol: "AAPL", qty: 200, mark: 190.5 })]);
    expect(risk.open_positions).toBe(1);
  });

  test("a new complete symbol is created, and trades at once", async () => {
    api = startApi();
    const before = allSlots(api.engine.snapshot);
    const r = await api.call("/config/symbols/NEWCO", json(NEW_SYMBOL, "PATCH"));
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.changes).toEqual([{ path: "symbols.NEWCO", from: null, to: NEW_SYMBOL }]);
    expect(api.engine.snapshot.symbolCount).toBe(before.size + 1);
    expectOthersIdentical(before, api.engine.snapshot, "NEWCO");
    expect(slots(api.engine.snapshot, "NEWCO")!.profile).toEqual(before.get("AAPL")!.profile);
    const [s] = await signals(api, [{ id: "n", symbol: "NEWCO", side: "buy", strength: 0.5, price: 12.5 }]);
    expect(s).toMatchObject({ status: "accepted", order: { symbol: "NEWCO", qty: 100 }, config_version: 2 });
  });

  test("a symbol moved to another sector takes its open exposure with it", async () => {
    api = startApi();
    const [b] = await signals(api, [{ id: "b", symbol: "KO", side: "buy", strength: 1, price: 62.1 }]);
    expect(b.status).toBe("accepted");
    const exposure = async (sector: string) => ((await (await api!.call("/risk")).json()).sectors.find((s: any) => s.sector === sector)?.exposure ?? 0);
    expect(await exposure("consumer")).toBeCloseTo(100 * 62.1, 6);
    expect((await api.call("/config/symbols/KO", json({ sector: "tech" }, "PATCH"))).status).toBe(200);
    expect(await exposure("consumer")).toBe(0);
    expect(await exposure("tech")).toBeCloseTo(100 * 62.1, 6);
  });

  test("patched versions read back whole, under the hash they were activated with, and roll back exactly", async () => {
    api = startApi();
    const hashes: string[] = [];
    for (const [path, body] of [["AAPL", { reference_price: 191 }], ["NEWCO", NEW_SYMBOL], ["AAPL", { lot_size: 5 }]] as const) {
      const r = await api.call(`/config/symbols/${path}`, json(body, "PATCH"));
      expect(r.status).toBe(200);
      hashes.push((await r.json()).hash);
    }
    expect((await api.call("/config/symbols/KO", { method: "DELETE" })).status).toBe(200);
    const active = await doc(api);
    // What a restart would load: the stored active version, rebuilt from its deltas, hashes the same.
    const stored = api.store.activeVersion()!;
    expect(JSON.parse(stored.canonical)).toEqual(active);
    const again = prepareText(stored.canonical, "json");
    expect(again.ok && again.hash).toBe(stored.hash);
    expect(stored.hash).toBe((await api.call("/config")).headers.get("etag")!.slice(1, -1));
    // Every patched version reads back as the document it was.
    const v3 = await (await api.call("/config/versions/3")).json();
    expect(v3.symbols.NEWCO).toMatchObject(NEW_SYMBOL);
    expect(v3.symbols.AAPL.lot_size).toBe(1);
    const rb = await (await api.call("/config/rollback", json({ version: 3 }, "POST"))).json();
    expect(rb.hash).toBe(hashes[1]);
    expect((await doc(api)).symbols.KO).toBeDefined();
  });

  test("a whole PUT after patches is diffed against the patched document (the config Worker keeps in step)", async () => {
    api = startApi({ worker: true });
    expect((await api.call("/config/symbols/AAPL", json({ reference_price: 191 }, "PATCH"))).status).toBe(200);
    expect((await api.call("/config/symbols/NEWCO", json(NEW_SYMBOL, "PATCH"))).status).toBe(200);
    const d = await doc(api);
    d.symbols.MSFT.reference_price = 333;
    const r = await api.call("/config", json(d));
    expect(r.status).toBe(200);
    expect((await r.json()).changes).toEqual([{ path: "symbols.MSFT.reference_price", from: expect.any(Number), to: 333 }]);
  });

  test("after a whole PUT prepared on the config Worker, patches are planned there and land the same", async () => {
    api = startApi({ worker: true });
    const d = await doc(api);
    d.symbols.MSFT.reference_price = 400;
    expect((await api.call("/config", json(d))).status).toBe(200);
    const before = allSlots(api.engine.snapshot);
    const r1 = await api.call("/config/symbols/AAPL", json({ reference_price: 191, limits: { max_positions: 3 } }, "PATCH"));
    expect(r1.status).toBe(200);
    expect((await r1.json()).changes.map((c: any) => c.path)).toEqual(["symbols.AAPL.limits", "symbols.AAPL.reference_price"]);
    expectOthersIdentical(before, api.engine.snapshot, "AAPL");
    const aapl = slots(api.engine.snapshot, "AAPL")!;
    expect(aapl.inst.slice(0, 4)).toEqual([191, 0.01, 1, 100]);
    expect(aapl.profile.limits.max_positions).toBe(3);
    expect(aapl.hot.maxPositions).toBe(3);
    expect((await api.call("/config/symbols/NEWCO", json(NEW_SYMBOL, "PATCH"))).status).toBe(200);
    expect((await api.call("/config/symbols/KO", { method: "DELETE" })).status).toBe(200);
    expect((await api.call("/config/symbols/KO", { method: "DELETE" })).status).toBe(404);
    expect((await api.call("/config/symbols/NEWCO", json({ lot_size: -1 }, "PATCH"))).status).toBe(422);
    // The document the engine's thread writes out (base + changes) is the one the hash names.
    const active = await doc(api);
    expect(active.symbols.AAPL.reference_price).toBe(191);
    expect(active.symbols.NEWCO).toMatchObject(NEW_SYMBOL);
    expect(active.symbols.KO).toBeUndefined();
    const again = prepareText(JSON.stringify(active), "json");
    expect(again.ok && again.hash).toBe((await api.call("/config")).headers.get("etag")!.slice(1, -1));
    const [s] = await signals(api, [{ id: "n", symbol: "NEWCO", side: "buy", strength: 1, price: 12.5 }]);
    expect(s.status).toBe("accepted");
    // A later whole PUT is diffed against the patched document on the Worker's side too.
    active.symbols.NVDA.lot_size = 10;
    const r = await api.call("/config", json(active));
    expect((await r.json()).changes).toEqual([{ path: "symbols.NVDA.lot_size", from: 1, to: 10 }]);
  });

  test("a new incomplete symbol is 422 with the missing paths; nothing changes", async () => {
    api = startApi();
    const r = await api.call("/config/symbols/NEWCO", json({ sector: "tech" }, "PATCH"));
    expect(r.status).toBe(422);
    const body = await r.json();
    expect(body.error).toBe("invalid_config");
    const paths = body.issues.map((i: any) => i.path);
    expect(paths).toContain("symbols.NEWCO.reference_price");
    expect(paths.every((p: string) => p.startsWith("symbols.NEWCO"))).toBe(true);
    // An invalid value on an existing symbol, and an unknown sector, name their paths too.
    const lot = await (await api.call("/config/symbols/AAPL", json({ lot_size: -1 }, "PATCH"))).json();
    expect(lot.issues.map((i: any) => i.path)).toEqual(["symbols.AAPL.lot_size"]);
    const sector = await (await api.call("/config/symbols/AAPL", json({ sector: "nope" }, "PATCH"))).json();
    expect(sector.issues.map((i: any) => i.path)).toEqual(["symbols.AAPL.sector"]);
    expect(api.engine.version).toBe(1);
    expect(api.engine.snapshot.index.has("NEWCO")).toBe(false);
    expect(api.store.listVersions().length).toBe(1);
  });

  test("an invalid symbol name is 400; so is a body that is not an object, or malformed JSON", async () => {
    api = startApi();
    for (const name of ["aapl", "A%20B", "A*B", "X".repeat(33), "%C3%A9"]) {
      const r = await api.call(`/config/symbols/${name}`, json(NEW_SYMBOL, "PATCH"));
      expect({ name, status: r.status }).toEqual({ name, status: 400 });
      expect((await r.json()).error).toBe("invalid_symbol");
    }
    for (const body of ["[]", "1", '"x"', "null", ""]) {
      const r = await api.call("/config/symbols/AAPL", { method: "PATCH", body, headers: { "content-type": "application/json" } });
      expect({ body, status: r.status }).toEqual({ body, status: 400 });
      expect((await r.json()).error).toBe("invalid_body");
    }
    const bad = await api.call("/config/symbols/AAPL", { method: "PATCH", body: "{", headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(400);
    expect(api.engine.version).toBe(1);
  });

  test("a symbol name with the allowed punctuation works (BRK.B exists; a new one with / and :)", async () => {
    api = startApi();
    const r = await api.call("/config/symbols/BRK.B", json({ reference_price: 413 }, "PATCH"));
    expect(r.status).toBe(200);
    expect((await r.json()).changes).toEqual([{ path: 'symbols["BRK.B"].reference_price', from: 412.3, to: 413 }]);
    const fx = await api.call(`/config/symbols/${encodeURIComponent("EUR/USD:FX")}`, json({ ...NEW_SYMBOL, sector: "finance" }, "PATCH"));
    expect(fx.status).toBe(200);
    expect(api.engine.snapshot.index.has("EUR/USD:FX")).toBe(true);
  });

  test("If-Match: a stale hash is 412 and changes nothing; the active one applies", async () => {
    api = startApi();
    const etag = (await api.call("/config")).headers.get("etag")!;
    const first = await api.call("/config/symbols/AAPL", json({ reference_price: 191 }, "PATCH", { "if-match": etag }));
    expect(first.status).toBe(200);
    const stale = await api.call("/config/symbols/MSFT", json({ reference_price: 416 }, "PATCH", { "if-match": etag }));
    expect(stale.status).toBe(412);
    expect((await stale.json()).error).toBe("precondition_failed");
    expect((await doc(api)).symbols.MSFT.reference_price).toBe(415.2);
    const fresh = await api.call("/config/symbols/MSFT", json({ reference_price: 416 }, "PATCH", { "if-match": first.headers.get("etag")! }));
    expect(fresh.status).toBe(200);
    expect(api.engine.version).toBe(3);
  });
});

describe("DELETE /config/symbols/{symbol}", () => {
  test("a symbol with no position: 200, a new version, and it is gone", async () => {
    api = startApi();
    const before = allSlots(api.engine.snapshot);
    const r = await api.call("/config/symbols/KO", { method: "DELETE", headers: { "x-author": "hank" } });
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.version).toBe(2);
    expect(body.changes).toHaveLength(1);
    expect(body.changes[0]).toMatchObject({ path: "symbols.KO", to: null });
    expect(body.changes[0].from).toMatchObject({ sector: "consumer", reference_price: 62.1 });
    expect((await doc(api)).symbols.KO).toBeUndefined();
    expect(api.engine.snapshot.index.has("KO")).toBe(false);
    expectOthersIdentical(before, api.engine.snapshot, "KO");
    expect(api.store.listAudit(1)[0]).toMatchObject({ action: "delete", author: "hank", fromVersion: 1, toVersion: 2 });
    const [s] = await signals(api, [{ id: "k", symbol: "KO", side: "buy", strength: 1, price: 62.1 }]);
    expect(s).toEqual({ id: "k", status: "rejected", reason: "unknown_symbol", config_version: 2 });
    // Gone means gone: a second delete is 404.
    expect((await api.call("/config/symbols/KO", { method: "DELETE" })).status).toBe(404);
  });

  test("other symbols' positions are kept when the indices shift", async () => {
    api = startApi();
    const [m] = await signals(api, [{ id: "m", symbol: "MCD", side: "buy", strength: 1, price: 281.5 }]);
    expect(m.status).toBe("accepted");
    // AAPL is the first symbol: every later index moves down by one.
    expect((await api.call("/config/symbols/AAPL", { method: "DELETE" })).status).toBe(200);
    const risk = await (await api.call("/risk")).json();
    expect(risk.positions).toEqual([expect.objectContaining({ symbol: "MCD", qty: 100, mark: 281.5 })]);
    expect(risk.sectors.find((s: any) => s.sector === "consumer").exposure).toBeCloseTo(100 * 281.5, 6);
    const [sell] = await signals(api, [{ id: "s", symbol: "MCD", side: "sell", strength: 1, price: 281 }]);
    expect(sell).toMatchObject({ status: "accepted", order: { qty: 100 } });
    expect((await (await api.call("/risk")).json()).open_positions).toBe(0);
  });

  test("with an open position: 409 and the symbol stays; once closed it can go", async () => {
    api = startApi();
    const [b] = await signals(api, [{ id: "b", symbol: "AAPL", side: "buy", strength: 0.5, price: 190.5, ts: 1_800_000_000_000 }]);
    expect(b.status).toBe("accepted");
    const r = await api.call("/config/symbols/AAPL", { method: "DELETE" });
    expect(r.status).toBe(409);
    const body = await r.json();
    expect(body.error).toBe("open_position");
    expect(body.message).toContain("AAPL");
    expect(api.engine.snapshot.index.has("AAPL")).toBe(true);
    expect(api.engine.version).toBe(1);
    const [s] = await signals(api, [{ id: "s", symbol: "AAPL", side: "sell", strength: 0.5, price: 190.5, ts: 1_800_000_001_000 }]);
    expect(s).toMatchObject({ status: "accepted", order: { qty: 100 } });
    expect((await api.call("/config/symbols/AAPL", { method: "DELETE" })).status).toBe(200);
  });

  test("an unknown symbol is 404; a stale If-Match is 412", async () => {
    api = startApi();
    const r = await api.call("/config/symbols/NOSUCH", { method: "DELETE" });
    expect(r.status).toBe(404);
    expect((await r.json()).error).toBe("unknown_symbol");
    const etag = (await api.call("/config")).headers.get("etag")!;
    await api.call("/config/symbols/AAPL", json({ reference_price: 191 }, "PATCH"));
    const stale = await api.call("/config/symbols/KO", { method: "DELETE", headers: { "if-match": etag } });
    expect(stale.status).toBe(412);
    expect(api.engine.snapshot.index.has("KO")).toBe(true);
  });
});
