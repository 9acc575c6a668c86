/** Shared by the serve tests: spawn `keel serve` on fresh ports and data dirs, read its output, talk to its socket. */
import type { Subprocess } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const MAIN = join(import.meta.dir, "../../src/main.ts");

/** A port nobody listens on right now (bound and released). */
export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

export type Proc = Subprocess<"ignore", "pipe", "pipe">;
const procs: Proc[] = [];
const dirs: string[] = [];

/** A fresh temp directory, removed after the test. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "keel-serve-"));
  dirs.push(d);
  return d;
}

/** `keel serve` with the args; a fresh --data directory unless one is given. */
export function spawn(args: string[]): Proc {
  const help = args.includes("--help");
  const data = args.includes("--data") || help ? [] : ["--data", tempDir()];
  // An ephemeral admin port unless the test names one: tests run side by side.
  const admin = args.includes("--admin") || help ? [] : ["--admin", "127.0.0.1:0"];
  const p = Bun.spawn([process.execPath, MAIN, "serve", ...data, ...admin, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  procs.push(p);
  return p;
}

/** Collects a process's stdout as it arrives. */
export class Output {
  text = "";
  private readonly done: Promise<void>;
  constructor(p: Proc) {
    const decoder = new TextDecoder();
    this.done = (async () => {
      for await (const chunk of p.stdout) this.text += decoder.decode(chunk, { stream: true });
    })();
  }

  /** Wait until the output contains `word`; returns it all so far. */
  async waitFor(word: string, ms = 10_000): Promise<string> {
    const deadline = Date.now() + ms;
    while (!this.text.includes(word)) {
      if (Date.now() > deadline) throw new Error(`no '${word}' in: ${this.text}`);
      await Bun.sleep(10);
    }
    return this.text;
  }

  /** Everything, once the stream has ended. */
  async all(): Promise<string> {
    await this.done;
    return this.text;
  }
}

/** Send lines and read `n` reply lines back over one connection. */
export async function exchange(port: number, text: string, n: number): Promise<any[]> {
  let buf = "";
  const { promise, resolve, reject } = Promise.withResolvers<any[]>();
  const sock = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, d) {
        buf += d.toString();
        const lines = buf.split("\n").filter((l) => l.length > 0);
        if (lines.length >= n) resolve(lines.map((l) => JSON.parse(l)));
      },
      close() {
        reject(new Error(`closed with: ${buf}`));
      },
    },
  });
  sock.write(text);
  const timer = setTimeout(() => reject(new Error("no reply")), 20_000);
  try {
    return await promise;
  } finally {
    clearTimeout(timer);
    sock.end();
  }
}

/**
 * Kill what spawn() started and remove what tempDir() made. A module is evaluated once per test
 * run, so a hook registered here would belong to the first file that imports it only: each test
 * file that spawns or makes temp dirs calls `afterEach(cleanup)` itself.
 */
export async function cleanup(): Promise<void> {
  for (const p of procs.splice(0)) {
    if (p.exitCode === null) p.kill("SIGKILL");
    await p.exited;
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
