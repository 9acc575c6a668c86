/**
 * Real processes for the store's end-to-end tests: `keel serve` on a temp data dir (through
 * test/cli/serve-helpers.ts, which kills leftovers and removes the dirs after each test), the
 * read-side commands run to completion, and a streaming signal client that keeps a window of
 * signals in flight and remembers exactly which ones were answered.
 */
import { expect } from "bun:test";
import { exchange, freePort, MAIN, Output, spawn, type Proc } from "../cli/serve-helpers.ts";

export interface Served {
  readonly p: Proc;
  readonly out: Output;
  readonly port: number;
}

/**
 * Start `keel serve --data DIR` on a fresh port and wait until it takes signals: "running" on
 * stdout, then one round trip on the ingest socket (a line that is not JSON: an error reply, no
 * journal row). The round trip matters: serve installs its SIGTERM handler just after printing
 * "running", and Bun only has it in place an event-loop turn later, so a SIGTERM sent on the
 * word alone can kill it outright (exit 143).
 */
export async function startServe(data: string, extra: string[] = []): Promise<Served> {
  const port = freePort();
  const p = spawn(["--data", data, "--ingest", `127.0.0.1:${port}`, ...extra]);
  const out = new Output(p);
  await out.waitFor("running", 20_000);
  const [probe] = await exchange(port, "ready?\n", 1);
  expect(probe.status).toBe("error");
  return { p, out, port };
}

/** SIGTERM, and a clean exit. */
export async function stopServe(s: Served): Promise<void> {
  s.p.kill("SIGTERM");
  expect(await s.p.exited).toBe(0);
}

export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `keel ARGS...` to completion. */
export async function keel(args: string[]): Promise<Ran> {
  const p = Bun.spawn([process.execPath, MAIN, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

/** `keel state --json` on a data dir; fails the test with stderr when it does not exit 0. */
export async function stateOf(data: string): Promise<any> {
  const r = await keel(["state", "--data", data, "--json"]);
  if (r.code !== 0) throw new Error(`keel state exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The seeded PRNG of the generators, so a failing run can be replayed from its seed. */
export { rng } from "../../bench/gen-config.ts";

/** What a signal line said, kept by id. */
export interface SentSignal {
  readonly id: string;
  readonly symbol: string;
  readonly side: "buy" | "sell";
  readonly strength: number;
  readonly price: number;
  readonly ts: number;
}

/**
 * One ingest connection that streams signals pipelined: `window` are written at once, and each
 * reply that comes back lets one more go. Replies arrive in send order on a connection, so the
 * signals answered are exactly the first `replies.length` of `sent`; the rest were in flight.
 */
export class StreamClient {
  readonly sent: SentSignal[] = [];
  readonly replies: any[] = [];
  /** Resolves when the connection is closed (by us or by the server's death). */
  readonly closed: Promise<void>;
  private buf = "";
  private pending: Buffer | null = null;
  private sock: Awaited<ReturnType<typeof Bun.connect>> | null = null;
  private sending = true;
  private readonly done = Promise.withResolvers<void>();

  constructor(
    private readonly next: () => SentSignal,
    private readonly window: number,
    /** Called after each chunk of replies is recorded (the crash test's kill trigger). */
    private readonly onReplies: () => void,
  ) {
    this.closed = this.done.promise;
  }

  async connect(port: number): Promise<void> {
    this.sock = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data: (_s, d) => this.received(d.toString()),
        drain: () => this.flush(),
        close: () => this.done.resolve(),
        error: () => this.done.resolve(),
        connectError: () => this.done.resolve(),
      },
    });
    this.send(this.window);
  }

  /** Stop writing new signals; replies still come in. */
  stopSending(): void {
    this.sending = false;
  }

  /** Close our end. */
  end(): void {
    this.sock?.end();
  }

  /** Signals written whose reply did not arrive. */
  get unanswered(): SentSignal[] {
    return this.sent.slice(this.replies.length);
  }

  private received(text: string): void {
    this.buf += text;
    const lines = this.buf.split("\n");
    this.buf = lines.pop()!;
    let n = 0;
    for (const line of lines) {
      if (line.length === 0) continue;
      this.replies.push(JSON.parse(line));
      n++;
    }
    if (n > 0) {
      this.onReplies();
      this.send(n);
    }
  }

  private send(n: number): void {
    if (!this.sending || this.sock === null) return;
    let text = "";
    for (let k = 0; k < n; k++) {
      const s = this.next();
      this.sent.push(s);
      text += JSON.stringify(s) + "\n";
    }
    const bytes = Buffer.from(text);
    this.pending = this.pending === null ? bytes : Buffer.concat([this.pending, bytes]);
    this.flush();
  }

  /** Write what the socket takes; the rest waits for drain (Bun does not buffer it for us). */
  private flush(): void {
    if (this.pending === null || this.sock === null) return;
    const n = this.sock.write(this.pending);
    if (n < 0) return;
    this.pending = n >= this.pending.length ? null : this.pending.subarray(n);
  }
}
