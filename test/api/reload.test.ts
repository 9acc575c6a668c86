/**
 * The real-server test: `keel serve` as a real process, signals streaming over TCP from two
 * clients while config PUTs land over HTTP. Every version sets its own order size and limit offset,
 * so each accepted reply's order shows which version's limits decided it; the test checks that
 * this is the version the reply names, that no reply names a version that was never activated,
 * and that a reload takes effect for every signal sent after its PUT was answered.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { Socket, Subprocess } from "bun";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMBEDDED_DEFAULT } from "../../src/cli/source.ts";
import { prepareText, prepareValue } from "../../src/config/prepare.ts";
import { openStoreReader } from "../../src/store/sqlite.ts";
import { MAIN, Output } from "../cli/serve-helpers.ts";

const TOKEN = "reload-test-token";
const ROUNDS = 20;
const PER_CLIENT = 100;
/** Lines per write: several writes per round, so decisions and a PUT can interleave. */
const SLICE = 10;

type Proc = Subprocess<"ignore", "pipe", "pipe">;
let proc: Proc | null = null;
let dir: string | null = null;
afterEach(async () => {
  if (proc !== null && proc.exitCode === null) proc.kill("SIGKILL");
  await proc?.exited;
  proc = null;
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

/** The default document with limits wide enough that only sizing and the offset shape an order. */
function baseDocument(): any {
  const p = prepareText(EMBEDDED_DEFAULT.text, "toml");
  if (!p.ok) throw new Error("default config invalid");
  const doc = JSON.parse(p.canonical);
  doc.admin.max_config_writes_per_minute = 1000;
  doc.trading.position_sizing = { method: "fixed", default_position_size: 100, max_position_size: 1_000_000 };
  doc.trading.execution.limit_offset_bps = 0;
  Object.assign(doc.risk.limits, {
    max_daily_trades: 1_000_000, max_order_notional: 1e9, max_gross_exposure: 1e12, max_orders_per_second: 1_000_000,
    max_daily_loss: 1e12, duplicate_window_ms: 0,
  });
  doc.risk.sectors.consumer.max_gross_exposure = 1e12;
  return doc;
}

/** Version k's distinguishing limits: a size of its own, and an offset alternating 0 / 10 bps. */
function limitsOf(k: number): { size: number; offset: number } {
  return { size: 100 + k, offset: k % 2 === 0 ? 0 : 10 };
}

function documentFor(k: number): any {
  const doc = baseDocument();
  const { size, offset } = limitsOf(k);
  doc.trading.position_sizing.default_position_size = size;
  doc.trading.execution.limit_offset_bps = offset;
  return doc;
}

/** One NDJSON connection: send lines, collect reply lines in order. */
class Client {
  readonly replies: any[] = [];
  private buf = "";
  private waiter: { n: number; done: () => void } | null = null;
  private socket: Socket<undefined> | null = null;

  static async connect(port: number): Promise<Client> {
    const c = new Client();
    c.socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data: (_s, d) => c.onData(d.toString()),
        close: () => c.waiter?.done(),
      },
    });
    return c;
  }

  private onData(text: string): void {
    this.buf += text;
    let nl: number;
    while ((nl = this.buf.indexOf("\n")) >= 0) {
      this.replies.push(JSON.parse(this.buf.slice(0, nl)));
      this.buf = this.buf.slice(nl + 1);
    }
    if (this.waiter !== null && this.replies.length >= this.waiter.n) this.waiter.done();
  }

  /**
   * Send the lines in small writes, yielding between them so that the server's other work (the
   * PUT) can land between two of them, and wait until every reply so far has arrived.
   */
  async send(lines: string[]): Promise<any[]> {
    const from = this.replies.length;
    const n = from + lines.length;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.waiter = { n, done: resolve };
    for (let i = 0; i < lines.length; i += SLICE) {
      this.socket!.write(lines.slice(i, i + SLICE).join("\n") + "\n");
      await Bun.sleep(0);
    }
    const timer = setTimeout(resolve, 10_000);
    await promise;
    clearTimeout(timer);
    this.waiter = null;
    if (this.replies.length < n) throw new Error(`expected ${n} replies, got ${this.replies.length}`);
    return this.replies.slice(from, n);
  }

  close(): void {
    this.socket?.end();
  }
}

describe("reload under load, against a real keel serve", () => {
  test("every reply's config_version is the version whose limits decided it", async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-reload-"));
    const initial = documentFor(0);
    expect(prepareValue(initial).ok).toBe(true);
    const configPath = join(dir, "keel.json");
    writeFileSync(configPath, JSON.stringify(initial));
    proc = Bun.spawn([process.execPath, MAIN, "serve", "--data", join(dir, "data"), "--config", configPath, "--admin", "127.0.0.1:0", "--ingest", "127.0.0.1:0"], {
      stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, KEEL_ADMIN_TOKEN: TOKEN },
    });
    // Drain stderr so the process never blocks on it; shown if start-up fails.
    let stderr = "";
    void (async () => {
      for await (const chunk of proc!.stderr) stderr += new TextDecoder().decode(chunk);
    })();
    const out = await new Output(proc).waitFor("running").catch((err) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\nstderr: ${stderr}`);
    });
    expect(out).toContain("(token: KEEL_ADMIN_TOKEN)");
    const adminPort = Number(/admin API on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
    const ingestPort = Number(/ingest listening on 127\.0\.0\.1:(\d+)/.exec(out)![1]);
    const admin = `http://127.0.0.1:${adminPort}`;
    const auth = { authorization: `Bearer ${TOKEN}` };

    // Version 1 is the initial document.
    const health = await (await fetch(`${admin}/health`)).json();
    expect(health.config_version).toBe(1);
    const limits = new Map<number, { size: number; offset: number }>([[1, limitsOf(0)]]);
    /** Versions in activation order; versionAfter[k] is the active version once PUT k was answered. */
    const versionAfter: number[] = [1];

    const clients = [await Client.connect(ingestPort), await Client.connect(ingestPort)];
    const symbols = ["WMT", "KO"];
    const prices = [68.4, 62.1];
    let n = 0;
    const chunk = (c: number): string[] =>
      Array.from({ length: PER_CLIENT }, (_, k) => JSON.stringify({ id: `c${c}-${n++}`, symbol: symbols[c], side: k % 2 === 0 ? "buy" : "sell", strength: 1, price: prices[c] }));
    /** Per round and client: the replies and the version bracket they must fall in. */
    const rounds: { replies: any[]; atLeast: number; atMost: number; client: number }[] = [];

    for (let k = 1; k <= ROUNDS; k++) {
      // Both clients stream while the PUT is in flight; it leaves after a few of their writes, a
      // different number each round, so that it lands between decisions of the same round.
      const put = (async () => {
        for (let i = 0; i < k % 8; i++) await Bun.sleep(0);
        return fetch(`${admin}/config`, { method: "PUT", body: JSON.stringify(documentFor(k)), headers: { ...auth, "content-type": "application/json", "x-author": `round-${k}` } });
      })();
      const [r, a, b] = await Promise.all([put, clients[0]!.send(chunk(0)), clients[1]!.send(chunk(1))]);
      expect(r.status).toBe(200);
      const body = await r.json();
      expect(body.changes.map((c: any) => c.path)).toContain("trading.position_sizing.default_position_size");
      expect(body.version).toBeGreaterThan(versionAfter.at(-1)!);
      limits.set(body.version, limitsOf(k));
      // Signals sent while PUT k ran see the version before it or the one it made, nothing else.
      rounds.push({ replies: a, atLeast: versionAfter.at(-1)!, atMost: body.version, client: 0 });
      rounds.push({ replies: b, atLeast: versionAfter.at(-1)!, atMost: body.version, client: 1 });
      versionAfter.push(body.version);
    }
    // After the last PUT was answered, every signal sees it.
    const last = versionAfter.at(-1)!;
    rounds.push({ replies: await clients[0]!.send(chunk(0)), atLeast: last, atMost: last, client: 0 });
    rounds.push({ replies: await clients[1]!.send(chunk(1)), atLeast: last, atMost: last, client: 1 });
    for (const c of clients) c.close();

    let accepted = 0;
    const seen = new Set<number>();
    const mismatches: string[] = [];
    for (const { replies, atLeast, atMost, client } of rounds) {
      expect(replies).toHaveLength(PER_CLIENT);
      for (const reply of replies) {
        const v = reply.config_version;
        seen.add(v);
        const l = limits.get(v);
        if (l === undefined) {
          mismatches.push(`${reply.id}: version ${v} was never activated`);
          continue;
        }
        if (v < atLeast || v > atMost) mismatches.push(`${reply.id}: version ${v} outside [${atLeast}, ${atMost}]`);
        if (reply.status !== "accepted") {
          mismatches.push(`${reply.id}: ${reply.status} ${reply.reason ?? reply.message}`);
          continue;
        }
        accepted++;
        if (reply.order.qty !== l.size) mismatches.push(`${reply.id}: qty ${reply.order.qty} under v${v} whose size is ${l.size}`);
        const atSignal = reply.order.price === prices[client];
        if (atSignal !== (l.offset === 0)) mismatches.push(`${reply.id}: price ${reply.order.price} under v${v} whose offset is ${l.offset}`);
      }
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(accepted).toBe((ROUNDS + 1) * 2 * PER_CLIENT);
    // Each connection's replies come in order, so their versions never go back.
    for (const c of clients) {
      const versions = c.replies.map((r) => r.config_version);
      expect(versions.every((v, i) => i === 0 || v >= versions[i - 1])).toBe(true);
    }
    // Rounds 1, 3, 5, ... and the last have disjoint brackets: at least that many versions were seen.
    expect(seen.size).toBeGreaterThanOrEqual(Math.ceil(ROUNDS / 2) + 1);

    // The server agrees on what was activated, and journaled each order under the version it names.
    const list = await (await fetch(`${admin}/config/versions?limit=100`, { headers: auth })).json();
    expect(list.versions.map((v: any) => v.version).sort((x: number, y: number) => x - y)).toEqual([...limits.keys()].sort((x, y) => x - y));
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    const store = openStoreReader(join(dir, "data", "paper.db"));
    try {
      const orders = store.dayJournal(store.lastDay()!).orders;
      expect(orders).toHaveLength(accepted);
      expect(orders.filter((o) => limits.get(o.configVersion)?.size !== o.qty)).toEqual([]);
    } finally {
      store.close();
    }
  }, 20_000);
});
