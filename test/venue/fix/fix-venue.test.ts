/**
 * The FIX gateway against a FIX engine no one here wrote: jspurefix, run under Node as an
 * acceptor on a loopback port (acceptor.cjs). The shared Venue contract runs against FixVenue
 * logged on to it; then the engine, Control and the admin API run over FixVenue: orders out,
 * execution reports back into positions (compared with the paper venue), the kill switch, rejects,
 * a lost session halting the engine and refusing resume, garbled bytes, and sequence numbers that
 * stay in step across a dropped connection, a restart of the gateway (clean, and kill -9) and a
 * restart of the acceptor (kill -9, with a gap the gateway fills instead of re-sending orders).
 *
 * Every Node process is killed in afterAll, whatever happened.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KeelEvent } from "../../../src/events/bus.ts";
import { openStore } from "../../../src/store/sqlite.ts";
import { fixVenueFactory } from "../../../src/venue/fix/from-config.ts";
import { FixVenue } from "../../../src/venue/fix/fix-venue.ts";
import { MemorySeqStore, SqliteSeqStore } from "../../../src/venue/fix/seq-store.ts";
import type { SessionConfig } from "../../../src/venue/fix/session.ts";
import type { Venue, VenueEvent } from "../../../src/venue/venue.ts";
import { json, startApi, type Api } from "../../api/fixture.ts";
import { venueContract } from "../venue.contract.ts";
import { Acceptor, killAll } from "./acceptor-process.ts";

const dir = mkdtempSync(join(tmpdir(), "keel-fix-"));
const storeDir = join(dir, "acceptor-store");
let acceptor: Acceptor;
/** The acceptor that replaces the first one when it is killed, loaded ahead of time. */
let replacement: Promise<Acceptor>;

beforeAll(async () => {
  acceptor = await Acceptor.start(storeDir);
  replacement = Acceptor.prepare(storeDir, { port: acceptor.port });
});

afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

function session(sender: string, over: Partial<SessionConfig> = {}): SessionConfig {
  return {
    host: "127.0.0.1", port: acceptor.port, senderCompId: sender, targetCompId: "VENUE", heartbeatS: 30,
    reconnectInitialMs: 20, reconnectMaxMs: 200, ...over,
  };
}

/** Poll until `cond` holds (at most `ms`). */
async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

/** Every report the counterparty sent before now has been handled (bounded: a lost answer fails, it does not hang). */
async function settle(v: Venue): Promise<void> {
  const answer = await Promise.race([(v as FixVenue).session.ping(), Bun.sleep(10_000).then(() => "no Heartbeat within 10 s" as const)]);
  expect(answer).toBe(true);
}

let contractN = 0;
venueContract(
  "fix (FixVenue logged on to jspurefix)",
  async (onFill) => {
    const v = new FixVenue({ session: session(`KEEL-C${++contractN}`), store: new MemorySeqStore(), onFill });
    await until(() => v.down === null, "logon");
    return v;
  },
  { fillsInFull: true, workingSymbol: "WRK", settle },
);

// The engine over FixVenue. Symbols name what the acceptor does with their orders.
const symbol = (sector: string) => ({ sector, reference_price: 100, tick_size: 0.01, lot_size: 1 });
const CONFIG = {
  trading: { position_sizing: { method: "fixed", default_position_size: 100, max_position_size: 1000 } },
  risk: { sectors: { any: { max_gross_exposure: 1e9 } }, limits: { duplicate_window_ms: 0, max_daily_trades: 10_000, max_orders_per_second: 1000 } },
  symbols: { AAA: symbol("any"), WRK1: symbol("any"), PRT1: symbol("any"), REJ1: symbol("any"), BMR1: symbol("any") },
};

let signalN = 0;
function signal(sym: string, side: "buy" | "sell", price = 100) {
  return { id: `sig-${++signalN}`, symbol: sym, side, strength: 1, price, ts: Date.now() };
}

async function post(api: Api, signals: unknown[]): Promise<{ status: string; reason?: string }[]> {
  const r = await api.call("/signals", json(signals, "POST"));
  expect(r.status).toBe(200);
  return (await r.json()) as { status: string; reason?: string }[];
}

function fixOf(api: Api): FixVenue {
  return api.engine.venue as FixVenue;
}

function tradingState(api: Api): string {
  return ["ACTIVE", "REDUCING", "HALTED"][api.engine.decider.state.tradingState]!;
}

describe("the engine over FixVenue", () => {
  let api: Api;
  const events: KeelEvent[] = [];
  const apiDir = join(dir, "engine");

  function start(): Api {
    const a = startApi({ config: CONFIG, dir: apiDir, venue: (store) => fixVenueFactory(
      { host: "127.0.0.1", port: acceptor.port, sender_comp_id: "KEEL", target_comp_id: "VENUE", heartbeat_interval_s: 30, reconnect_initial_ms: 20, reconnect_max_ms: 200 },
      store.db,
    ) });
    a.bus.subscribe((e) => events.push(e));
    return a;
  }

  beforeAll(async () => {
    api = start();
    await until(() => fixOf(api).down === null, "logon");
  });

  afterAll(async () => {
    await api?.close();
  });

  test("orders go out, reports come back, positions and P&L move exactly as on the paper venue", async () => {
    const paper = startApi({ config: CONFIG });
    try {
      const script = [signal("AAA", "buy", 100), signal("AAA", "buy", 101), signal("AAA", "sell", 103), signal("AAA", "sell", 99), signal("AAA", "sell", 98)];
      const fixReplies = await post(api, script);
      const paperReplies = await post(paper, script);
      expect(fixReplies.map((r) => r.status)).toEqual(paperReplies.map((r) => r.status));
      expect(fixReplies.every((r) => r.status === "accepted")).toBe(true);
      await settle(fixOf(api));
      const risk = async (a: Api) => (await (await a.call("/risk")).json()) as { positions: unknown; realized_today: number; unrealized: number };
      const [f, p] = [await risk(api), await risk(paper)];
      expect(f.positions).toEqual(p.positions);
      expect(f.realized_today).toBeCloseTo(p.realized_today, 9);
      expect(f.unrealized).toBeCloseTo(p.unrealized, 9);
      const aaa = api.engine.snapshot.index.get("AAA")!;
      expect(api.engine.decider.state.position(aaa)).toBe(-100);
      expect(fixOf(api).workingOrders()).toEqual([]);
    } finally {
      await paper.close();
    }
  });

  test("a rejected order and a BusinessMessageReject are surfaced, fill nothing and stop working", async () => {
    const before = events.length;
    const [rej, bmr] = [signal("REJ1", "buy"), signal("BMR1", "buy")];
    await post(api, [rej, bmr]);
    await settle(fixOf(api));
    const venueEvents = events.slice(before).filter((e) => e.type === "venue");
    expect(venueEvents).toContainEqual(expect.objectContaining({ kind: "rejected", order_id: rej.id, text: expect.stringContaining("rejects this order") }));
    expect(venueEvents).toContainEqual(expect.objectContaining({ kind: "business_reject", order_id: bmr.id, text: expect.stringContaining("refuses this order") }));
    expect(fixOf(api).workingOrders()).toEqual([]);
    expect(api.engine.decider.state.position(api.engine.snapshot.index.get("REJ1")!)).toBe(0);
  });

  test("a halt cancels every working order (OrderCancelRequest each); a partial fill stays in the position", async () => {
    const stats0 = await acceptor.stats();
    const [w, p] = [signal("WRK1", "buy"), signal("PRT1", "sell")];
    await post(api, [w, p]);
    await settle(fixOf(api));
    expect(fixOf(api).workingOrders().sort()).toEqual([w.id, p.id].sort());
    const r = await api.call("/risk/halt", json({ reason: "test: kill switch" }, "POST"));
    expect(r.status).toBe(200);
    await settle(fixOf(api));
    expect(fixOf(api).workingOrders()).toEqual([]);
    expect((await acceptor.stats()).cancels - stats0.cancels).toBe(2);
    expect(api.engine.decider.state.position(api.engine.snapshot.index.get("PRT1")!)).toBe(-50);
    expect(api.engine.decider.state.position(api.engine.snapshot.index.get("WRK1")!)).toBe(0);
    const resumed = await api.call("/risk/resume", json({ reason: "test: go on" }, "POST"));
    expect(resumed.status).toBe(200);
  });

  test("garbled bytes (not FIX, a wrong CheckSum, a wrong BodyLength) are reported and the session goes on", async () => {
    const before = events.length;
    acceptor.garble();
    const problems = (): string[] => events.slice(before).filter((e) => e.type === "venue" && e.kind === "problem").map((e) => (e as { text: string }).text);
    // The bytes come from the acceptor's stdin command; the wrong BodyLength is noticed when the next message arrives.
    await until(() => problems().length >= 2, "the first two problems");
    await settle(fixOf(api));
    expect(problems().some((t) => t.includes("(garbled)"))).toBe(true);
    expect(problems().some((t) => t.includes("CheckSum (10) 000 is not"))).toBe(true);
    expect(problems().some((t) => t.includes("BodyLength (9)"))).toBe(true);
    expect(fixOf(api).down).toBeNull();
    const [reply] = await post(api, [signal("AAA", "buy")]);
    expect(reply!.status).toBe("accepted");
    await settle(fixOf(api));
    expect(fixOf(api).workingOrders()).toEqual([]);
  });

  test("losing the session halts the engine (audited, published); resume is refused until it is back", async () => {
    const before = events.length;
    // Freeze the acceptor the moment the engine halts: the reconnect then connects but gets no
    // Logon answer, so the session stays down for as long as the test needs it down.
    const unsubscribe = api.bus.subscribe((e) => {
      if (e.type === "trading_state_changed" && e.to === "HALTED") acceptor.pause();
    });
    try {
      acceptor.drop();
      await until(() => tradingState(api) === "HALTED", "the halt");
    } finally {
      unsubscribe();
    }
    try {
      const change = events.slice(before).find((e) => e.type === "trading_state_changed");
      expect(change).toMatchObject({ to: "HALTED", author: "venue", reason: expect.stringContaining("FIX session") });
      expect(api.store.listAudit(1)[0]).toMatchObject({ author: "venue", action: "halt" });
      expect(fixOf(api).down).not.toBeNull();
      for (const verb of ["resume", "reduce"]) {
        const refused = await api.call(`/risk/${verb}`, json({ reason: "too early" }, "POST"));
        expect(refused.status).toBe(409);
        expect(await refused.json()).toMatchObject({ error: "venue_down", message: expect.stringContaining("is down") });
      }
      expect(tradingState(api)).toBe("HALTED");
    } finally {
      acceptor.resume();
    }
    await until(() => fixOf(api).down === null, "the reconnect");
    expect(tradingState(api)).toBe("HALTED"); // back, but only an operator resumes
    const ok = await api.call("/risk/resume", json({ reason: "session is back" }, "POST"));
    expect(ok.status).toBe(200);
    const [reply] = await post(api, [signal("AAA", "sell")]);
    expect(reply!.status).toBe("accepted");
    await settle(fixOf(api));
    await expectInStep(fixOf(api));
  });

  test("a disconnect mid-stream: every order filled or known lost, and both sequences still in step", async () => {
    const burst = Array.from({ length: 200 }, (_, k) => signal("AAA", k % 2 === 0 ? "buy" : "sell"));
    const fills = new Map<string, number>();
    const before = events.length;
    // Every order is out (the replies wait for the journal); the acceptor is still working through
    // them and their reports when its socket dies.
    const replies = (await post(api, burst)) as { id: string; status: string }[];
    acceptor.drop();
    await until(() => fixOf(api).down === null && tradingState(api) === "HALTED", "the reconnect after the drop");
    await settle(fixOf(api));
    await expectInStep(fixOf(api));
    // An accepted order that reached the acceptor is filled in full (reports lost with the socket
    // are resent after the gap). One that did not was cancelled by the halt once the session was
    // back, and the venue answered that it does not know it. Nothing else fills, nothing is left.
    for (const f of api.store.dayJournal(api.store.lastDay()!).fills) fills.set(f.orderId, (fills.get(f.orderId) ?? 0) + f.qty);
    const unknown = new Set(events.slice(before).flatMap((e) => (e.type === "venue" && e.kind === "cancel_rejected" && e.order_id ? [e.order_id] : [])));
    expect(fixOf(api).workingOrders()).toEqual([]);
    let accepted = 0;
    for (const reply of replies) {
      const filled = fills.get(reply.id) ?? 0;
      if (reply.status === "accepted") accepted++;
      if (reply.status !== "accepted" || unknown.has(reply.id)) expect(filled).toBe(0);
      else expect(filled).toBe(100);
    }
    expect(accepted).toBe(burst.length);
    expect((await api.call("/risk/resume", json({ reason: "back" }, "POST"))).status).toBe(200);
  });

  test("a clean restart of the gateway continues from the sequence numbers in the database", async () => {
    const before = fixOf(api).session.seqs;
    await api.close(true);
    const row = readSeqs(join(apiDir, "paper.db"), "FIX.4.4:KEEL->VENUE");
    // Closing sent a Logout (one more number) and stored the exact numbers.
    expect(row).toEqual({ nextOut: before.nextOut + 1, nextIn: expect.any(Number) });
    expect(row!.nextIn).toBeGreaterThanOrEqual(before.nextIn);
    api = start();
    expect(fixOf(api).session.seqs).toEqual(row!);
    await until(() => fixOf(api).down === null, "logon after the restart");
    await settle(fixOf(api));
    await expectInStep(fixOf(api));
    expect(fixOf(api).session.seqs.nextOut).toBeGreaterThan(row!.nextOut); // not back at 1
  });

  test("kill -9 of the acceptor: halted; a new one on the same store resumes; the order it never read is gap-filled, not re-sent", async () => {
    const lost = signal("AAA", "buy");
    const symbolsBefore = (await acceptor.stats()).symbols.length;
    acceptor.pause();
    const [reply] = await post(api, [lost]);
    expect(reply!.status).toBe("accepted");
    await acceptor.kill();
    await until(() => tradingState(api) === "HALTED" && fixOf(api).down !== null, "the halt after the kill");
    expect(fixOf(api).workingOrders()).toEqual([lost.id]);
    acceptor = await replacement;
    await acceptor.listen();
    await until(() => fixOf(api).down === null, "logon to the new acceptor");
    await settle(fixOf(api));
    await expectInStep(fixOf(api));
    const stats = await acceptor.stats();
    // The new process saw none of the old one's orders, and the lost order was not re-sent:
    expect(stats.orders).toBe(0);
    // the halt's cancel of it went out once the session was back, and the venue did not know it.
    expect(stats.cancels).toBe(1);
    expect(fixOf(api).workingOrders()).toEqual([]);
    expect(symbolsBefore).toBeGreaterThan(0);
    expect((await api.call("/risk/resume", json({ reason: "new venue process" }, "POST"))).status).toBe(200);
  });
});

/** The acceptor's last numbers are ours minus one, both ways. */
async function expectInStep(v: FixVenue): Promise<void> {
  const s = await acceptor.stats();
  expect(s.seq).not.toBeNull();
  expect(s.seq!.received).toBe(v.session.seqs.nextOut - 1);
  expect(s.seq!.sent).toBe(v.session.seqs.nextIn - 1);
}

function readSeqs(db: string, session: string) {
  const store = openStore(db);
  try {
    return new SqliteSeqStore(store.db).load(session);
  } finally {
    store.close();
  }
}

describe("FixSession liveness and crashes", () => {
  test("silence: a TestRequest after 1.2 x HeartBtInt, the connection dropped when it is not answered", async () => {
    const events: VenueEvent[] = [];
    const v = new FixVenue({ session: session("KEEL-HB", { heartbeatS: 1, reconnectInitialMs: 5000, reconnectMaxMs: 5000 }), store: new MemorySeqStore(), onFill: () => {}, onEvent: (e) => events.push(e) });
    try {
      await until(() => v.down === null, "logon");
      acceptor.pause();
      try {
        await until(() => v.down !== null, "the drop", 10_000);
      } finally {
        acceptor.resume();
      }
      expect(v.down).toContain("no answer to TestRequest");
      expect(events.filter((e) => e.kind === "down")).toHaveLength(1);
    } finally {
      await v.close();
    }
  });

  test("kill -9 of the gateway: the next run never reuses a sequence number, and the gap is filled", async () => {
    const db = join(dir, "crash.db");
    const child = spawn(process.execPath, [join(import.meta.dir, "gateway-child.ts"), db, String(acceptor.port), "KEEL-CRASH", "3"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stderr.on("data", (d) => (err += String(d)));
    const sentLine = await new Promise<string>((resolve, reject) => {
      // A bound with what the child said, so a stuck logon names itself instead of timing out blind.
      const timer = setTimeout(() => reject(new Error(`the gateway child sent nothing within 20 s; stdout: ${out} stderr: ${err}`)), 20_000);
      child.stdout.on("data", (d) => {
        out += String(d);
        const m = /sent (\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.on("exit", () => {
        clearTimeout(timer);
        reject(new Error(`the gateway child exited early: ${err}`));
      });
    });
    const sentNext = Number(sentLine);
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await gone;
    const saved = readSeqs(db, "FIX.4.4:KEEL-CRASH->VENUE")!;
    expect(saved.nextOut).toBeGreaterThanOrEqual(sentNext); // reserved ahead: nothing sent is at or above it
    const store = openStore(db);
    const v = new FixVenue({ session: session("KEEL-CRASH"), store: new SqliteSeqStore(store.db), onFill: () => {} });
    try {
      expect(v.session.seqs.nextOut).toBe(saved.nextOut);
      await until(() => v.down === null, "logon after the crash");
      await settle(v);
      // The acceptor asked for the skipped numbers and took our GapFill: in step, no order re-sent.
      const s = await acceptor.stats();
      expect(s.seq!.received).toBe(v.session.seqs.nextOut - 1);
    } finally {
      await v.close();
      store.close();
    }
  });
});
