/**
 * Control.revokeTrading, what an expired live authorisation calls: HALTED the operator's way
 * (journaled, audited, published), and no way back to trading on this process.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { KeelEvent } from "../../src/events/bus.ts";
import { type Api, json, startApi } from "../api/fixture.ts";

let api: Api | null = null;
afterEach(async () => {
  await api?.close();
  api = null;
});

function events(a: Api): KeelEvent[] {
  const seen: KeelEvent[] = [];
  a.bus.subscribe((e) => seen.push(e));
  return seen;
}

const REASON = "live authorisation expired at 2026-11-25T13:00:00.000Z";

describe("Control.revokeTrading", () => {
  test("an ACTIVE engine halts with the reason, audited and published; resume and reduce are 409 from then on", async () => {
    api = startApi();
    const seen = events(api);
    api.control.revokeTrading(REASON, "live-auth");
    expect(api.control.revokedBecause).toBe(REASON);

    const health = await (await api.call("/health")).json();
    expect(health.trading_state).toBe("HALTED");
    expect(seen).toEqual([{ type: "trading_state_changed", from: "ACTIVE", to: "HALTED", reason: REASON, author: "live-auth", ts: expect.any(Number) }]);
    const [audit] = api.store.listAudit(1);
    expect(audit).toMatchObject({ author: "live-auth", action: "halt", reason: REASON, changes: [{ path: "trading_state", from: "ACTIVE", to: "HALTED" }] });
    // Journaled as a state change, so a restart comes back HALTED.
    api.store.journal.flush();
    expect(api.store.lastStateChange()).toMatchObject({ to: "HALTED", reason: REASON });

    for (const verb of ["resume", "reduce"]) {
      const r = await api.call(`/risk/${verb}`, json({ reason: "try anyway" }, "POST"));
      expect(r.status).toBe(409);
      expect(await r.json()).toEqual({
        error: "trading_revoked", message: `${REASON}: this process may not trade again; restart keel serve with a new authorisation`,
      });
    }
    expect((await (await api.call("/health")).json()).trading_state).toBe("HALTED");
    // Halting again is still allowed (and changes nothing).
    expect((await api.call("/risk/halt", json({ reason: "belt and braces" }, "POST"))).status).toBe(200);
    const [reply] = await (await api.call("/signals", json([{ id: "x", symbol: "AAPL", side: "buy", strength: 0.5, price: 190 }], "POST"))).json();
    expect(reply).toMatchObject({ status: "rejected", reason: "trading_halted" });
  });

  test("an engine already HALTED stays so; the revocation is still audited and published", async () => {
    api = startApi();
    expect((await api.call("/risk/halt", json({ reason: "lunch" }, "POST"))).status).toBe(200);
    const seen = events(api);
    api.control.revokeTrading(REASON, "live-auth");
    expect(seen).toEqual([{ type: "trading_state_changed", from: "HALTED", to: "HALTED", reason: REASON, author: "live-auth", ts: expect.any(Number) }]);
    expect(api.store.listAudit(1)[0]).toMatchObject({ author: "live-auth", action: "halt", reason: REASON, changes: [] });
    expect((await api.call("/risk/resume", json({ reason: "back" }, "POST"))).status).toBe(409);
  });
});
