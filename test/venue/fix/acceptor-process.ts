/**
 * The independent acceptor (acceptor.cjs, jspurefix under Node) as a child process for tests:
 * start it on a free loopback port, read its stats, drop its connection, pause it, kill it, and
 * start another on the same port and store (so it resumes the session's sequence numbers).
 *
 * Node, jspurefix and its dictionary take about a second to load, so `prepare()` loads a process
 * that listens only when told (`listen()`): a test prepares the replacement of an acceptor it is
 * going to kill while other things happen, and the restart itself takes milliseconds.
 *
 * Every process started here is remembered, and `killAll()` (call it from afterAll) kills
 * whatever is still running, so a failing test cannot leave a Node process behind.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

const SCRIPT = join(import.meta.dir, "acceptor.cjs");
const running = new Set<ChildProcess>();

export interface AcceptorStats {
  readonly orders: number;
  readonly cancels: number;
  readonly symbols: string[];
  /** The last sequence numbers the acceptor sent and received. */
  readonly seq: { readonly sent: number; readonly received: number } | null;
}

export class Acceptor {
  private lines: string[] = [];
  private waiters: ((line: string) => void)[] = [];
  private exited = false;
  stderr = "";
  port = 0;

  private constructor(readonly child: ChildProcess) {
    child.on("exit", () => {
      this.exited = true;
      running.delete(child);
      for (const w of this.waiters.splice(0)) w(`exited ${this.stderr}`);
    });
    child.stderr!.on("data", (d) => (this.stderr += String(d)));
    let buf = "";
    child.stdout!.on("data", (d) => {
      buf += String(d);
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const w = this.waiters.shift();
        if (w) w(line);
        else this.lines.push(line);
      }
    });
  }

  /** Load an acceptor on `storeDir` that listens when `listen()` is called. */
  static async prepare(storeDir: string, opts: { port?: number } = {}): Promise<Acceptor> {
    const args = [SCRIPT, "--store", storeDir, "--wait", "1"];
    if (opts.port !== undefined) args.push("--port", String(opts.port));
    const child = spawn("node", args, { stdio: ["pipe", "pipe", "pipe"] });
    running.add(child);
    const a = new Acceptor(child);
    await a.expect(/^ready$/, 15_000);
    return a;
  }

  /** Start one and make it listen. */
  static async start(storeDir: string, opts: { port?: number } = {}): Promise<Acceptor> {
    const a = await Acceptor.prepare(storeDir, opts);
    await a.listen();
    return a;
  }

  /** Open the listener; resolves with its port. */
  async listen(): Promise<number> {
    this.send("listen");
    const m = await this.expect(/^listening (\d+)$/, 5_000);
    this.port = Number(m[1]);
    return this.port;
  }

  /** What it has seen, and its sequence numbers. */
  async stats(): Promise<AcceptorStats> {
    this.send("stats");
    const m = await this.expect(/^stats (.*)$/, 5_000);
    return JSON.parse(m[1]!) as AcceptorStats;
  }

  /** Destroy the session's socket, without a Logout: a network fault. */
  drop(): void {
    this.send("drop");
  }

  /** Write bytes that are not valid FIX into the session's socket (see acceptor.cjs). */
  garble(): void {
    this.send("garble");
  }

  /** SIGSTOP: the process stays connected and says nothing. */
  pause(): void {
    this.child.kill("SIGSTOP");
  }

  resume(): void {
    this.child.kill("SIGCONT");
  }

  /** kill -9, and wait for the process to be gone. */
  async kill(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((r) => this.child.once("exit", () => r()));
    this.child.kill("SIGKILL");
    await gone;
  }

  private send(cmd: string): void {
    this.child.stdin!.write(`${cmd}\n`);
  }

  /** The next stdout line matching `re` (others are skipped). */
  private async expect(re: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exited) throw new Error(`the acceptor exited: ${this.stderr}`);
      const line = await this.nextLine(deadline - Date.now());
      if (line === null) throw new Error(`the acceptor said nothing matching ${re} within ${timeoutMs} ms: ${this.stderr}`);
      const m = re.exec(line);
      if (m) return m;
    }
  }

  private nextLine(ms: number): Promise<string | null> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        const k = this.waiters.indexOf(w);
        if (k >= 0) this.waiters.splice(k, 1);
        resolve(null);
      }, Math.max(0, ms));
      const w = (line: string) => {
        clearTimeout(t);
        resolve(line);
      };
      this.waiters.push(w);
    });
  }
}

/** Kill every acceptor still running (afterAll). */
export function killAll(): void {
  for (const c of running) {
    c.kill("SIGCONT");
    c.kill("SIGKILL");
  }
  running.clear();
}
