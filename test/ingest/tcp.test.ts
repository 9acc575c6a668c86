import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { EMBEDDED_DEFAULT } from "../../src/cli/source.ts";
import { prepareText } from "../../src/config/prepare.ts";
import { Engine } from "../../src/engine/engine.ts";
import { startIngest, type Ingest, type IngestLimits } from "../../src/ingest/tcp.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, type SqliteStore } from "../../src/store/sqlite.ts";

const prepared = prepareText(EMBEDDED_DEFAULT.text, "toml");
if (!prepared.ok) throw new Error("embedded default config is invalid");
const snapshot = prepared.snapshot;

/** A test client: collects reply lines, lets a test await a number of them. */
class Client {
  lines: string[] = [];
  closed = false;
  private text = "";
  private readonly decoder = new TextDecoder();
  private wake: (() => void) | null = null;
  socket!: Socket<undefined>;

  static async open(port: number): Promise<Client> {
    const c = new Client();
    c.socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data: (_s, d) => c.onData(d),
        close: () => {
          c.closed = true;
          c.wake?.();
        },
      },
    });
    return c;
  }

  private onData(d: Uint8Array): void {
    this.text += this.decoder.decode(d, { stream: true });
    const parts = this.text.split("\n");
    this.text = parts.pop()!;
    for (const p of parts) this.lines.push(p);
    this.wake?.();
  }

  /** Write everything, waiting out back-pressure. */
  async send(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    let off = 0;
    while (off < bytes.length) {
      const n = this.socket.write(bytes, off, bytes.length - off);
      if (n < 0) throw new Error("socket closed");
      off += n;
      if (off < bytes.length) await Bun.sleep(1);
    }
    this.socket.flush();
  }

  /** Wait until `n` reply lines have arrived in total, and return them parsed. */
  async replies(n: number, ms = 20_000): Promise<any[]> {
    const deadline = Date.now() + ms;
    while (this.lines.length < n) {
      if (this.closed) throw new Error(`closed after ${this.lines.length} of ${n} lines`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out with ${this.lines.length} of ${n} lines`);
      await new Promise<void>((done) => {
        const t = setTimeout(done, left);
        this.wake = () => {
          clearTimeout(t);
          done();
        };
      });
      this.wake = null;
    }
    return this.lines.slice(0, n).map((l) => JSON.parse(l));
  }

  async waitClosed(ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await Bun.sleep(5);
    if (!this.closed) throw new Error("not closed");
  }

  end(): void {
    this.socket.end();
  }
}

let ts = 1_700_000_000_000;
/** A signal line the default config accepts (AAPL, within the collar). */
function signal(id: string, extra: Record<string, unknown> = {}): string {
  ts += 1000; // a fresh second each time: no rate limit, no duplicate window
  return JSON.stringify({ id, symbol: "AAPL", side: "buy", strength: 0.5, price: 190.1, ts, ...extra }) + "\n";
}

let ingest: Ingest | null = null;
const clients: Client[] = [];
/** Whether the suite runs with a journal: every test below runs both ways. */
let durable = false;
let store: SqliteStore | null = null;
let dir: string | null = null;

function start(limits?: Partial<IngestLimits>): Ingest {
  if (durable && store === null) {
    dir = mkdtempSync(join(tmpdir(), "keel-tcp-"));
    store = openStore(join(dir, "paper.db"));
    store.createAndActivate({ hash: prepared.ok ? prepared.hash : "", canonical: "{}", parent: null, author: "test", message: "" }, { author: "test", action: "startup" });
  }
  const journal = store?.journal;
  ingest = startIngest({ host: "127.0.0.1", port: 0, engine: new Engine(snapshot, 1, undefined, journal), limits, journal });
  return ingest;
}

async function connect(): Promise<Client> {
  const c = await Client.open(ingest!.port);
  clients.push(c);
  return c;
}

for (const journaled of [false, true]) {
describe(journaled ? "TCP ingest, replies after the journal commit" : "TCP ingest", () => {
  beforeEach(() => {
    durable = journaled;
    start();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) if (!c.closed) c.socket.terminate();
    await ingest?.stop();
    ingest = null;
    store?.close();
    store = null;
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  test("binds an ephemeral port on loopback", () => {
    expect(ingest!.port).toBeGreaterThan(0);
    expect(ingest!.host).toBe("127.0.0.1");
  });

  test("a valid signal gets an accepted reply with the order", async () => {
    const c = await connect();
    await c.send(signal("s1"));
    const [r] = await c.replies(1);
    expect(r).toEqual({
      id: "s1",
      status: "accepted",
      order: { symbol: "AAPL", side: "buy", qty: 100, price: 190.13, type: "limit", tif: "day" },
      config_version: 1,
    });
  });

  test("an unknown symbol is rejected with its reason", async () => {
    const c = await connect();
    await c.send(signal("u1", { symbol: "NOPE" }));
    expect(await c.replies(1)).toEqual([{ id: "u1", status: "rejected", reason: "unknown_symbol", config_version: 1 }]);
  });

  test("malformed lines get an error and the connection keeps working", async () => {
    const c = await connect();
    await c.send("not json\n");
    await c.send("[1,2]\n");
    await c.send('{"symbol":"AAPL"}\n');
    await c.send('{"id":"m4"}\n');
    await c.send("42\n");
    await c.send(signal("m6"));
    const r = await c.replies(6);
    expect(r[0].status).toBe("error");
    expect(r[0].message).toContain("invalid JSON");
    expect(r[0].id).toBeUndefined();
    expect(r[1]).toEqual({ status: "error", message: "a signal must be a JSON object" });
    expect(r[2].status).toBe("error");
    expect(r[2].id).toBeUndefined();
    expect(r[3]).toMatchObject({ id: "m4", status: "error" });
    expect(r[4].status).toBe("error");
    expect(r[5]).toMatchObject({ id: "m6", status: "accepted" });
    expect(c.closed).toBe(false);
  });

  test("a bad field value is the engine's invalid_signal reject, not an error", async () => {
    const c = await connect();
    await c.send(signal("v1", { side: "hold" }));
    expect(await c.replies(1)).toEqual([{ id: "v1", status: "rejected", reason: "invalid_signal", config_version: 1 }]);
  });

  test("empty lines get no reply; CRLF line ends are accepted", async () => {
    const c = await connect();
    await c.send("\n\r\n\n" + signal("e1").replace("\n", "\r\n") + "\n");
    const r = await c.replies(1);
    expect(r[0]).toMatchObject({ id: "e1", status: "accepted" });
    await Bun.sleep(30);
    expect(c.lines.length).toBe(1);
  });

  test("several lines in one write, and one line split across writes", async () => {
    const c = await connect();
    await c.send(signal("a") + signal("b", { symbol: "MSFT", price: 415 }) + signal("c", { symbol: "X" }));
    const line = signal("d");
    await c.send(line.slice(0, 10));
    await Bun.sleep(20);
    await c.send(line.slice(10, 30));
    await Bun.sleep(20);
    await c.send(line.slice(30));
    const r = await c.replies(4);
    expect(r.map((x) => x.id)).toEqual(["a", "b", "c", "d"]);
    expect(r.map((x) => x.status)).toEqual(["accepted", "accepted", "rejected", "accepted"]);
  });

  test("a multi-byte character split across writes survives", async () => {
    const c = await connect();
    const id = "é-€-😀";
    const bytes = new TextEncoder().encode(signal(id));
    const cut = bytes.indexOf(0xf0) + 2; // inside the 4-byte emoji
    await c.send(bytes.subarray(0, cut));
    await Bun.sleep(20);
    await c.send(bytes.subarray(cut));
    const [r] = await c.replies(1);
    expect(r.id).toBe(id);
    expect(r.status).toBe("accepted");
  });

  test("replies come back in order for 200 pipelined signals", async () => {
    const c = await connect();
    const syms = ["AAPL", "MSFT", "JPM", "NOPE"];
    const prices = [190, 415, 205, 1];
    let text = "";
    for (let i = 0; i < 200; i++) text += signal(`p${i}`, { symbol: syms[i % 4], price: prices[i % 4], side: i % 2 ? "sell" : "buy" });
    await c.send(text);
    const r = await c.replies(200);
    expect(r.map((x) => x.id)).toEqual(Array.from({ length: 200 }, (_, i) => `p${i}`));
    for (const x of r) expect(["accepted", "rejected"]).toContain(x.status);
    expect(r.filter((x, i) => i % 4 === 3).every((x) => x.reason === "unknown_symbol")).toBe(true);
  });

  test("concurrent clients each get exactly their own replies, in order", async () => {
    const cs = await Promise.all(Array.from({ length: 5 }, () => connect()));
    expect(ingest!.connections).toBe(5);
    const n = 100;
    // Interleave the clients' writes, several lines at a time.
    for (let k = 0; k < n; k += 10) {
      for (let j = 0; j < cs.length; j++) {
        let text = "";
        for (let i = k; i < k + 10; i++) text += signal(`c${j}-${i}`, { symbol: i % 3 ? "AAPL" : "NOPE" });
        await cs[j]!.send(text);
      }
    }
    const all = await Promise.all(cs.map((c) => c.replies(n)));
    all.forEach((r, j) => expect(r.map((x) => x.id)).toEqual(Array.from({ length: n }, (_, i) => `c${j}-${i}`)));
    await Bun.sleep(20);
    for (const c of cs) expect(c.lines.length).toBe(n);
  });

  test("a line over 64 KiB gets an error and is discarded; the next line works", async () => {
    const c = await connect();
    const big = JSON.stringify({ id: "big", symbol: "AAPL", pad: "x".repeat(70 * 1024) }) + "\n";
    await c.send(big + signal("after"));
    const r = await c.replies(2);
    expect(r[0].status).toBe("error");
    expect(r[0].message).toContain("65536");
    expect(r[1]).toMatchObject({ id: "after", status: "accepted" });
  });

  test("an over-long line streamed in pieces is answered before its end and never buffered whole", async () => {
    const c = await connect();
    await c.send('{"id":"big","pad":"');
    for (let i = 0; i < 40; i++) await c.send("y".repeat(4096)); // 160 KiB, no newline yet
    const [r] = await c.replies(1);
    expect(r.status).toBe("error");
    await c.send('"}\n' + signal("next"));
    const r2 = await c.replies(2);
    expect(r2[1]).toMatchObject({ id: "next", status: "accepted" });
  });

  test("a client that stops reading stalls only itself, and gets every reply once it reads", async () => {
    await ingest!.stop();
    start({ highWater: 16 * 1024, lowWater: 4 * 1024 });
    const slow = await connect();
    const fast = await connect();
    slow.socket.pause();
    // ~90-byte error replies for 3-byte lines: far more output than the kernel buffers hold.
    const n = 200_000;
    const sending = slow.send("{}\n".repeat(n));
    // The other connection is unaffected meanwhile.
    await Bun.sleep(50);
    await fast.send(signal("f1"));
    expect((await fast.replies(1))[0]).toMatchObject({ id: "f1", status: "accepted" });
    expect(slow.lines.length).toBeLessThan(n);
    slow.socket.resume();
    await sending;
    const r = await slow.replies(n, 20_000);
    expect(r.length).toBe(n);
    expect(r[n - 1].status).toBe("error");
    expect(slow.closed).toBe(false);
    expect(ingest!.stalls).toBeGreaterThan(0);
    expect(ingest!.overflows).toBe(0);
  }, 30_000);

  test("a client that keeps sending past the backlog bound without reading is disconnected", async () => {
    await ingest!.stop();
    start({ highWater: 16 * 1024, lowWater: 4 * 1024, maxBacklog: 1024 });
    const slow = await connect();
    const other = await connect();
    slow.socket.pause();
    void slow.send("{}\n".repeat(500_000)).catch(() => {});
    await slow.waitClosed(10_000);
    expect(ingest!.overflows).toBe(1);
    await other.send(signal("o1"));
    expect((await other.replies(1))[0]).toMatchObject({ id: "o1", status: "accepted" });
  }, 20_000);

  test("counts connections, and stop() closes every one and the listener", async () => {
    const a = await connect();
    const b = await connect();
    const c = await connect();
    expect(ingest!.connections).toBe(3);
    c.end();
    await c.waitClosed();
    for (let i = 0; i < 50 && ingest!.connections !== 2; i++) await Bun.sleep(5);
    expect(ingest!.connections).toBe(2);
    const port = ingest!.port;
    await ingest!.stop();
    expect(ingest!.connections).toBe(0);
    await a.waitClosed();
    await b.waitClosed();
    await expect(Client.open(port)).rejects.toThrow();
  });

  test("refuses to start on a port that is taken", () => {
    expect(() => startIngest({ host: "127.0.0.1", port: ingest!.port, engine: new Engine(snapshot, 1) })).toThrow();
  });
});
}

describe("TCP ingest with a journal: durability", () => {
  let d: string;
  let s: SqliteStore;
  let ing: Ingest | null = null;
  const failures: Error[] = [];

  beforeEach(() => {
    d = mkdtempSync(join(tmpdir(), "keel-tcp-durable-"));
    s = openStore(join(d, "paper.db"));
    s.createAndActivate({ hash: "b".repeat(64), canonical: "{}", parent: null, author: "test", message: "" }, { author: "test", action: "startup" });
    failures.length = 0;
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) if (!c.closed) c.socket.terminate();
    await ing?.stop();
    ing = null;
    s.close();
    rmSync(d, { recursive: true, force: true });
  });

  async function client(engineVersion: number): Promise<Client> {
    ing = startIngest({
      host: "127.0.0.1", port: 0, engine: new Engine(snapshot, engineVersion, undefined, s.journal), journal: s.journal,
      onCommitFailed: (err) => failures.push(err),
    });
    const c = await Client.open(ing.port);
    clients.push(c);
    return c;
  }

  test("every accepted reply names an order that is already in the database", async () => {
    const c = await client(1);
    let text = "";
    for (let k = 0; k < 40; k++) text += signal(`d${k}`, { symbol: k % 2 === 0 ? "AAPL" : "MSFT", price: k % 2 === 0 ? 190.1 : 415 });
    await c.send(text);
    const replies = await c.replies(40);
    const accepted = replies.filter((r) => r.status === "accepted").map((r) => r.id);
    expect(accepted.length).toBeGreaterThan(0);
    const day = s.lastDay()!;
    expect(s.dayJournal(day).orders.map((o) => o.id)).toEqual(accepted);
  });

  test("a batch the journal cannot commit is never acknowledged: one error line, the connection closes", async () => {
    // Version 99 is not in the database, so the orders' foreign key fails the commit.
    const c = await client(99);
    await c.send(signal("f1") + signal("f2", { symbol: "NOPE" }));
    await c.waitClosed();
    expect(c.lines.map((l) => JSON.parse(l))).toEqual([
      { status: "error", message: "the journal could not record this batch; its orders were not acknowledged, closing" },
    ]);
    expect(failures.length).toBe(1);
    expect(s.lastDay()).toBeNull();
  });
});
