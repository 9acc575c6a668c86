/**
 * The `[venue]` section: strict like every section, each bad field named in its issue; and
 * restart-only like trading.mode: a write that changes it (or adds or removes it) is 409
 * restart_required and changes nothing, while writes that leave it alone go through.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { prepareValue } from "../../src/config/prepare.ts";
import { json, startApi, type Api } from "../api/fixture.ts";
import { baseConfig, merge } from "../engine/fixtures.ts";

const VENUE = { host: "fix.example.net", port: 9878, sender_comp_id: "KEEL", target_comp_id: "BROKER" };

function issuesOf(venue: unknown): { path: string; message: string }[] {
  const r = prepareValue({ venue });
  return r.ok ? [] : r.issues;
}

describe("[venue] validation", () => {
  test("optional; when given, defaults fill the timers", () => {
    const none = prepareValue({});
    expect(none.ok && none.document.venue).toBeUndefined();
    const r = prepareValue({ venue: VENUE });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.document.venue).toEqual({ ...VENUE, heartbeat_interval_s: 30, reconnect_initial_ms: 1000, reconnect_max_ms: 30_000 });
  });

  test("each bad field is an issue naming it", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...VENUE, host: undefined }, "venue.host"],
      [{ ...VENUE, host: "bad host" }, "venue.host"],
      [{ ...VENUE, port: 0 }, "venue.port"],
      [{ ...VENUE, port: 70_000 }, "venue.port"],
      [{ ...VENUE, port: "9878" }, "venue.port"],
      [{ ...VENUE, sender_comp_id: "has space" }, "venue.sender_comp_id"],
      [{ ...VENUE, target_comp_id: "a\u0001b" }, "venue.target_comp_id"],
      [{ ...VENUE, target_comp_id: "" }, "venue.target_comp_id"],
      [{ ...VENUE, heartbeat_interval_s: 0 }, "venue.heartbeat_interval_s"],
      [{ ...VENUE, heartbeat_interval_s: 1.5 }, "venue.heartbeat_interval_s"],
      [{ ...VENUE, reconnect_initial_ms: 5000, reconnect_max_ms: 1000 }, "venue.reconnect_max_ms"],
      [{ ...VENUE, password: "hunter2" }, "venue.password"],
    ];
    for (const [venue, path] of cases) {
      const issues = issuesOf(venue);
      expect(issues.map((i) => i.path)).toContain(path);
    }
    expect(issuesOf({ ...VENUE, reconnect_initial_ms: 5000, reconnect_max_ms: 1000 })[0]!.message).toBe("must be at least reconnect_initial_ms (5000)");
  });
});

describe("[venue] is restart-only", () => {
  let api: Api | null = null;
  afterEach(async () => {
    await api?.close();
    api = null;
  });

  test("PUT changing, adding or removing it is 409 restart_required; the active version stays", async () => {
    api = startApi({ config: merge(baseConfig(), { venue: VENUE }) });
    const before = api.control.current.version;
    const variants = [
      merge(baseConfig(), { venue: { ...VENUE, port: 9879 } }),
      merge(baseConfig(), { venue: { ...VENUE, heartbeat_interval_s: 10 } }),
      baseConfig(),
    ];
    for (const doc of variants) {
      const r = await api.call("/config", json(doc));
      expect(r.status).toBe(409);
      const body = (await r.json()) as { error: string; message: string };
      expect(body.error).toBe("restart_required");
      expect(body.message).toContain("venue cannot change on a running engine");
      expect(api.control.current.version).toBe(before);
    }
    const v = await api.call("/config/validate", json(variants[0], "POST"));
    expect(await v.json()).toMatchObject({ valid: false, issues: [{ path: "venue", code: "invalid_value" }] });
  });

  test("writes that leave it alone go through", async () => {
    api = startApi({ config: merge(baseConfig(), { venue: VENUE }) });
    const put = await api.call("/config", json(merge(baseConfig(), { venue: VENUE, risk: { limits: { max_positions: 7 } } })));
    expect(put.status).toBe(200);
    const patch = await api.call("/config/symbols/AAA", json({ tick_size: 0.05 }, "PATCH"));
    expect(patch.status).toBe(200);
    const active = (await (await api.call("/config")).json()) as { venue: unknown };
    expect(active.venue).toEqual({ ...VENUE, heartbeat_interval_s: 30, reconnect_initial_ms: 1000, reconnect_max_ms: 30_000 });
  });

  test("adding one to a document that has none is 409 too", async () => {
    api = startApi({ config: baseConfig() });
    const r = await api.call("/config", json(merge(baseConfig(), { venue: VENUE })));
    expect(r.status).toBe(409);
    expect(((await r.json()) as { error: string }).error).toBe("restart_required");
  });
});
