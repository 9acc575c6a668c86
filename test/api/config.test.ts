import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { EMBEDDED_DEFAULT } from "../../src/cli/source.ts";
import { type Api, type ApiOptions, json, startApi as start } from "./fixture.ts";

let api: Api | null = null;
/** Every test runs twice: documents prepared inline, and in the config Worker (as large ones are). */
let viaWorker = false;
const startApi = (o: ApiOptions = {}) => start({ ...o, worker: viaWorker });
afterEach(async () => {
  await api?.close();
  api = null;
});

async function active(a: Api): Promise<{ doc: any; etag: string; version: number }> {
  const r = await a.call("/config");
  expect(r.status).toBe(200);
  return { doc: await r.json(), etag: r.headers.get("etag")!, version: Number(r.headers.get("x-config-version")) };
}

for (const w of [false, true]) {
describe(w ? "PUT /config, prepared in the Worker" : "PUT /config", () => {
  beforeEach(() => {
    viaWorker = w;
  });
  test("a valid change activates a new version with the change list; the engine decides under it at once", async () => {
    api = startApi();
    const { doc } = await active(api);
    doc.risk.limits.max_daily_trades = 7;
    const r = await api.call("/config", json(doc, "PUT", { "x-author": "alice", "x-message": "tighter" }));
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.version).toBe(2);
    expect(body.changes).toEqual([{ path: "risk.limits.max_daily_trades", from: 150, to: 7 }]);
    expect(api.engine.version).toBe(2);
    expect(api.store.getVersion(2)).toMatchObject({ author: "alice", message: "tighter", parent: 1, hash: body.hash });
    expect(api.store.listAudit(1)[0]).toMatchObject({ author: "alice", action: "activate", fromVersion: 1, toVersion: 2 });
    const after = await active(api);
    expect(after.etag).toBe(`"${body.hash}"`);
    expect(after.version).toBe(2);
  });

  test("the same document again is 200 unchanged, with no new version", async () => {
    api = startApi();
    const { doc } = await active(api);
    const r = await api.call("/config", json(doc));
    expect(await r.json()).toMatchObject({ version: 1, unchanged: true, changes: [] });
    expect(api.store.listVersions().length).toBe(1);
  });

  test("TOML with Content-Type application/toml is accepted", async () => {
    api = startApi();
    const text = EMBEDDED_DEFAULT.text.replace("max_daily_trades = 150", "max_daily_trades = 9");
    const r = await api.call("/config", { method: "PUT", body: text, headers: { "content-type": "application/toml" } });
    expect(r.status).toBe(200);
    expect((await r.json()).changes).toEqual([{ path: "risk.limits.max_daily_trades", from: 150, to: 9 }]);
  });

  test("an invalid document is 422 with every issue and its path; nothing changes", async () => {
    api = startApi();
    const { doc, etag } = await active(api);
    doc.risk.limits.max_daily_trades = -1;
    doc.symbols.AAPL.lot_size = 1.5;
    doc.bogus = 1;
    const r = await api.call("/config", json(doc));
    expect(r.status).toBe(422);
    const body = await r.json();
    expect(body.error).toBe("invalid_config");
    expect(body.issues.map((i: any) => i.path).sort()).toEqual(["bogus", "risk.limits.max_daily_trades", "symbols.AAPL.lot_size"]);
    expect((await active(api)).etag).toBe(etag);
    expect(api.engine.version).toBe(1);
    expect(api.store.listVersions().length).toBe(1);
  });

  test("malformed JSON or TOML is 400", async () => {
    api = startApi();
    expect((await api.call("/config", { method: "PUT", body: "{nope", headers: { "content-type": "application/json" } })).status).toBe(400);
    const t = await api.call("/config", { method: "PUT", body: "[trading", headers: { "content-type": "application/toml" } });
    expect(t.status).toBe(400);
    expect((await t.json()).error).toBe("malformed_body");
  });

  test("a body over 1 MiB is 413", async () => {
    api = startApi();
    const r = await api.call("/config", { method: "PUT", body: `{"x":"${"a".repeat(1024 * 1024)}"}`, headers: { "content-type": "application/json" } });
    expect(r.status).toBe(413);
    expect((await r.json()).error).toBe("payload_too_large");
  });

  test("changing trading.mode is 409 restart_required", async () => {
    api = startApi();
    const { doc } = await active(api);
    doc.trading.mode = "live";
    const r = await api.call("/config", json(doc));
    expect(r.status).toBe(409);
    expect((await r.json()).error).toBe("restart_required");
  });

  test("If-Match: two writers from the same version, the second gets 412", async () => {
    api = startApi();
    const { doc, etag } = await active(api);
    const a = structuredClone(doc);
    a.risk.limits.max_daily_trades = 11;
    const b = structuredClone(doc);
    b.risk.limits.max_daily_trades = 12;
    const [ra, rb] = await Promise.all([
      api.call("/config", json(a, "PUT", { "if-match": etag })),
      api.call("/config", json(b, "PUT", { "if-match": etag })),
    ]);
    expect([ra.status, rb.status].sort()).toEqual([200, 412]);
    const loser = ra.status === 412 ? ra : rb;
    expect((await loser.json()).error).toBe("precondition_failed");
    expect(api.store.listVersions().length).toBe(2);
  });

  test("If-Match: * matches whatever is active", async () => {
    api = startApi();
    const { doc } = await active(api);
    doc.risk.limits.max_daily_trades = 13;
    expect((await api.call("/config", json(doc, "PUT", { "if-match": "*" }))).status).toBe(200);
  });

  test("the circuit breaker: writes over admin.max_config_writes_per_minute get 429 with Retry-After", async () => {
    let now = Date.UTC(2026, 10, 25, 12);
    api = startApi({ now: () => now });
    const { doc } = await active(api);
    doc.admin.max_config_writes_per_minute = 3;
    expect((await api.call("/config", json(doc))).status).toBe(200); // write 1 sets the limit
    for (const n of [2, 3]) {
      doc.risk.limits.max_daily_trades = 100 + n;
      expect((await api.call("/config", json(doc))).status).toBe(200);
    }
    doc.risk.limits.max_daily_trades = 99;
    const r = await api.call("/config", json(doc));
    expect(r.status).toBe(429);
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    now += 61_000;
    expect((await api.call("/config", json(doc))).status).toBe(200);
  });
});

describe(w ? "validate, versions, diff, rollback, in the Worker" : "validate, versions, diff, rollback", () => {
  beforeEach(() => {
    viaWorker = w;
  });
  test("POST /config/validate never activates, and reports issues, warnings and changes", async () => {
    api = startApi();
    const { doc } = await active(api);
    doc.risk.limits.max_daily_trades = 500;
    const ok = await (await api.call("/config/validate", json(doc, "POST"))).json();
    expect(ok.valid).toBe(true);
    expect(ok.warnings.map((w: any) => w.code)).toContain("high_daily_trades");
    expect(ok.changes).toEqual([{ path: "risk.limits.max_daily_trades", from: 150, to: 500 }]);
    doc.risk.limits.max_daily_trades = 0;
    const bad = await (await api.call("/config/validate", json(doc, "POST"))).json();
    expect(bad.valid).toBe(false);
    expect(bad.issues[0].path).toBe("risk.limits.max_daily_trades");
    expect(api.engine.version).toBe(1);
  });

  test("PATCH of one symbol: one change, the engine runs it, the previous version's document is untouched", async () => {
    api = startApi();
    const before = await active(api);
    const r = await api.call("/config/symbols/AAPL", json({ reference_price: 191.5, limits: { price_collar_bps: 100 } }, "PATCH"));
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.changes).toEqual([
      { path: "symbols.AAPL.limits", from: null, to: { price_collar_bps: 100 } },
      { path: "symbols.AAPL.reference_price", from: before.doc.symbols.AAPL.reference_price, to: 191.5 },
    ]);
    const after = await active(api);
    expect(after.doc.symbols.AAPL.reference_price).toBe(191.5);
    expect(after.doc.symbols.MSFT).toEqual(before.doc.symbols.MSFT);
    expect(await (await api.call("/config/versions/1")).json()).toEqual(before.doc);
    const added = await api.call("/config/symbols/NEW1", json({ sector: "tech", reference_price: 10, tick_size: 0.01, lot_size: 1 }, "PATCH"));
    expect((await added.json()).changes).toEqual([{ path: "symbols.NEW1", from: null, to: { sector: "tech", reference_price: 10, tick_size: 0.01, lot_size: 1 } }]);
    const gone = await api.call("/config/symbols/NEW1", { method: "DELETE" });
    expect((await gone.json()).changes).toEqual([{ path: "symbols.NEW1", from: { lot_size: 1, reference_price: 10, sector: "tech", tick_size: 0.01 }, to: null }]);
  });

  test("versions newest first, one version's document, a diff, and rollback restoring the exact hash", async () => {
    api = startApi();
    const { doc, etag } = await active(api);
    doc.risk.limits.max_positions = 5;
    await api.call("/config", json(doc));
    const list = await (await api.call("/config/versions?limit=10")).json();
    expect(list.versions.map((v: any) => [v.version, v.active])).toEqual([[2, true], [1, false]]);
    const v1 = await api.call("/config/versions/1");
    expect(v1.headers.get("etag")).toBe(etag);
    const d = await (await api.call("/config/versions/2/diff?against=1")).json();
    expect(d.changes).toEqual([{ path: "risk.limits.max_positions", from: 20, to: 5 }]);

    const rb = await api.call("/config/rollback", json({ version: 1 }, "POST", { "x-author": "bob" }));
    expect(rb.status).toBe(200);
    const body = await rb.json();
    expect(body.version).toBe(3);
    expect(`"${body.hash}"`).toBe(etag);
    expect(api.store.listAudit(1)[0]).toMatchObject({ action: "rollback", author: "bob", fromVersion: 2, toVersion: 3 });
    expect((await api.call("/config/versions/99")).status).toBe(404);
    expect((await api.call("/config/rollback", json({ version: 99 }, "POST"))).status).toBe(404);
    expect((await api.call("/config/rollback", json({ version: "1" }, "POST"))).status).toBe(400);
    expect((await api.call("/config/versions?limit=x")).status).toBe(400);
  });
});
}
