/**
 * Caps from a live authorisation: the limit in force is the tighter of config and cap, on every
 * path a version reaches the engine (start, PUT, PATCH, DELETE, rollback; inline and on the config
 * Worker), and GET /risk reports it. Real admin API, real SQLite, real Worker.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { capLimits, capSnapshot } from "../../src/auth/caps.ts";
import { EMBEDDED_DEFAULT } from "../../src/cli/source.ts";
import { prepareText } from "../../src/config/prepare.ts";
import { effectiveOf, P_MAX_DAILY_LOSS, P_MAX_ORDER_NOTIONAL, PROFILE_WIDTH } from "../../src/config/snapshot.ts";
import { Engine } from "../../src/engine/engine.ts";
import { type Api, json, startApi } from "../api/fixture.ts";

let api: Api | null = null;
afterEach(async () => {
  await api?.close();
  api = null;
});

const embedded = () => {
  const p = prepareText(EMBEDDED_DEFAULT.text, "toml");
  if (!p.ok) throw new Error("embedded config invalid");
  return p;
};

let seq = 0;
/** AAPL (momentum, scaled 200): strength 0.5 at 190 is 100 shares, about 19,000 notional. */
const aapl = (strength: number, price: number) => ({ id: `c${++seq}`, symbol: "AAPL", side: "buy", strength, price });

async function decide(a: Api, strength: number, price = 190): Promise<string> {
  const [r] = await (await a.call("/signals", json([aapl(strength, price)], "POST"))).json();
  return r.status === "accepted" ? "accepted" : r.reason;
}

const notionalOf = (a: Api, symbol: string) => effectiveOf(a.engine.snapshot, symbol)!.limits.max_order_notional;

describe("capSnapshot", () => {
  test("lowers the capped slots of profiles above the cap, in the table, the hot objects and the profile objects", () => {
    const p = embedded();
    const before = Float64Array.from(p.snapshot.profiles);
    const s = capSnapshot(p.snapshot, { max_order_notional: 10_000, max_daily_loss: 30_000 });
    expect(s).not.toBe(p.snapshot);
    for (let k = 0; k < s.profileCount; k++) {
      expect(s.profiles[k * PROFILE_WIDTH + P_MAX_ORDER_NOTIONAL]).toBe(10_000);
      expect(s.hot[k]!.maxOrderNotional).toBe(10_000);
      expect(s.profileObjects[k]!.limits.max_order_notional).toBe(10_000);
      // 25,000 in the config is already tighter than the 30,000 cap.
      expect(s.profiles[k * PROFILE_WIDTH + P_MAX_DAILY_LOSS]).toBe(25_000);
    }
    // The original is untouched (the Worker and Control may still hold it); symbols are shared.
    expect(Array.from(p.snapshot.profiles)).toEqual(Array.from(before));
    expect(p.snapshot.hot[0]!.maxOrderNotional).toBe(250_000);
    expect(s.index).toBe(p.snapshot.index);
    expect(s.inst).toBe(p.snapshot.inst);
    expect(Object.keys(s)).toEqual(Object.keys(p.snapshot));
    expect(Object.isFrozen(s)).toBe(true);
  });

  test("caps looser than every profile change nothing: the same Snapshot", () => {
    const p = embedded();
    expect(capSnapshot(p.snapshot, { max_order_notional: 1e9 })).toBe(p.snapshot);
    expect(capSnapshot(p.snapshot, {})).toBe(p.snapshot);
  });

  test("capLimits: the smaller of each capped field, the rest as they were", () => {
    const limits = embedded().document.risk.limits;
    expect(capLimits(limits, { max_order_notional: 10_000, max_gross_exposure: 5e9 })).toEqual({ ...limits, max_order_notional: 10_000 });
    expect(capLimits(limits, { max_order_notional: 1e9 })).toBe(limits);
  });

  test("an Engine holds every version it loads to the caps", () => {
    const p = embedded();
    const engine = new Engine(p.snapshot, 1);
    const sig = (strength: number) => ({ id: `e${++seq}`, symbol: "AAPL", side: 1, strength, price: 190, ts: Date.now(), strategy: "" });
    expect(engine.process(sig(0.5)).status).toBe("accepted");
    engine.applyCaps({ max_order_notional: 10_000 });
    expect(engine.caps).toEqual({ max_order_notional: 10_000 });
    expect(engine.process(sig(0.5))).toMatchObject({ status: "rejected", reason: "max_order_notional" });
    engine.load(embedded().snapshot, 2);
    expect(engine.process(sig(0.5))).toMatchObject({ status: "rejected", reason: "max_order_notional", config_version: 2 });
    expect(engine.process(sig(0.25)).status).toBe("accepted");
  });
});

for (const worker of [false, true]) {
  describe(worker ? "caps across reloads, prepared in the Worker" : "caps across reloads, prepared inline", () => {
    test("PUT, PATCH, DELETE and rollback never lift a cap; a tighter config limit still wins", async () => {
      api = startApi({ worker });
      api.engine.applyCaps({ max_order_notional: 10_000 });
      expect(await decide(api, 0.5)).toBe("max_order_notional");
      expect(await decide(api, 0.25)).toBe("accepted");

      // PUT: a looser default and a looser momentum override.
      const doc = await (await api.call("/config")).json();
      doc.risk.limits.max_order_notional = 5_000_000;
      doc.strategies.momentum.limits.max_order_notional = 4_000_000;
      const put = await api.call("/config", json(doc));
      expect(put.status).toBe(200);
      expect(api.engine.version).toBe(2);
      expect(await decide(api, 0.5)).toBe("max_order_notional");
      // The stored document is what the operator wrote: the cap lives in the process, not the version.
      expect((await (await api.call("/config")).json()).risk.limits.max_order_notional).toBe(5_000_000);
      const risk = await (await api.call("/risk")).json();
      expect(risk.limits.max_order_notional).toBe(10_000);
      expect(risk.limits.max_daily_loss).toBe(25_000);

      // PATCH: a looser override on the symbol itself, and a tighter one on another symbol.
      expect((await api.call("/config/symbols/AAPL", json({ limits: { max_order_notional: 9_000_000 } }, "PATCH"))).status).toBe(200);
      expect(await decide(api, 0.5)).toBe("max_order_notional");
      expect(notionalOf(api, "AAPL")).toBe(10_000);
      expect((await api.call("/config/symbols/MSFT", json({ limits: { max_order_notional: 4_000 } }, "PATCH"))).status).toBe(200);
      expect(notionalOf(api, "MSFT")).toBe(4_000);

      // DELETE of another symbol: a new version, still capped.
      expect((await api.call("/config/symbols/WMT", { method: "DELETE" })).status).toBe(200);
      expect(notionalOf(api, "AAPL")).toBe(10_000);

      // Rollback to the first version.
      expect((await api.call("/config/rollback", json({ version: 1 }, "POST"))).status).toBe(200);
      expect(api.engine.version).toBe(6);
      expect(await decide(api, 0.5)).toBe("max_order_notional");
      // A different price: the same order as the first accepted one would be a duplicate.
      expect(await decide(api, 0.25, 189)).toBe("accepted");
      expect((await (await api.call("/risk")).json()).limits.max_order_notional).toBe(10_000);
    });
  });
}
