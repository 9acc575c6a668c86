/**
 * The kill switch and the venue's session, without a network: a recording venue whose session
 * the test takes down and brings back. Every move to HALTED (an operator's halt, a daily-loss
 * breach decided on the hot path, a lost session) calls the venue's cancelAll; REDUCING does not.
 * A lost session halts the engine through Control (audited by "venue", published), and the admin
 * API refuses resume and reduce while it is down.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { Engine } from "../../src/engine/engine.ts";
import type { KeelEvent } from "../../src/events/bus.ts";
import { HALTED, REDUCING } from "../../src/risk/trading-state.ts";
import type { CancelAll, FillListener, Venue, VenueListener, VenueOrder } from "../../src/venue/venue.ts";
import { json, startApi, type Api } from "../api/fixture.ts";
import { baseConfig, merge, outcome, sig, snapshotOf, T0 } from "../engine/fixtures.ts";

/** Fills at once like paper, records cancelAll calls, and has a session the test controls. */
class RecordingVenue implements Venue {
  readonly name = "recording";
  down: string | null = null;
  readonly cancels: string[] = [];
  constructor(
    private readonly onFill: FillListener,
    private readonly onEvent: VenueListener,
  ) {}
  submit(o: VenueOrder): void {
    this.onFill({ orderId: o.id, symbolIndex: o.symbolIndex, symbol: o.symbol, side: o.side, qty: o.qty, price: o.price, ts: o.ts });
  }
  cancelAll(reason: string): CancelAll {
    this.cancels.push(reason);
    return { requested: 0, note: `recorded (${reason})` };
  }
  workingOrders(): string[] {
    return [];
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  lose(why: string): void {
    this.down = why;
    this.onEvent({ kind: "down", text: why });
  }
  back(): void {
    this.down = null;
    this.onEvent({ kind: "up", text: "logged on" });
  }
}

function engineOver(over: Record<string, unknown> = {}): { engine: Engine; venue: () => RecordingVenue } {
  let venue: RecordingVenue | null = null;
  const engine = new Engine(snapshotOf(over), 1, (onFill, onEvent) => (venue = new RecordingVenue(onFill, onEvent)));
  return { engine, venue: () => venue! };
}

describe("the engine pulls the kill switch on every move to HALTED", () => {
  test("a daily-loss breach decided on the hot path cancels (no journal, no Control needed)", () => {
    const { engine, venue } = engineOver({ risk: { limits: { max_daily_loss: 50 } } });
    expect(outcome(engine.process(sig("AAA", 1, 100)))).toBe("accepted");
    expect(venue().cancels).toEqual([]);
    expect(outcome(engine.process(sig("AAA", 1, 99, { ts: T0 + 1 })))).toBe("max_daily_loss");
    expect(engine.decider.state.tradingState).toBe(HALTED);
    expect(venue().cancels).toEqual(["max_daily_loss"]);
    // Already halted: further rejects do not pull it again.
    engine.process(sig("AAA", 1, 98, { ts: T0 + 2 }));
    expect(venue().cancels).toEqual(["max_daily_loss"]);
  });

  test("an operator's halt cancels; REDUCING does not", () => {
    const { engine, venue } = engineOver();
    engine.setTradingState(REDUCING, "operator: wind down", T0);
    expect(venue().cancels).toEqual([]);
    engine.setTradingState(HALTED, "operator: stop", T0 + 1);
    expect(venue().cancels).toEqual(["operator: stop"]);
  });
});

describe("a lost venue session through Control and the admin API", () => {
  let api: Api | null = null;
  let venue: RecordingVenue;
  const events: KeelEvent[] = [];

  function start(): Api {
    api = startApi({
      config: merge(baseConfig(), {}),
      venue: () => (onFill, onEvent) => (venue = new RecordingVenue(onFill, onEvent)),
    });
    events.length = 0;
    api.bus.subscribe((e) => events.push(e));
    return api;
  }

  afterEach(async () => {
    await api?.close();
    api = null;
  });

  test("halts the engine, audited as by 'venue', published, and the kill switch is pulled", async () => {
    const a = start();
    venue.lose("the FIX session to venue:9 is down: socket error");
    expect(a.engine.decider.state.tradingState).toBe(HALTED);
    expect(venue.cancels).toEqual(["the FIX session to venue:9 is down: socket error"]);
    expect(a.store.listAudit(1)[0]).toMatchObject({ author: "venue", action: "halt", reason: expect.stringContaining("socket error") });
    expect(events).toContainEqual(expect.objectContaining({ type: "venue", venue: "recording", kind: "down" }));
    expect(events).toContainEqual(expect.objectContaining({ type: "trading_state_changed", from: "ACTIVE", to: "HALTED", author: "venue" }));
    // A session loss is not a limit breach.
    expect(events.some((e) => e.type === "risk_breach")).toBe(false);
  });

  test("resume and reduce are 409 venue_down while it is down; halt still works; resume works once it is back", async () => {
    const a = start();
    venue.lose("the FIX session to venue:9 is down: no answer to TestRequest");
    for (const verb of ["resume", "reduce"]) {
      const r = await a.call(`/risk/${verb}`, json({ reason: "try" }, "POST"));
      expect(r.status).toBe(409);
      const body = (await r.json()) as { error: string; message: string };
      expect(body.error).toBe("venue_down");
      expect(body.message).toContain("no answer to TestRequest");
      expect(body.message).toContain("trading stays HALTED");
    }
    expect(a.engine.decider.state.tradingState).toBe(HALTED);
    expect((await a.call("/risk/halt", json({ reason: "belt and braces" }, "POST"))).status).toBe(200);
    venue.back();
    expect(a.engine.decider.state.tradingState).toBe(HALTED); // back, but not resumed by itself
    const r = await a.call("/risk/resume", json({ reason: "session is back" }, "POST"));
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ trading_state: "ACTIVE", previous: "HALTED" });
    expect(outcome(a.engine.process(sig("AAA", 1, 100)))).toBe("accepted");
  });

  test("a session lost while already HALTED changes nothing but is still reported", async () => {
    const a = start();
    expect((await a.call("/risk/halt", json({ reason: "lunch" }, "POST"))).status).toBe(200);
    const audits = a.store.listAudit(10).length;
    venue.lose("down again");
    expect(a.store.listAudit(10).length).toBe(audits);
    expect(events.at(-1)).toMatchObject({ type: "venue", kind: "down", text: "down again" });
  });
});
