/**
 * The independent acceptor (acceptor.cjs, jspurefix under Node) as a child process for tests:
 * start it on a free loopback port, read its stats, drop its connection, pause it, kill it, start
 * it again on the same store (so it resumes its sequence numbers). Every process started here is
 * remembered, and `killAll()` (call it from afterAll) kills whatever is still running, so a failed
 * test cannot leave a Node process behind.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

const SCRIPT = join(import.meta.dir, "acceptor.cjs");
const running = new Set<ChildProcess>();

export interface AcceptorStats {
  readonly orders: number;
  readonly cancels: number;
  readonly symbols: string[];
  readonly seq: { readonly sent: number; readonly received: number } | null;
}

export class Acceptor {
  private lines: string[] = [];
  private waiters: ((line: string) => void)[] = [];
  stderr = "";

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {}

  /** Start `node acceptor.cjs` on `storeDir`; resolves once it listens. */
  static async start(storeDir: string, opts: { port?: number; heartbeatS?: number } = {}): Promise<Acceptor> {
    const args = [SCRIPT, "--store", storeDir, "--heartbeat", String(opts.heartbeatS ?? 30)];
    if (opts.port !== undefined) args.push("--port", String(opts.port));
    const child = spawn("node", args, { stdio: ["pipe", "pipe", "pipe"] });
    running.add(child);
    child.on("exit", () => running.delete(child));
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += String(d)));
    let buf = "";
    let onLine: (line: string) => void = () => {};
    child.stdout!.on("data", (d) => {
      buf += String(d);
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        onLine(line);
      }
    });
    const port = await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`the acceptor did not start within 10 s: ${stderr}`)), 10_000);
      child.on("exit", (code) => {
        clearTimeout(t);
        reject(new Error(`the acceptor exited with ${code}: ${stderr}`));
      });
      onLine = (line) => {
        const m = /^listening (\d+)$/.exec(line);
        if (m) {
          clearTimeout(t);
          resolve(Number(m[1]));
        }
      };
    });
    const a = new Acceptor(child, port);
    a.stderr = stderr;
    child.stderr!.on("data", (d) => (a.stderr += String(d)));
    onLine = (line) => {
      const w = a.waiters.shift();
      if (w) w(line);
      else a.lines.push(line);
    };
    return a;
  }

  private send(cmd: string): void {
    this.child.stdin!.write(`${cmd}\n`);
  }

  private next(): Promise<string> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** What it has seen, and its sequence numbers. */
  async stats(): Promise<AcceptorStats> {
    this.send("stats");
    for (;;) {
      const line = await this.next();
      if (line.startsWith("stats ")) return JSON.parse(line.slice(6)) as AcceptorStats;
    }
  }

  /** Destroy the session's socket, without a Logout: a network fault. */
  drop(): void {
    this.send("drop");
  }

  pause(): void {
    this.child.kill("SIGSTOP");
  }

  resume(): void {
    this.child.kill("SIGCONT");
  }

  /** kill -9, and wait for the process to be gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((r) => this.child.once("exit", () => r()));
    this.child.kill("SIGKILL");
    await gone;
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
