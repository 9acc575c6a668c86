import { afterEach, describe, expect, test } from "bun:test";
import { type Api, json, startApi } from "./fixture.ts";

let api: Api | null = null;
afterEach(async () => {
  await api?.close();
  api = null;
});

describe("GET /health", () => {
  test("reports status, keel's version, the active config version and hash, mode, trading state and uptime", async () => {
    api = startApi();
    const r = await api.call("/health", { token: null });
    expect(r.status).toBe(200);
    const h = await r.json();
    expect(Object.keys(h).sort()).toEqual(["config_hash", "config_version", "mode", "status", "trading_state", "uptime_s", "version"]);
    expect(h).toMatchObject({ status: "ok", version: "test", config_version: 1, mode: "paper", trading_state: "ACTIVE" });
    expect(h.config_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(`"${h.config_hash}"`).toBe((await api.call("/config")).headers.get("etag")!);
    expect(Number.isInteger(h.uptime_s)).toBe(true);
    expect(h.uptime_s).toBeGreaterThanOrEqual(0);
  });

  test("follows a config write and a trading-state change", async () => {
    api = startApi();
    const doc = JSON.parse(await (await api.call("/config")).text());
    doc.risk.limits.max_positions = 7;
    const put = await (await api.call("/config", json(doc))).json();
    expect((await api.call("/risk/halt", json({ reason: "lunch" }, "POST"))).status).toBe(200);
    const h = await (await api.call("/health", { token: null })).json();
    expect(h).toMatchObject({ config_version: put.version, config_hash: put.hash, trading_state: "HALTED" });
    expect(put.version).toBe(2);
  });
});
