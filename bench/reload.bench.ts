/**
 * Hot reload end to end (issue #5, "Benchmarks"):
 *   bun bench/reload.bench.ts
 *
 *   1. PUT /config of a 500-symbol document to active, over loopback HTTP against a real server:
 *      median and p99 over 200 PUTs alternating two documents that differ in one limit (each PUT
 *      a real activation, never `unchanged`). Target: median <= 5 ms.
 *   2. PATCH /config/symbols/{symbol} of one symbol (reference_price toggled) at 500 and at
 *      100,000 symbols. Target: median <= 1 ms, and the same at 100k as at 500 (the ratio is
 *      printed). The first PATCH after the server started is timed and printed on its own.
 *   3. The reload storm: a 10,001-symbol PUT every 100 ms while signals stream over TCP, against
 *      the same load without reloads, phases interleaved (S C, C S, ...). Decision latency is
 *      read two ways: the engine's own decide() histogram (engine.latency, reset per phase) and
 *      the load client's write->reply latency over TCP, which also sees every stall of the
 *      server's event loop. Target: p99 within 1.25x of the calm phases. A third kind of phase,
 *      POST /config/validate of the same document every 100 ms (prepared on the Worker and
 *      diffed like a PUT, never activated), splits the storm's cost into preparing and
 *      activating. The storm document leaves some keys out to fit the API's 1 MiB body limit
 *      (reload-cases.ts stormDocument).
 * Baseline in the same run: GET /health over the same loopback connection (the HTTP floor).
 *
 * The servers are assembled in this process as `keel serve` assembles them (reload-cases.ts:
 * startServer: store on a temp file, Engine on the journal, ConfigWorker with its default
 * thresholds, Control, createApp on Bun.serve, startIngest). Every HTTP request and the TCP load
 * come from ONE child process (this file with --client, driven over stdin/stdout, as in
 * serve.bench.ts), so the server's loop does only server work. The figures are therefore
 * cross-process round trips on a 2-core machine shared by the server's thread, the config
 * Worker's thread and the client: a floor for the latency an operator sees, not a capacity.
 * The server side also times each stage of every write (reload-cases.ts: probe), and after the
 * servers are gone the pieces of `prepare` are timed one by one on this thread.
 *
 * Bounded: storm phases are sized from a calibration run, and a watchdog ends the process
 * (cleaning up) after WATCHDOG_MS.
 */
import { ChildClient, serveCommands } from "./child.ts";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_BODY_BYTES } from "../src/api/app.ts";
import { canonicalize } from "../src/config/canonical.ts";
import { compile } from "../src/config/compile.ts";
import { diff } from "../src/config/diff.ts";
import { parseText } from "../src/config/load.ts";
import { resolve } from "../src/config/resolve.ts";
import { checkRules } from "../src/config/rules.ts";
import { Document, type ConfigDocument, type ConfigInput } from "../src/config/schema.ts";
import { fromParts, toParts } from "../src/config/transfer.ts";
import { ACCEPTED } from "../src/engine/reasons.ts";
import { runLoad, type LoadOptions, type LoadResult } from "./load-client.ts";
import {
  ADMIN_TOKEN, mean, median, probe, quantile, reloadDocument, STAGES, startServer, stormDocument, syncBlock, universeOf,
  type Probe, type Server, type WriteRow,
} from "./reload-cases.ts";

const PUT_SYMBOLS = 500;
const PUT_WARMUP = 30;
const PUT_N = 200;
const PATCH_WARMUP = 30;
const PATCH_N = 200;
const PATCH_100K = 100_000;
/** Odd, so the load client's rotation alternates buy and sell on every symbol (serve-cases.ts). */
const STORM_SYMBOLS = 10_001;
const STORM_EVERY_MS = 100;
/** Rounds of storm, calm and prepare-only phases (rotated), after a warm-up. */
const STORM_ROUNDS = 3;
const PHASE_SECONDS = 2.5;
const LOAD = { clients: 2, window: 32 };
const WATCHDOG_MS = 150_000;

const PUT_TARGET_MS = 5;
const PATCH_TARGET_MS = 1;
const STORM_TARGET = 1.25;

// ---------------------------------------------------------------------------------------------
// Client side: `bun bench/reload.bench.ts --client` reads one JSON command per stdin line and
// answers with one JSON line on stdout.
// ---------------------------------------------------------------------------------------------

interface HttpCmd {
  readonly op: "http";
  readonly url: string;
  readonly method: "GET" | "PUT" | "PATCH";
  readonly path: string;
  /** Bodies, used in turn (files are read once, as bytes). */
  readonly files?: readonly string[];
  readonly bodies?: readonly string[];
  readonly n: number;
  /** Which alternation this is: the next body index is kept per key across commands. */
  readonly key: string;
}

interface StormCmd {
  readonly op: "storm";
  readonly load: LoadOptions;
  /** The document whose symbols and reference prices the signals use. */
  readonly docFile: string;
  /** PUT these in turn every everyMs while the load runs; null: no reloads. */
  readonly put: null | { readonly url: string; readonly method: "PUT" | "POST"; readonly path: string; readonly files: readonly string[]; readonly everyMs: number; readonly key: string };
}

interface HttpResult {
  /** Round trip per request, ms: from fetch() to the whole response body read. */
  readonly ms: number[];
  readonly statuses: Record<string, number>;
  /** Writes answered `unchanged: true` (no activation). */
  unchanged: number;
  /** Change-list length per write. */
  readonly changes: number[];
}

interface StormResult {
  readonly load: LoadResult;
  readonly puts: HttpResult;
}

async function clientMain(): Promise<void> {
  const bytes = new Map<string, Uint8Array<ArrayBuffer>>();
  const universes = new Map<string, { symbol: string; reference: number }[]>();
  const next = new Map<string, number>();
  const body = async (f: string) => {
    let b = bytes.get(f);
    if (b === undefined) bytes.set(f, (b = await Bun.file(f).bytes()));
    return b;
  };
  const blank = (): HttpResult => ({ ms: [], statuses: {}, unchanged: 0, changes: [] });

  /** One request; its round trip and outcome go into `out`. */
  const send = async (url: string, method: string, payload: Uint8Array<ArrayBuffer> | string | null, out: HttpResult) => {
    const headers: Record<string, string> = { authorization: `Bearer ${ADMIN_TOKEN}` };
    if (payload !== null) headers["content-type"] = "application/json";
    const t = performance.now();
    const r = await fetch(url, payload === null ? { method, headers } : { method, headers, body: payload });
    const text = await r.text();
    out.ms.push(performance.now() - t);
    out.statuses[r.status] = (out.statuses[r.status] ?? 0) + 1;
    if (method !== "GET" && r.status === 200) {
      const j = JSON.parse(text) as { unchanged?: boolean; changes?: unknown[] };
      if (j.unchanged === true) out.unchanged++;
      out.changes.push(j.changes?.length ?? 0);
    }
  };

  const http = async (c: HttpCmd): Promise<HttpResult> => {
    const out = blank();
    const payloads: (Uint8Array<ArrayBuffer> | string)[] = c.files ? await Promise.all(c.files.map(body)) : [...(c.bodies ?? [])];
    for (let i = 0; i < c.n; i++) {
      let payload: Uint8Array<ArrayBuffer> | string | null = null;
      if (payloads.length > 0) {
        const k = next.get(c.key) ?? 0;
        next.set(c.key, k + 1);
        payload = payloads[k % payloads.length]!;
      }
      await send(c.url + c.path, c.method, payload, out);
    }
    return out;
  };

  const storm = async (c: StormCmd): Promise<StormResult> => {
    let universe = universes.get(c.docFile);
    if (universe === undefined) {
      universe = universeOf(JSON.parse(await Bun.file(c.docFile).text()) as ConfigInput);
      universes.set(c.docFile, universe);
    }
    const puts = blank();
    let stopped = false;
    let loop: Promise<void> = Promise.resolve();
    const p = c.put;
    if (p !== null) {
      const payloads = await Promise.all(p.files.map(body));
      loop = (async () => {
        // One PUT every everyMs (the next waits if one takes longer): a steady cadence of reloads.
        let due = performance.now();
        while (!stopped) {
          const k = next.get(p.key) ?? 0;
          next.set(p.key, k + 1);
          await send(p.url + p.path, p.method, payloads[k % payloads.length]!, puts);
          due += p.everyMs;
          const wait = due - performance.now();
          if (wait > 0) await Bun.sleep(wait);
          else due = performance.now();
        }
      })();
    }
    try {
      const load = await runLoad({ ...c.load, universe });
      return { load, puts };
    } finally {
      stopped = true;
      await loop;
    }
  };

  await serveCommands((cmd) => ((cmd as HttpCmd | StormCmd).op === "http" ? http(cmd as HttpCmd) : storm(cmd as StormCmd)));
}

/** The client in a child process, one command at a time. */
class CommandChild extends ChildClient {
  constructor() {
    super(import.meta.path);
  }

  http(c: Omit<HttpCmd, "op">): Promise<HttpResult> {
    return this.ask<HttpResult>({ op: "http", ...c });
  }

  storm(c: Omit<StormCmd, "op">): Promise<StormResult> {
    return this.ask<StormResult>({ op: "storm", ...c });
  }
}

// ---------------------------------------------------------------------------------------------
// Server side.
// ---------------------------------------------------------------------------------------------

interface Case {
  readonly name: string;
  readonly symbols: number;
  readonly bodyBytes: number;
  readonly client: HttpResult;
  readonly rows: WriteRow[];
}

/**
 * storm: PUT the 10k document every 100 ms (each a new version); calm: no writes; validate:
 * POST /config/validate of the same document every 100 ms, which prepares it on the Worker and
 * diffs it exactly as a PUT does but activates nothing (no SQLite, no engine.load): the share of
 * the storm's cost that is preparing rather than activating.
 */
type Kind = "storm" | "calm" | "validate";

interface Phase {
  readonly kind: Kind;
  readonly load: LoadResult;
  readonly puts: HttpResult;
  readonly rows: WriteRow[];
  readonly decide: { count: number; p50: number; p99: number; p999: number; max: number; mean: number };
  readonly accepted: number;
}

interface Component {
  readonly symbols: number;
  readonly stages: Record<string, number[]>;
}

const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "-");
const pad = (s: string, n: number) => s.padStart(n);

function statusText(s: Record<string, number>): string {
  return Object.entries(s).map(([k, n]) => `${k}x${n}`).join(" ");
}

/** Time the pieces of `prepare` on this thread, `reps` times each (median reported). */
function components(symbols: number, from: ConfigInput, to: ConfigInput, reps: number): Component {
  const stages: Record<string, number[]> = {};
  const add = (k: string, ms: number) => (stages[k] ??= []).push(ms);
  const fromDoc = Document.parse(from) as ConfigDocument;
  const text = JSON.stringify(to);
  for (let r = 0; r < reps; r++) {
    let t = performance.now();
    const parsed = parseText(text, "json");
    add("JSON parse of the body", performance.now() - t);
    if (!parsed.ok) throw new Error("component doc does not parse");
    t = performance.now();
    const z = Document.safeParse(parsed.value, { reportInput: true });
    add("zod Document.safeParse", performance.now() - t);
    if (!z.success) throw new Error("component doc invalid");
    const doc = z.data;
    t = performance.now();
    const res = resolve(doc);
    add("resolve (inheritance)", performance.now() - t);
    t = performance.now();
    checkRules(doc, res);
    add("checkRules", performance.now() - t);
    t = performance.now();
    const { hash, canonical } = canonicalize(doc);
    add("canonicalize + sha256", performance.now() - t);
    t = performance.now();
    const snap = compile(doc, hash, res);
    add("compile", performance.now() - t);
    t = performance.now();
    const changes = diff(fromDoc, doc);
    add(`diff vs active (${changes.length} change)`, performance.now() - t);
    t = performance.now();
    structuredClone(doc);
    add("structuredClone (a whole-document copy)", performance.now() - t);
    t = performance.now();
    fromParts(toParts(snap));
    add("fromParts (index Map rebuild)", performance.now() - t);
    t = performance.now();
    JSON.parse(canonical);
    add("JSON.parse canonical (lazy document)", performance.now() - t);
  }
  return { symbols, stages };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "keel-reload-bench-docs-"));
  const servers = new Set<Server>();
  let child: CommandChild | null = null;
  const cleanup = () => {
    child?.kill();
    for (const s of servers) rmSync(s.dir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  };
  const watchdog = setTimeout(() => {
    console.error(`reload.bench: still running after ${WATCHDOG_MS / 1000} s; giving up`);
    cleanup();
    process.exit(1);
  }, WATCHDOG_MS);
  watchdog.unref();
  const open = (doc: ConfigInput, ingest = false) => {
    const s = startServer(doc, { ingest });
    servers.add(s);
    return s;
  };
  const close = async (s: Server) => {
    await s.close();
    servers.delete(s);
  };
  const file = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };

  let failed = false;
  const cases: Case[] = [];
  const probes: Probe[] = [];
  try {
    child = new CommandChild();
    console.log(`keel hot reload end to end: ${availableParallelism()} cores; server (engine thread + config Worker) in this process, every client in one child process\n`);

    // ------------------------------------------------------------------ 1, 2a: 500 symbols
    const a500 = reloadDocument(PUT_SYMBOLS, "A");
    const b500 = reloadDocument(PUT_SYMBOLS, "B");
    const fa500 = file("a500.json", JSON.stringify(a500));
    const fb500 = file("b500.json", JSON.stringify(b500));
    const s1 = open(a500);
    const p1 = probe(s1);
    probes.push(p1);
    await child.http({ url: s1.url, method: "GET", path: "/health", n: 50, key: "health" });
    const floor = await child.http({ url: s1.url, method: "GET", path: "/health", n: PUT_N, key: "health" });
    cases.push({ name: "GET /health (floor)", symbols: PUT_SYMBOLS, bodyBytes: 0, client: floor, rows: [] });

    // The server starts on A: B, A, B, ... each one a new version.
    const put500 = { url: s1.url, method: "PUT" as const, path: "/config", files: [fb500, fa500], key: "put500" };
    await child.http({ ...put500, n: PUT_WARMUP });
    p1.take();
    const puts = await child.http({ ...put500, n: PUT_N });
    cases.push({ name: "PUT /config", symbols: PUT_SYMBOLS, bodyBytes: JSON.stringify(b500).length, client: puts, rows: p1.take() });

    const sym = "S000007";
    const price500 = a500.symbols![sym]!.reference_price;
    const patchBodies = (p: number) => [JSON.stringify({ reference_price: Math.round((p + 1) * 100) / 100 }), JSON.stringify({ reference_price: p })];
    const patch500 = { url: s1.url, method: "PATCH" as const, path: `/config/symbols/${sym}`, bodies: patchBodies(price500), key: "patch500" };
    await child.http({ ...patch500, n: PATCH_WARMUP });
    p1.take();
    const patches500 = await child.http({ ...patch500, n: PATCH_N });
    cases.push({ name: "PATCH /config/symbols/S", symbols: PUT_SYMBOLS, bodyBytes: patch500.bodies[0]!.length, client: patches500, rows: p1.take() });
    await close(s1);

    // ------------------------------------------------------------------ 2b: 100,000 symbols
    Bun.gc(true);
    const d100k = reloadDocument(PATCH_100K, "A");
    const s2 = open(d100k);
    const p2 = probe(s2);
    probes.push(p2);
    const price100k = d100k.symbols![sym]!.reference_price;
    const patch100k = { url: s2.url, method: "PATCH" as const, path: `/config/symbols/${sym}`, bodies: patchBodies(price100k), key: "patch100k" };
    // The first patch after a whole version was activated builds the patch index (config/patchable.ts): shown on its own.
    const first100k = await child.http({ ...patch100k, n: 1 });
    await child.http({ ...patch100k, n: PATCH_WARMUP });
    p2.take();
    const patches100k = await child.http({ ...patch100k, n: PATCH_N });
    const start100k = s2.startMs;
    cases.push({ name: "PATCH /config/symbols/S", symbols: PATCH_100K, bodyBytes: patch100k.bodies[0]!.length, client: patches100k, rows: p2.take() });
    await close(s2);
    Bun.gc(true);

    // ------------------------------------------------------------------ 3: the reload storm
    const stormA = stormDocument(STORM_SYMBOLS, "A");
    const stormB = stormDocument(STORM_SYMBOLS, "B");
    const fsa = file("storm-a.json", stormA.text);
    const fsb = file("storm-b.json", stormB.text);
    const s3 = open(stormA.doc, true);
    const p3 = probe(s3);
    probes.push(p3);
    const latency = s3.engine.latency!;
    const writer = {
      storm: { url: s3.url, method: "PUT" as const, path: "/config", files: [fsb, fsa], everyMs: STORM_EVERY_MS, key: "storm" },
      validate: { url: s3.url, method: "POST" as const, path: "/config/validate", files: [fsb, fsa], everyMs: STORM_EVERY_MS, key: "validate" },
      calm: null,
    };
    const phase = async (kind: Kind, signals: number): Promise<Phase> => {
      latency.reset();
      p3.take();
      const acc0 = s3.engine.outcomes[ACCEPTED]!;
      const load: LoadOptions = { host: "127.0.0.1", port: s3.ingestPort, clients: LOAD.clients, window: LOAD.window, signals };
      const r = await child!.storm({ load, docFile: fsa, put: writer[kind] });
      const decide = { count: latency.count, p50: latency.quantile(0.5), p99: latency.quantile(0.99), p999: latency.quantile(0.999), max: latency.max, mean: latency.mean() };
      return { kind, load: r.load, puts: r.puts, rows: p3.take(), decide, accepted: (s3.engine.outcomes[ACCEPTED]! - acc0) / Math.max(1, decide.count) };
    };
    // Calibrate the phase length on a calm run (also the warm-up of the ingest path).
    const cal = await phase("calm", 40_000);
    const phaseSignals = Math.max(20_000, Math.min(1_000_000, Math.round((cal.load.perSecond * PHASE_SECONDS) / 1000) * 1000));
    await phase("storm", Math.round(phaseSignals / 2));
    await phase("validate", Math.round(phaseSignals / 4));
    const phases: Phase[] = [];
    // A Latin square: each kind first, second and third once, so drift over the run spreads evenly.
    const kinds: Kind[] = ["storm", "calm", "validate"];
    for (let k = 0; k < STORM_ROUNDS; k++) {
      const order = [0, 1, 2].map((j) => kinds[(j + k) % 3]!);
      for (const kind of order) phases.push(await phase(kind, phaseSignals));
    }
    const stormLog = s3.log.length;
    await close(s3);
    Bun.gc(true);

    // ------------------------------------------------------------------ pieces of prepare, offline
    const comps = [
      components(PUT_SYMBOLS, a500, b500, 15),
      components(STORM_SYMBOLS, stormA.doc, stormB.doc, 5),
      components(PATCH_100K, d100k, reloadDocument(PATCH_100K, "B"), 2),
    ];

    // ================================================================== report
    const stormPhases = phases.filter((p) => p.kind === "storm");
    const stormRows = stormPhases.flatMap((p) => p.rows);
    const stormClient: HttpResult = { ms: stormPhases.flatMap((p) => p.puts.ms), statuses: {}, unchanged: stormPhases.reduce((n, p) => n + p.puts.unchanged, 0), changes: stormPhases.flatMap((p) => p.puts.changes) };
    for (const p of stormPhases) for (const [k, n] of Object.entries(p.puts.statuses)) stormClient.statuses[k] = (stormClient.statuses[k] ?? 0) + n;
    cases.push({ name: "PUT /config (storm)", symbols: STORM_SYMBOLS, bodyBytes: stormB.text.length, client: stormClient, rows: stormRows });

    console.log("1-2. config writes over loopback HTTP (client: round trip in the child process; server: Bun.serve fetch -> Response)");
    console.log(
      `${"case".padEnd(24)} | ${pad("symbols", 7)} | ${pad("body B", 9)} | ${pad("n", 4)} | ${pad("median ms", 9)} | ${pad("p99 ms", 8)} | ${pad("max ms", 8)} | ${pad("server med", 10)} | ${pad("changes", 7)} | statuses`,
    );
    for (const c of cases) {
      const changes = c.client.changes.length === 0 ? "-" : `${Math.min(...c.client.changes)}-${Math.max(...c.client.changes)}`;
      console.log(
        `${c.name.padEnd(24)} | ${pad(c.symbols.toLocaleString("en-US"), 7)} | ${pad(c.bodyBytes.toLocaleString("en-US"), 9)} | ${pad(String(c.client.ms.length), 4)} | ` +
          `${pad(fmt(median(c.client.ms)), 9)} | ${pad(fmt(quantile(c.client.ms, 0.99)), 8)} | ${pad(fmt(Math.max(...c.client.ms)), 8)} | ` +
          `${pad(c.rows.length === 0 ? "-" : fmt(median(c.rows.map((r) => r.server))), 10)} | ${pad(changes, 7)} | ${statusText(c.client.statuses)}${c.client.unchanged > 0 ? ` (${c.client.unchanged} unchanged!)` : ""}`,
      );
      const writes = c.name !== "GET /health (floor)";
      if (writes && (c.client.unchanged > 0 || Object.keys(c.client.statuses).some((k) => k !== "200"))) {
        console.log("  !! every write must be a real activation (200, not unchanged)");
        failed = true;
      }
    }
    const [, put500c, patch500c, patch100kc] = cases as [Case, Case, Case, Case];
    const floorMed = median(floor.ms);
    const putMed = median(put500c.client.ms);
    const pMed500 = median(patch500c.client.ms);
    const pMed100k = median(patch100kc.client.ms);
    console.log(`\n  PUT ${PUT_SYMBOLS} symbols: median ${fmt(putMed)} ms (${fmt(putMed / floorMed, 1)}x the GET /health floor of ${fmt(floorMed, 3)} ms)  target <= ${PUT_TARGET_MS} ms: ${putMed <= PUT_TARGET_MS ? "met" : "NOT met"}`);
    console.log(`  PATCH at ${PUT_SYMBOLS}: median ${fmt(pMed500)} ms  target <= ${PATCH_TARGET_MS} ms: ${pMed500 <= PATCH_TARGET_MS ? "met" : "NOT met"}`);
    console.log(
      `  PATCH at ${PATCH_100K.toLocaleString("en-US")}: median ${fmt(pMed100k)} ms  target <= ${PATCH_TARGET_MS} ms: ${pMed100k <= PATCH_TARGET_MS ? "met" : "NOT met"}; ` +
        `100k/500 = ${fmt(pMed100k / pMed500, 0)}x (target ~1x: ${pMed100k / pMed500 <= 1.25 ? "met" : "NOT met"})`,
    );
    console.log(`  (the first PATCH after the 100k server started took ${fmt(first100k.ms[0]!)} ms)`);
    console.log(`  (the 100k server took ${fmt(start100k / 1000, 1)} s to start: prepare, version 1 in SQLite, engine, worker)`);

    console.log("\n   server-side stages, ms per write, median / p99 (reload-cases.ts probe)");
    const shown = cases.filter((c) => c.rows.length > 0);
    const W = 17;
    const cell = (xs: number[]) => pad(`${fmt(median(xs), 3)} / ${fmt(quantile(xs, 0.99), 2)}`, W);
    console.log(`${"stage".padEnd(42)} | ${shown.map((c) => pad(`${c.name.startsWith("PUT") ? "PUT" : "PATCH"} ${c.symbols >= 1000 ? `${Math.round(c.symbols / 1000)}k` : c.symbols}`, W)).join(" | ")}`);
    const label: Record<string, string> = {
      httpIn: "route + auth + body read (PATCH: + parse)",
      queue: "write queue hop",
      breaker: "circuit breaker",
      prepare: "prepare (parse/clone + below)",
      inline: "  of which this thread (prepare + diff, or patch plan)",
      worker: "  of which Worker round trip",
      restartOnly: "restartOnly (lazy JSON.parse)",
      sqlite: "createAndActivate (SQLite)",
      sqliteReads: "  of which whole-row reads (3 per write)",
      load: "engine.load / engine.patch (swap)",
      setActive: "worker.setActive (post canonical)",
      publish: "bus.publish",
      respond: "JSON response",
      server: "server total",
    };
    for (const st of STAGES) {
      console.log(`${(label[st] ?? st).padEnd(42)} | ${shown.map((c) => cell(c.rows.map((r) => r[st] as number))).join(" | ")}`);
    }
    console.log(`${"on the engine thread (server - Worker)".padEnd(42)} | ${shown.map((c) => cell(c.rows.map((r) => r.server - r.worker))).join(" | ")}`);
    console.log(`${"longest sync block (restartOnly..publish)".padEnd(42)} | ${shown.map((c) => cell(c.rows.map(syncBlock))).join(" | ")}`);
    console.log(`${"changes per write".padEnd(42)} | ${shown.map((c) => pad(String(median(c.rows.map((r) => r.changes))), W)).join(" | ")}`);
    const missing = [...new Set(probes.flatMap((p) => p.missing))];
    if (missing.length > 0) console.log(`  (not found, read as 0: ${missing.join(", ")})`);

    console.log("\n   pieces of prepare, timed one by one on this thread, median ms (what the Worker or the inline path does)");
    const names = Object.keys(comps[0]!.stages);
    const compLabel = (n: string) => n.replace(/ \(\d+ change\)/, "");
    console.log(`${"piece".padEnd(40)} | ${comps.map((c) => pad(c.symbols.toLocaleString("en-US"), 9)).join(" | ")}`);
    for (const n of names) {
      const key = (c: Component) => Object.keys(c.stages).find((k) => compLabel(k) === compLabel(n))!;
      console.log(`${n.padEnd(40)} | ${comps.map((c) => pad(fmt(median(c.stages[key(c)]!), 2), 9)).join(" | ")}`);
    }
    const sum = (c: Component) => names.slice(0, 7).reduce((a, n) => a + median(c.stages[Object.keys(c.stages).find((k) => compLabel(k) === compLabel(n))!]!), 0);
    console.log(`${"parse..diff (a whole-document prepare)".padEnd(40)} | ${comps.map((c) => pad(fmt(sum(c), 2), 9)).join(" | ")}`);

    // ---------------------------------------------------------------- storm
    console.log(
      `\n3. reload storm: ${STORM_SYMBOLS.toLocaleString("en-US")}-symbol PUT (${stormB.text.length.toLocaleString("en-US")} B JSON, ${stormA.trimmed} "strategy" keys left out to fit ${MAX_BODY_BYTES.toLocaleString("en-US")} B) every ${STORM_EVERY_MS} ms ` +
        `while ${LOAD.clients} TCP connections x window ${LOAD.window} stream signals; ${phaseSignals.toLocaleString("en-US")} signals per phase (calibration: ${Math.round(cal.load.perSecond).toLocaleString("en-US")}/s calm)`,
    );
    console.log(
      `${"phase".padEnd(8)} | ${pad("s", 5)} | ${pad("signals/s", 9)} | ${pad("accepted", 8)} | ${pad("reply p50 us", 12)} | ${pad("reply p99 us", 12)} | ${pad("reply max us", 12)} | ` +
        `${pad("decide p50 ns", 13)} | ${pad("decide p99 ns", 13)} | ${pad("p99.9 ns", 9)} | ${pad("max ns", 9)} | ${pad("writes", 6)} | ${pad("write mean ms", 13)} | ${pad("on thread ms", 12)} | ${pad("max block ms", 12)}`,
    );
    for (const p of phases) {
      const storm = p.kind === "storm";
      console.log(
        `${p.kind.padEnd(8)} | ${pad(fmt(p.load.seconds, 1), 5)} | ${pad(Math.round(p.load.perSecond).toLocaleString("en-US"), 9)} | ${pad(fmt(p.accepted * 100, 1) + "%", 8)} | ` +
          `${pad(fmt(p.load.p50Us, 0), 12)} | ${pad(fmt(p.load.p99Us, 0), 12)} | ${pad(fmt(p.load.maxUs, 0), 12)} | ` +
          `${pad(String(p.decide.p50), 13)} | ${pad(String(p.decide.p99), 13)} | ${pad(String(p.decide.p999), 9)} | ${pad(String(p.decide.max), 9)} | ` +
          `${pad(p.kind === "calm" ? "-" : String(p.puts.ms.length), 6)} | ${pad(p.kind === "calm" ? "-" : fmt(mean(p.puts.ms), 1), 13)} | ` +
          `${pad(storm ? fmt(mean(p.rows.map((r) => r.server - r.worker)), 1) : "-", 12)} | ${pad(storm ? fmt(Math.max(...p.rows.map(syncBlock)), 1) : "-", 12)}`,
      );
    }
    const S = phases.filter((p) => p.kind === "storm");
    const C = phases.filter((p) => p.kind === "calm");
    const V = phases.filter((p) => p.kind === "validate");
    const ratio = (f: (p: Phase) => number, over: Phase[] = S) => median(over.map(f)) / median(C.map(f));
    for (const p of [...S, ...V]) {
      if (Object.keys(p.puts.statuses).some((k) => k !== "200") || p.puts.unchanged > 0) {
        console.log(`  !! a ${p.kind} phase had writes that were not real activations/validations: ${statusText(p.puts.statuses)}, ${p.puts.unchanged} unchanged`);
        failed = true;
      }
    }
    const decideRatio = ratio((p) => p.decide.p99);
    const replyRatio = ratio((p) => p.load.p99Us);
    console.log(`\n  storm / calm, medians over ${S.length} + ${C.length} phases (phases rotated storm/calm/validate):`);
    console.log(`    decide() p99     ${fmt(decideRatio)}x  (the issue's target, p99 decision latency <= ${STORM_TARGET}x: ${decideRatio <= STORM_TARGET ? "met" : "NOT met"})   p50 ${fmt(ratio((p) => p.decide.p50))}x, p99.9 ${fmt(ratio((p) => p.decide.p999))}x`);
    console.log(`    TCP reply p99    ${fmt(replyRatio)}x  (end to end, beside the target; within ${STORM_TARGET}x: ${replyRatio <= STORM_TARGET ? "yes" : "no"})   p50 ${fmt(ratio((p) => p.load.p50Us))}x, max ${fmt(ratio((p) => p.load.maxUs))}x`);
    console.log(`    throughput       ${fmt(1 / ratio((p) => p.load.perSecond))}x slower`);
    console.log(
      `    PUTs landed per storm phase: ${S.map((p) => p.rows.filter((r) => r.ok).length).join(", ")}; ` +
        `client round trip mean ${fmt(mean(S.flatMap((p) => p.puts.ms)), 1)} ms, p99 ${fmt(quantile(S.flatMap((p) => p.puts.ms), 0.99), 1)} ms; ` +
        `engine-thread time per PUT mean ${fmt(mean(stormRows.map((r) => r.server - r.worker)), 1)} ms (Worker wait ${fmt(mean(stormRows.map((r) => r.worker)), 1)} ms)`,
    );
    console.log(
      `  validate (prepare on the Worker + diff, no activation) / calm: decide() p99 ${fmt(ratio((p) => p.decide.p99, V))}x, ` +
        `TCP reply p99 ${fmt(ratio((p) => p.load.p99Us, V))}x, p50 ${fmt(ratio((p) => p.load.p50Us, V))}x, throughput ${fmt(1 / ratio((p) => p.load.perSecond, V))}x slower; ` +
        `${V.map((p) => p.puts.ms.length).join(", ")} validations per phase, mean ${fmt(mean(V.flatMap((p) => p.puts.ms)), 1)} ms`,
    );
    console.log(`    (${stormLog} reload log lines; warm-up phases not shown)`);
    console.log(`\ntotal ${fmt((performance.now() - t0) / 1000, 1)} s`);
  } finally {
    clearTimeout(watchdog);
    if (child !== null) await child.close();
    for (const s of [...servers]) await close(s).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
  if (failed) process.exitCode = 1;
}

if (import.meta.main) {
  if (process.argv.includes("--client")) await clientMain();
  else await main();
}
