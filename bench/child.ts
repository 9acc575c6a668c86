/**
 * A benchmark's client in a child process, so the server's event loop is measured alone: the
 * parent sends one JSON command per line on the child's stdin and reads one JSON answer per line
 * from its stdout (`{"error"}` when the command threw). The child is the same bench file run
 * with `--client`.
 */
import type { Subprocess } from "bun";

/** Child side: answer each command line with `handle`'s result, in order, until stdin ends. */
export async function serveCommands(handle: (cmd: unknown) => Promise<unknown>): Promise<void> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of Bun.stdin.stream()) {
    text += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = text.indexOf("\n")) !== -1) {
      const line = text.slice(0, nl);
      text = text.slice(nl + 1);
      let out: string;
      try {
        out = JSON.stringify(await handle(JSON.parse(line)));
      } catch (err) {
        out = JSON.stringify({ error: err instanceof Error ? err.message : String(err) });
      }
      process.stdout.write(out + "\n");
    }
  }
}

/** Parent side: the child process and its command channel. */
export class ChildClient {
  private readonly proc: Subprocess<"pipe", "pipe", "inherit">;
  private readonly reader: { read(): Promise<{ done: boolean; value?: Uint8Array }> };
  private readonly decoder = new TextDecoder();
  private text = "";

  /** Start `script --client` under this Bun. */
  constructor(script: string) {
    this.proc = Bun.spawn({ cmd: [process.execPath, script, "--client"], stdin: "pipe", stdout: "pipe", stderr: "inherit" });
    this.reader = this.proc.stdout.getReader();
  }

  /** Send one command and wait for its answer. */
  async ask<T>(cmd: unknown): Promise<T> {
    this.proc.stdin.write(JSON.stringify(cmd) + "\n");
    this.proc.stdin.flush();
    let nl: number;
    while ((nl = this.text.indexOf("\n")) === -1) {
      const { value, done } = await this.reader.read();
      if (done || value === undefined) throw new Error("client process exited");
      this.text += this.decoder.decode(value, { stream: true });
    }
    const line = this.text.slice(0, nl);
    this.text = this.text.slice(nl + 1);
    const r = JSON.parse(line) as T | { error: string };
    if (typeof r === "object" && r !== null && "error" in r) throw new Error(`client: ${(r as { error: string }).error}`);
    return r as T;
  }

  kill(): void {
    this.proc.kill();
  }

  /** End its input and wait for it to exit; kill it if it does not within a second (a failed run). */
  async close(): Promise<void> {
    this.proc.stdin.end();
    const timer = setTimeout(() => this.proc.kill(), 1000);
    await this.proc.exited;
    clearTimeout(timer);
  }
}
