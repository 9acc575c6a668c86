/**
 * A load client for the TCP signal ingest: N connections, each pipelining valid signals with a
 * bounded window in flight, measuring each signal's latency from its write to its reply line.
 *
 *   bun bench/load-client.ts [--host 127.0.0.1] [--port 8788] [--clients 4] [--signals 200000]
 *                            [--window 1000] [--symbols-from-config FILE]
 *
 * Signals use the symbols and reference prices of the embedded default config (or FILE): prices
 * within 1% of reference, buy and sell alternating, strength in (0, 1], unique ids, increasing ts.
 * Most will be rejected once the default config's daily limits fill up; the ingest path is the
 * same either way. Loopback only: this is a benchmark, not a way to send orders anywhere.
 */
import type { Socket } from "bun";
import { hostPort, parse, UsageError } from "../src/cli/args.ts";
import { EMBEDDED_DEFAULT, readSource } from "../src/cli/source.ts";
import { prepareText } from "../src/config/prepare.ts";

export interface LoadOptions {
  host?: string;
  port?: number;
  clients?: number;
  signals?: number;
  /** Signals in flight per connection. */
  window?: number;
  /** Symbols and reference prices to draw from; the embedded default config's when absent. */
  universe?: readonly { symbol: string; reference: number }[];
  /** Give up when no reply arrives for this long. */
  stallMs?: number;
}

export interface LoadResult {
  readonly signals: number;
  readonly clients: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** Latency from write to reply, microseconds. */
  readonly p50Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
  /** Replies by status, and rejects by reason ("rejected:max_daily_trades"). */
  readonly outcomes: Record<string, number>;
}

/** Symbols and reference prices of a config text. */
export function universeOf(text: string, format: "toml" | "json"): { symbol: string; reference: number }[] {
  const p = prepareText(text, format);
  if (!p.ok) throw new Error(`config is invalid: ${p.issues.length} issue(s)`);
  return Object.entries(p.document.symbols).map(([symbol, s]) => ({ symbol, reference: s.reference_price }));
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Run the load and return throughput and latency figures. */
export async function runLoad(opts: LoadOptions = {}): Promise<LoadResult> {
  const host = opts.host ?? "127.0.0.1";
  const port = opts.port ?? 8788;
  const clients = Math.max(1, opts.clients ?? 4);
  const total = Math.max(1, opts.signals ?? 200_000);
  const window = Math.max(1, opts.window ?? 1000);
  const stallMs = opts.stallMs ?? 10_000;
  if (!isLoopback(host)) throw new Error(`load client talks to loopback only, not ${host}`);
  const universe = opts.universe ?? universeOf(EMBEDDED_DEFAULT.text, "toml");
  if (universe.length === 0) throw new Error("no symbols to send");

  const latency = new Float64Array(total);
  let replied = 0;
  const outcomes: Record<string, number> = {};
  let ts = Date.now();
  // A small deterministic generator: reruns send the same prices and strengths.
  let seed = 0x2545f491;
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);

  const count = (line: string) => {
    const at = line.indexOf('"status":"');
    const end = line.indexOf('"', at + 10);
    let key = at < 0 ? "unparsed" : line.slice(at + 10, end);
    if (key === "rejected") {
      const r = line.indexOf('"reason":"');
      key += ":" + line.slice(r + 10, line.indexOf('"', r + 10));
    }
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  };

  const t0 = performance.now();
  const conns = Array.from({ length: clients }, (_, k) => {
    const quota = Math.floor(total / clients) + (k < total % clients ? 1 : 0);
    return runConnection(k, quota);
  });

  function runConnection(k: number, quota: number): Promise<void> {
    const sentAt = new Float64Array(quota);
    const ids: string[] = new Array(quota);
    let sent = 0;
    let received = 0;
    let pending: Uint8Array | null = null;
    let text = "";
    const decoder = new TextDecoder();
    const { promise, resolve, reject } = Promise.withResolvers<void>();

    const fill = (s: Socket<undefined>) => {
      if (pending !== null) return;
      let batch = "";
      const now = performance.now();
      while (sent < quota && sent - received < window) {
        const u = universe[(sent * clients + k) % universe.length]!;
        const price = Math.round(u.reference * (1 + (rand() - 0.5) * 0.02) * 100) / 100;
        const id = `L${k}-${sent}`;
        ids[sent] = id;
        sentAt[sent] = now;
        batch += `{"id":"${id}","symbol":"${u.symbol}","side":"${sent % 2 === 0 ? "buy" : "sell"}","strength":${(1 - rand() * 0.99).toFixed(3)},"price":${price},"ts":${++ts}}\n`;
        sent++;
      }
      if (batch.length > 0) write(s, Buffer.from(batch));
    };

    const write = (s: Socket<undefined>, bytes: Uint8Array) => {
      const n = s.write(bytes, 0, bytes.length);
      if (n < 0) return reject(new Error(`connection ${k} closed while sending`));
      pending = n < bytes.length ? bytes.subarray(n) : null;
    };

    let last = performance.now();
    const watchdog = setInterval(() => {
      if (performance.now() - last > stallMs) reject(new Error(`connection ${k}: no reply for ${stallMs} ms (${received}/${quota})`));
    }, 500);

    Bun.connect({
      hostname: host,
      port,
      socket: {
        open: (s) => fill(s),
        data: (s, d) => {
          const now = performance.now();
          last = now;
          text += decoder.decode(d, { stream: true });
          let from = 0;
          let nl: number;
          while ((nl = text.indexOf("\n", from)) !== -1) {
            const line = text.slice(from, nl);
            from = nl + 1;
            if (received >= quota) return reject(new Error(`connection ${k}: more replies than signals`));
            // Replies come in order: the next one must name the next id.
            const id = ids[received]!;
            if (!line.startsWith(id, 7) || line.charCodeAt(7 + id.length) !== 34) return reject(new Error(`connection ${k}: expected ${ids[received]}, got ${line}`));
            latency[replied++] = now - sentAt[received]!;
            ids[received] = "";
            received++;
            count(line);
          }
          text = text.slice(from);
          if (received === quota) {
            s.end();
            return resolve();
          }
          fill(s);
        },
        drain: (s) => {
          if (pending !== null) write(s, pending);
          if (pending === null) fill(s);
        },
        close: () => {
          if (received < quota) reject(new Error(`connection ${k} closed after ${received}/${quota} replies`));
        },
        connectError: (_s, err) => reject(err),
      },
    }).catch(reject);

    return promise.finally(() => clearInterval(watchdog));
  }

  await Promise.all(conns);
  const seconds = (performance.now() - t0) / 1000;
  const sorted = latency.subarray(0, replied).sort();
  const pct = (q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 1000);
  return {
    signals: replied,
    clients,
    seconds,
    perSecond: replied / seconds,
    p50Us: pct(0.5),
    p99Us: pct(0.99),
    maxUs: sorted.length === 0 ? 0 : sorted[sorted.length - 1]! * 1000,
    outcomes,
  };
}

function int(v: string | undefined, flag: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} expects a positive integer, got '${v}'`);
  return n;
}

async function cli(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      host: { type: "string" },
      port: { type: "string" },
      clients: { type: "string" },
      signals: { type: "string" },
      window: { type: "string" },
      "symbols-from-config": { type: "string" },
    },
    0,
  );
  if (values.help) {
    console.log("Usage: bun bench/load-client.ts [--host 127.0.0.1] [--port 8788] [--clients 4] [--signals 200000] [--window 1000] [--symbols-from-config FILE]");
    return 0;
  }
  const host = values.host ?? "127.0.0.1";
  const port = hostPort(`${host}:${values.port ?? "8788"}`, "--port").port;
  if (!isLoopback(host)) throw new UsageError(`--host must be a loopback address, got '${host}'`);
  const file = values["symbols-from-config"];
  const src = file === undefined ? EMBEDDED_DEFAULT : await readSource(file);
  const universe = universeOf(src.text, src.format);
  const clients = int(values.clients, "--clients", 4);
  const signals = int(values.signals, "--signals", 200_000);
  const window = int(values.window, "--window", 1000);
  console.log(`load: ${signals} signals over ${clients} connection(s) to ${host}:${port}, window ${window}, ${universe.length} symbols`);
  const r = await runLoad({ host, port, clients, signals, window, universe });
  console.log(`load: ${r.signals} replies in ${r.seconds.toFixed(2)} s: ${Math.round(r.perSecond).toLocaleString("en-US")} signals/s`);
  console.log(`load: latency write->reply p50 ${r.p50Us.toFixed(0)} us, p99 ${r.p99Us.toFixed(0)} us, max ${r.maxUs.toFixed(0)} us`);
  const outcomes = Object.entries(r.outcomes).sort((a, b) => b[1] - a[1]);
  console.log(`load: outcomes ${outcomes.map(([k, n]) => `${k}=${n}`).join(", ")}`);
  return 0;
}

if (import.meta.main) {
  try {
    process.exit(await cli(process.argv.slice(2)));
  } catch (err) {
    console.error(`load-client: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  }
}
