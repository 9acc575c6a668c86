import { afterEach, describe, expect, test } from "bun:test";
import { type Api, json, READ, startApi } from "./fixture.ts";

let api: Api | null = null;
const streams: EventStream[] = [];
afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  await api?.close();
  api = null;
});

interface Frame {
  readonly event: string;
  readonly data: string;
  /** Comment lines (": keep-alive"). */
  readonly comments: readonly string[];
}

/** An SSE client over fetch() and a stream reader: frames in arrival order. */
class EventStream {
  private buffer = "";
  private readonly frames: Frame[] = [];
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private reading: Promise<boolean> | null = null;

  private constructor(
    readonly response: Response,
    private readonly controller: AbortController,
  ) {
    this.reader = response.body!.getReader();
  }

  static async open(a: Api, token?: string): Promise<EventStream> {
    const controller = new AbortController();
    const r = await a.call("/events", { signal: controller.signal, ...(token === undefined ? {} : { token }) });
    const s = new EventStream(r, controller);
    streams.push(s);
    return s;
  }

  /** Read until a frame matching `match` arrives; frames before it are consumed. */
  async next(match: (f: Frame) => boolean = () => true, ms = 15_000): Promise<Frame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const k = this.frames.findIndex(match);
      if (k >= 0) return this.frames.splice(0, k + 1)[k]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching SSE frame; buffered: ${JSON.stringify(this.frames)}`);
      this.reading ??= this.pull();
      const timeout = new Promise<"timeout">((done) => setTimeout(() => done("timeout"), left));
      const got = await Promise.race([this.reading, timeout]);
      if (got === "timeout") continue;
      this.reading = null;
      if (got === false) throw new Error("SSE stream ended");
    }
  }

  /** The next event with this name, its data parsed. */
  async event(name: string, ms?: number): Promise<any> {
    return JSON.parse((await this.next((f) => f.event === name, ms)).data);
  }

  private async pull(): Promise<boolean> {
    const { done, value } = await this.reader.read();
    if (done) return false;
    this.buffer += this.decoder.decode(value, { stream: true });
    let end: number;
    while ((end = this.buffer.indexOf("\n\n")) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      const comments: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) comments.push(line.slice(1).trim());
        else if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      this.frames.push({ event, data: data.join("\n"), comments });
    }
    return true;
  }

  close(): void {
    this.controller.abort();
  }
}

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
}

describe("GET /events", () => {
  test("a text/event-stream whose first event is ready, with the active version", async () => {
    api = startApi();
    const s = await EventStream.open(api);
    expect(s.response.status).toBe(200);
    expect(s.response.headers.get("content-type")).toContain("text/event-stream");
    const first = await s.next();
    expect(first.event).toBe("ready");
    expect(JSON.parse(first.data)).toEqual({ config_version: 1 });
  });

  test("a PUT produces config_changed with version, hash and changes", async () => {
    api = startApi();
    const s = await EventStream.open(api);
    await s.event("ready");
    const doc = JSON.parse(await (await api.call("/config")).text());
    doc.risk.limits.max_daily_trades = 77;
    const put = await (await api.call("/config", json(doc, "PUT", { "x-author": "erin" }))).json();
    const e = await s.event("config_changed");
    expect(e).toMatchObject({
      type: "config_changed", version: 2, previous: 1, hash: put.hash, author: "erin", action: "activate",
      changes: [{ path: "risk.limits.max_daily_trades", from: 150, to: 77 }],
    });
    // A PATCH and a rollback too, each with its own action.
    await api.call("/config/symbols/AAPL", json({ reference_price: 191 }, "PATCH"));
    expect(await s.event("config_changed")).toMatchObject({ version: 3, action: "patch", changes: [{ path: "symbols.AAPL.reference_price", from: 190.5, to: 191 }] });
    await api.call("/config/rollback", json({ version: 1 }, "POST"));
    expect(await s.event("config_changed")).toMatchObject({ version: 4, previous: 3, action: "rollback" });
  });

  test("an unchanged PUT or a refused one publishes nothing", async () => {
    api = startApi();
    const s = await EventStream.open(api, READ);
    await s.event("ready");
    const doc = JSON.parse(await (await api.call("/config")).text());
    expect((await (await api.call("/config", json(doc))).json()).unchanged).toBe(true);
    doc.risk.limits.max_daily_trades = -1;
    expect((await api.call("/config", json(doc))).status).toBe(422);
    doc.risk.limits.max_daily_trades = 5;
    const ok = await (await api.call("/config", json(doc))).json();
    // The first config_changed on the stream is the one valid change.
    expect((await s.event("config_changed")).version).toBe(ok.version);
    expect(ok.version).toBe(2);
  });

  test("a halt and a resume produce trading_state_changed with the author", async () => {
    api = startApi();
    const s = await EventStream.open(api);
    await s.event("ready");
    await api.call("/risk/halt", json({ reason: "news" }, "POST", { "x-author": "frank" }));
    expect(await s.event("trading_state_changed")).toMatchObject({ type: "trading_state_changed", from: "ACTIVE", to: "HALTED", reason: "news", author: "frank" });
    await api.call("/risk/resume", json({ reason: "ok" }, "POST"));
    expect(await s.event("trading_state_changed")).toMatchObject({ from: "HALTED", to: "ACTIVE", author: "api" });
  });

  test("a daily-loss halt produces trading_state_changed by the engine and risk_breach", async () => {
    api = startApi();
    const doc = JSON.parse(await (await api.call("/config")).text());
    doc.risk.limits.max_daily_loss = 100;
    expect((await api.call("/config", json(doc))).status).toBe(200);
    const s = await EventStream.open(api);
    await s.event("ready");
    // Buy 200 AAPL near 190.5, then mark it at 185: an unrealised loss of about 1,100 > 100.
    const replies = await (
      await api.call("/signals", json([
        { id: "b", symbol: "AAPL", side: "buy", strength: 1, price: 190.5 },
        { id: "m", symbol: "AAPL", side: "sell", strength: 0.1, price: 185 },
        { id: "x", symbol: "MSFT", side: "buy", strength: 0.5, price: 415 },
      ], "POST"))
    ).json();
    expect(replies.map((r: any) => r.reason ?? r.status)).toEqual(["accepted", "max_daily_loss", "trading_halted"]);
    const changed = await s.next((f) => f.event === "trading_state_changed" || f.event === "risk_breach");
    // The state change comes first, then the breach.
    expect(changed.event).toBe("trading_state_changed");
    expect(JSON.parse(changed.data)).toMatchObject({ from: "ACTIVE", to: "HALTED", reason: "max_daily_loss", author: "engine" });
    expect(await s.event("risk_breach")).toMatchObject({ type: "risk_breach", limit: "max_daily_loss", to: "HALTED", reason: "max_daily_loss" });
    expect((await (await api.call("/health", { token: null })).json()).trading_state).toBe("HALTED");
    expect(api.store.listAudit(1)[0]).toMatchObject({ author: "engine", action: "halt", reason: "max_daily_loss" });
  });

  test("an operator's halt is not a risk_breach", async () => {
    api = startApi();
    const s = await EventStream.open(api);
    await s.event("ready");
    await api.call("/risk/halt", json({ reason: "manual" }, "POST"));
    await s.event("trading_state_changed");
    await api.call("/risk/resume", json({ reason: "ok" }, "POST"));
    await s.event("trading_state_changed");
    const doc = JSON.parse(await (await api.call("/config")).text());
    doc.risk.limits.max_positions = 9;
    await api.call("/config", json(doc));
    // Everything up to the next config_changed was consumed: no breach in between.
    const rest = await s.next((f) => f.event === "config_changed" || f.event === "risk_breach");
    expect(rest.event).toBe("config_changed");
  });

  test("keep-alive comments arrive when nothing happens", async () => {
    api = startApi({ keepAliveMs: 20 });
    const s = await EventStream.open(api);
    await s.event("ready");
    const k = await s.next((f) => f.comments.length > 0);
    expect(k.comments).toEqual(["keep-alive"]);
    // Events still arrive between keep-alives.
    await api.call("/risk/halt", json({ reason: "k" }, "POST"));
    expect((await s.event("trading_state_changed")).to).toBe("HALTED");
  });

  test("every open stream gets every event; aborting a request unsubscribes it", async () => {
    api = startApi({ keepAliveMs: 50 });
    const base = api.bus.subscribers;
    const a = await EventStream.open(api);
    const b = await EventStream.open(api);
    await a.event("ready");
    await b.event("ready");
    expect(api.bus.subscribers).toBe(base + 2);
    await api.call("/risk/halt", json({ reason: "both" }, "POST"));
    expect((await a.event("trading_state_changed")).reason).toBe("both");
    expect((await b.event("trading_state_changed")).reason).toBe("both");

    a.close();
    await until(() => api!.bus.subscribers === base + 1);
    // The other stream carries on.
    await api.call("/risk/resume", json({ reason: "one left" }, "POST"));
    expect((await b.event("trading_state_changed")).reason).toBe("one left");
    b.close();
    await until(() => api!.bus.subscribers === base);
  });

  test("aborting while idle (no keep-alive due for a long time) unsubscribes too", async () => {
    api = startApi({ keepAliveMs: 60_000 });
    const base = api.bus.subscribers;
    const s = await EventStream.open(api);
    await s.event("ready");
    expect(api.bus.subscribers).toBe(base + 1);
    s.close();
    await until(() => api!.bus.subscribers === base);
  });
});
