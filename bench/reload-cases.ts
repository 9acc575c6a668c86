/**
 * The documents, the server and the probes of bench/reload.bench.ts.
 *
 * Documents (generateDocument, bench/gen-config.ts), each in two variants A and B that differ in
 * one limit (risk.limits.max_daily_trades), so alternating PUTs are each a real activation, and
 * with admin.max_config_writes_per_minute far above what a run writes (the circuit breaker is a
 * config field, read from the active version).
 *
 * startServer() assembles what `keel serve` (src/cli/serve.ts) assembles, in this process: a
 * store on a temp file (with the journal's batch histogram), startupConfig, an Engine on the
 * journal, recover(), engine.latency, the bus, a ConfigWorker with its default offload
 * thresholds, Control, the reload histogram, createApp on Bun.serve at a free loopback port and,
 * when asked, startIngest on a free loopback port. Control's log goes to an array instead of
 * stdout so the bench's table stays readable.
 *
 * probe() wraps, on these instances only, the methods a config write passes through (Control's
 * put/patchSymbol and its private breaker/inline/restartOnly, the worker's prepare/patch/setActive,
 * store.createAndActivate, engine.load, bus.publish) and the server's fetch, and records one row
 * of stage times per PUT/PATCH. Nothing in src/ is changed; if a private name changes, its stage
 * reads as 0 and the bench says so.
 */
import { SNAPSHOT_FILE, startSnapshotExport } from "../src/export/snapshot-file.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp, MAX_BODY_BYTES } from "../src/api/app.ts";
import type { ConfigSource } from "../src/cli/source.ts";
import { startupConfig } from "../src/cli/startup.ts";
import { ConfigWorker } from "../src/config/offload.ts";
import { prepareValue } from "../src/config/prepare.ts";
import type { ConfigInput } from "../src/config/schema.ts";
import { Control } from "../src/engine/control.ts";
import { Engine } from "../src/engine/engine.ts";
import { recover } from "../src/engine/recover.ts";
import { EventBus } from "../src/events/bus.ts";
import { startIngest, type Ingest } from "../src/ingest/tcp.ts";
import { Histogram } from "../src/metrics/histogram.ts";
import { openStore, type SqliteStore } from "../src/store/sqlite.ts";
import { generateDocument } from "./gen-config.ts";
import { WIDE_LIMITS } from "./serve-cases.ts";

export const ADMIN_TOKEN = "reload-bench-admin-token";
/** Far above any write rate of this bench: the breaker must never answer 429 here. */
export const WRITES_PER_MINUTE = 1_000_000_000;
/** The one limit the two variants of a document differ in. */
const TRADES_A = 1_000_000_000;
const TRADES_B = 999_999_999;


/**
 * A generated document, variant A or B. `wide` gives it serve-cases.ts's wide limits (nearly
 * every signal accepted and journaled, for the storm); otherwise the generator's own limits.
 */
export function reloadDocument(n: number, variant: "A" | "B", opts: { wide?: boolean; overrideEvery?: number } = {}): ConfigInput {
  const doc = generateDocument(n, { overrideEvery: opts.overrideEvery ?? 10 });
  if (opts.wide) {
    doc.risk!.limits = { ...WIDE_LIMITS, max_daily_trades: TRADES_A };
    for (const s of Object.values(doc.risk!.sectors!)) s.max_gross_exposure = 1e18;
    doc.trading!.position_sizing!.max_position_size = 1_000_000;
    for (const st of Object.values(doc.strategies!)) {
      delete st.limits;
      if (st.position_sizing) st.position_sizing.max_position_size = 1_000_000;
    }
  }
  doc.risk!.limits = { ...doc.risk!.limits, max_daily_trades: variant === "A" ? TRADES_A : TRADES_B };
  doc.admin = { max_config_writes_per_minute: WRITES_PER_MINUTE };
  return doc;
}

/**
 * The storm's 10,000-symbol document as compact JSON under the admin API's 1 MiB body limit.
 * generateDocument(10_001) is ~1.05-1.13 MB as compact JSON (a 413 at the API), so the storm
 * document has no per-symbol overrides and leaves `strategy` out on the symbols the generator
 * gives "mean_reversion" (they fall back to the defaults); the rest is as generated. The symbol
 * count is odd so the load client's rotation gives every symbol buy, sell, buy, ... (see
 * serve-cases.ts) and positions stay bounded.
 */
export function stormDocument(n: number, variant: "A" | "B"): { doc: ConfigInput; text: string; trimmed: number } {
  const doc = reloadDocument(n, variant, { wide: true, overrideEvery: 0 });
  let trimmed = 0;
  for (const s of Object.values(doc.symbols!)) {
    if (s.strategy === "mean_reversion") {
      delete s.strategy;
      trimmed++;
    }
  }
  const text = JSON.stringify(doc);
  if (text.length >= MAX_BODY_BYTES) throw new Error(`storm document is ${text.length} bytes, over the ${MAX_BODY_BYTES}-byte body limit`);
  return { doc, text, trimmed };
}

/** Symbols and reference prices, in the shape bench/load-client.ts runLoad() takes. */
export function universeOf(doc: ConfigInput): { symbol: string; reference: number }[] {
  return Object.entries(doc.symbols!).map(([symbol, s]) => ({ symbol, reference: s.reference_price }));
}

export interface Server {
  readonly url: string;
  readonly ingestPort: number;
  readonly dir: string;
  readonly store: SqliteStore;
  readonly engine: Engine;
  readonly control: Control;
  readonly worker: ConfigWorker;
  readonly bus: EventBus;
  readonly reloadNs: Histogram;
  readonly log: string[];
  /** Replaced by probe(): the handler Bun.serve calls. */
  handler: (req: Request, srv: unknown) => Response | Promise<Response>;
  /** Milliseconds spent at start-up: prepare, store, engine, worker. */
  readonly startMs: number;
  close(): Promise<void>;
}

/** A server wired as src/cli/serve.ts wires one (see the file comment). */
export function startServer(doc: ConfigInput, opts: { ingest?: boolean } = {}): Server {
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "keel-reload-bench-"));
  let store: SqliteStore | null = null;
  let worker: ConfigWorker | null = null;
  let ingest: Ingest | null = null;
  try {
    const given = prepareValue(doc);
    if (!given.ok) throw new Error(`bench config invalid: ${JSON.stringify(given.issues.slice(0, 3))}`);
    const batchRows = new Histogram();
    store = openStore(join(dir, "paper.db"), { journal: { onError: (err) => console.error(`journal: ${err.message}`), onBatch: (rows) => batchRows.record(rows) } });
    const source: ConfigSource = { name: "reload.bench", text: "", format: "json" };
    const settled = startupConfig(store, source, given, true);
    if (!settled.ok) throw new Error("startup failed");
    const engine = new Engine(settled.prepared.snapshot, settled.version, undefined, store.journal);
    recover(engine, store);
    engine.latency = new Histogram();
    const bus = new EventBus((err) => console.error(`event subscriber: ${String(err)}`));
    worker = new ConfigWorker();
    const log: string[] = [];
    const control = new Control({ engine, store, bus, active: settled.prepared, version: settled.version, worker, log: (line) => log.push(line) });
    const reloadNs = new Histogram();
    bus.subscribe((e) => {
      if (e.type === "config_changed") reloadNs.record(control.lastReloadMs * 1e6);
    });
    if (opts.ingest) {
      ingest = startIngest({
        host: "127.0.0.1",
        port: 0,
        engine,
        journal: store.journal,
        onError: (err) => console.error(`ingest: ${err instanceof Error ? err.message : String(err)}`),
        onCommitFailed: (err) => control.setTradingState("HALTED", `journal commit failed: ${err.message}`, "engine"),
      });
    }
    const liveIngest = ingest;
    // On by default in keel serve: every write also publishes snapshot.bin before it answers.
    const snapshotExport = startSnapshotExport({
      path: join(dir, SNAPSHOT_FILE),
      bus,
      current: () => ({ snapshot: engine.snapshot, version: engine.version, patch: engine.lastPatch }),
      log: () => {},
      onError: (err) => console.error(`snapshot export: ${String(err)}`),
    });
    const app = createApp({
      control, engine, store, bus, tokens: { admin: ADMIN_TOKEN, source: "bench" }, keelVersion: "bench", startedAt: Date.now(),
      stats: { ingestConnections: () => liveIngest?.connections ?? 0, journalBatchRows: batchRows, reloadNs },
    });
    const s: Server = {
      url: "",
      ingestPort: ingest?.port ?? 0,
      dir, store, engine, control, worker, bus, reloadNs, log,
      handler: (req) => app.fetch(req),
      startMs: 0,
      async close() {},
    };
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, idleTimeout: 0, fetch: (req, srv) => s.handler(req, srv) });
    const st = store;
    const w = worker;
    return Object.assign(s, {
      url: `http://127.0.0.1:${server.port}`,
      startMs: performance.now() - t0,
      async close() {
        await server.stop(true);
        await liveIngest?.stop();
        snapshotExport.stop();
        w.terminate();
        try {
          st.journal.flush();
        } catch {
          // a failed flush changes nothing a bench reports
        }
        st.close();
        rmSync(dir, { recursive: true, force: true });
      },
    });
  } catch (err) {
    void ingest?.stop();
    worker?.terminate();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** One config write as the server saw it, milliseconds per stage. */
export interface WriteRow {
  /** Bun.serve fetch -> Control.put/patchSymbol: routing, auth, body limit, body read (PATCH: and JSON parse). */
  httpIn: number;
  /** Control entry -> the circuit breaker (the write queue's hop). */
  queue: number;
  /** breaker() itself. */
  breaker: number;
  /** After the breaker -> restartOnly(): parse + prepare (inline or on the Worker) + diff. */
  prepare: number;
  /** Of which inline on this thread: validate, canonicalize + sha256, compile, diff. */
  inline: number;
  /** Of which waiting on the Worker: post, its work, the reply, fromParts() on this thread. */
  worker: number;
  /** restartOnly(): reads both documents' trading.mode (a lazy Prepared is JSON.parsed here). */
  restartOnly: number;
  /** store.createAndActivate: the version row, the active pointer, the audit row. */
  sqlite: number;
  /** Of which reading whole version rows back (getVersion/activeVersion select `canonical`). */
  sqliteReads: number;
  /** engine.load: flush marks, RiskState.remap, the reference swap. */
  load: number;
  /** worker.setActive: posting the new canonical text to the Worker. */
  setActive: number;
  /** bus.publish of config_changed. */
  publish: number;
  /** Control resolved -> the Response: the JSON answer. */
  respond: number;
  /** Bun.serve fetch -> Response, everything the server did. */
  server: number;
  /** The change list's length. */
  changes: number;
  ok: boolean;
}

export const STAGES: readonly (keyof WriteRow)[] = ["httpIn", "queue", "breaker", "prepare", "inline", "worker", "restartOnly", "sqlite", "sqliteReads", "load", "setActive", "publish", "respond", "server"];

export interface Probe {
  /** Rows recorded since the last take(), and forget them. */
  take(): WriteRow[];
  /** Stage names whose wrapped method was not found (the stage then reads 0). */
  readonly missing: string[];
}

type AnyFn = (...args: unknown[]) => unknown;

/** Wrap the write path of a running server to time each stage (see the file comment). */
export function probe(s: Server): Probe {
  const now = () => performance.now();
  let rows: WriteRow[] = [];
  let cur: WriteRow | null = null;
  let tReq = 0;
  let tEnter = 0;
  let tBreakerEnd = 0;
  let tControlDone = 0;
  const missing: string[] = [];

  const blank = (): WriteRow => ({ httpIn: 0, queue: 0, breaker: 0, prepare: 0, inline: 0, worker: 0, restartOnly: 0, sqlite: 0, sqliteReads: 0, load: 0, setActive: 0, publish: 0, respond: 0, server: 0, changes: 0, ok: false });

  /** Replace obj[name] with a timed version; `before`/`after` see the times. */
  const wrap = (obj: object, name: string, label: string, after: (t0: number, t1: number, result: unknown) => void, before?: (t0: number) => void) => {
    const o = obj as Record<string, unknown>;
    const orig = o[name];
    if (typeof orig !== "function") {
      missing.push(label);
      return;
    }
    const f = (orig as AnyFn).bind(obj);
    o[name] = (...args: unknown[]) => {
      const t0 = now();
      before?.(t0);
      const r = f(...args);
      if (r instanceof Promise) return r.then((v) => (after(t0, now(), v), v));
      after(t0, now(), r);
      return r;
    };
  };

  const enter = (t: number) => {
    tEnter = t;
    if (cur !== null) cur.httpIn = t - tReq;
  };
  const done = (_t0: number, t1: number, r: unknown) => {
    tControlDone = t1;
    if (cur === null) return;
    const w = r as { ok: boolean; changes?: readonly unknown[] };
    cur.ok = w.ok;
    cur.changes = w.changes?.length ?? 0;
  };
  wrap(s.control, "put", "put", done, enter);
  wrap(s.control, "patchSymbol", "patchSymbol", done, enter);
  wrap(s.control, "breaker", "breaker", (t0, t1) => {
    tBreakerEnd = t1;
    if (cur !== null) {
      cur.queue = t0 - tEnter;
      cur.breaker = t1 - t0;
    }
  });
  wrap(s.control, "settleInline", "settleInline", (t0, t1) => cur !== null && (cur.inline += t1 - t0));
  wrap(s.control, "planPatch", "planPatch", (t0, t1) => {
    if (cur === null) return;
    cur.inline += t1 - t0;
    cur.prepare += t1 - t0;
  });
  wrap(s.worker, "prepare", "worker.prepare", (t0, t1) => cur !== null && (cur.worker += t1 - t0));
  wrap(s.control, "restartOnly", "restartOnly", (t0, t1) => {
    if (cur === null) return;
    cur.prepare = t0 - tBreakerEnd;
    cur.restartOnly += t1 - t0;
  });
  wrap(s.store, "createAndActivate", "createAndActivate", (t0, t1) => cur !== null && (cur.sqlite += t1 - t0));
  // The version log behind the store (a private field): its whole-row reads inside the transaction.
  const versions = (s.store as unknown as { log?: object }).log;
  if (versions === undefined) missing.push("store.log");
  else {
    wrap(versions, "getVersion", "log.getVersion", (t0, t1) => cur !== null && (cur.sqliteReads += t1 - t0));
    wrap(versions, "activeVersion", "log.activeVersion", (t0, t1) => cur !== null && (cur.sqliteReads += t1 - t0));
  }
  wrap(s.engine, "load", "engine.load", (t0, t1) => cur !== null && (cur.load += t1 - t0));
  wrap(s.engine, "patch", "engine.patch", (t0, t1) => cur !== null && (cur.load += t1 - t0));
  wrap(s.worker, "setActive", "worker.setActive", (t0, t1) => cur !== null && (cur.setActive += t1 - t0));
  wrap(s.bus, "publish", "bus.publish", (t0, t1) => cur !== null && (cur.publish += t1 - t0));

  const inner = s.handler;
  s.handler = (req, srv) => {
    const m = req.method;
    if (m !== "PUT" && m !== "PATCH") return inner(req, srv);
    tReq = now();
    const row = (cur = blank());
    const finish = (res: Response) => {
      const t = now();
      row.server = t - tReq;
      row.respond = t - tControlDone;
      rows.push(row);
      cur = null;
      return res;
    };
    const r = inner(req, srv);
    return r instanceof Promise ? r.then(finish) : finish(r);
  };

  return {
    take() {
      const out = rows;
      rows = [];
      return out;
    },
    missing,
  };
}

/**
 * The engine thread's longest uninterrupted stretch in a write: after the prepared version
 * arrives, restartOnly -> createAndActivate -> engine.load -> setActive -> publish run in one
 * synchronous piece (control.ts write()), so no signal is decided meanwhile.
 */
export function syncBlock(r: WriteRow): number {
  return r.restartOnly + r.sqlite + r.load + r.setActive + r.publish;
}

/** Sorted copy. */
function sorted(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

/** The q-quantile (nearest rank) of xs; NaN when empty. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = sorted(xs);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = sorted(xs);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}
