/**
 * `keel serve`: settle the config version against the store, rebuild the risk state from the
 * journal, start the engine and its TCP signal ingest, and run until SIGINT/SIGTERM.
 * Exit codes: 0 stopped by a signal, 1 invalid config, unusable database or address, 2 bad flags,
 * 3 live trading asked for without a valid authorisation (auth/gate.ts says which check failed),
 *   or without a [venue] to send orders to.
 */
import { existsSync, mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve as resolvePath } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { loadTokens } from "../api/auth.ts";
import { createApp } from "../api/app.ts";
import { hasCaps } from "../auth/caps.ts";
import { formatDuration } from "../auth/duration.ts";
import { armExpiry } from "../auth/expiry.ts";
import { authoriseLive, TRUSTED_KEYS_DIR } from "../auth/gate.ts";
import type { Authorisation } from "../auth/verify.ts";
import { formatIssue } from "../config/errors.ts";
import { ConfigWorker } from "../config/offload.ts";
import { parseShard } from "../config/shard.ts";
import { Control } from "../engine/control.ts";
import { EventBus } from "../events/bus.ts";
import { WorkerPool } from "../workers/pool.ts";
import { availableParallelism } from "node:os";
import { LIVE_SNAPSHOT_FILE, SNAPSHOT_FILE } from "../export/snapshot-layout.ts";
import { snapshotFileFor, startSnapshotExport } from "../export/snapshot-file.ts";
import { Histogram } from "../metrics/histogram.ts";
import { prepareText } from "../config/prepare.ts";
import { Engine } from "../engine/engine.ts";
import { recover } from "../engine/recover.ts";
import { startIngest, type Ingest } from "../ingest/tcp.ts";
import { tradingDay } from "../risk/reset.ts";
import { dbPathFor } from "../store/db.ts";
import { StoreError } from "../store/errors.ts";
import { acquireLock } from "../store/lock.ts";
import { startRetention } from "../store/pruner.ts";
import { startCheckpointer } from "../store/checkpointer.ts";
import { openStore, type SqliteStore } from "../store/sqlite.ts";
import { fixVenueFactory } from "../venue/fix/from-config.ts";
import { hostPort, parse, UsageError } from "./args.ts";
import { readSource } from "./source.ts";
import { startupConfig } from "./startup.ts";

export const DEFAULT_ADMIN = "127.0.0.1:8787";
export const DEFAULT_INGEST = "127.0.0.1:8788";
export const DEFAULT_DATA = "./data";
export const DEFAULT_RETAIN_DAYS = 30;
const NO_VENUE = 'trading.mode = "live" needs a [venue] section (host, port, sender_comp_id, target_comp_id): the FIX 4.4 counterparty live orders go to';

export const help = `Usage: keel serve [--config FILE] [--data DIR] [--admin HOST:PORT] [--ingest HOST:PORT] [--retain-days N]
                  [--export-snapshot | --no-export-snapshot] [--shard I/N] [--workers N|auto]
                  [--live-auth TOKEN|FILE] [--trusted-key FILE]...

Run the engine. Strategies send signals to the ingest socket as newline-delimited JSON and read
back one reply line per signal, in order; a reply is sent only once the orders it acknowledges
are committed to the journal.

Config versions, the audit log and the order journal live in DIR/paper.db (DIR/live.db for live
trading: never the same file). On an empty database the config (--config FILE, or the default
embedded in this binary) becomes version 1. On an existing one the active version is loaded; a
--config with a different content becomes a new version. Positions, P&L, exposures, daily
counters and the trading state are rebuilt from the journal, so a restart, even after kill -9,
resumes exactly where the last acknowledged order left them.

Options:
  --config FILE       config file (TOML, or JSON by its .json extension)
  --data DIR          where the database lives (default ${DEFAULT_DATA}, created when missing)
  --admin HOST:PORT   admin API address (default ${DEFAULT_ADMIN}); every route but GET /health needs
                      Authorization: Bearer <token>, the token being KEEL_ADMIN_TOKEN or, when that is
                      unset, the one generated into DIR/admin.token at first start (mode 0600)
  --ingest HOST:PORT  signal socket address (default ${DEFAULT_INGEST}, loopback only)
  --retain-days N     keep N trading days of journal (default ${DEFAULT_RETAIN_DAYS}); older days are pruned
                      at start and daily, positions kept. Config versions and the audit log are never pruned
  --export-snapshot   write the active effective config to DIR/${SNAPSHOT_FILE} (live: DIR/${LIVE_SNAPSHOT_FILE})
                      at start and on every change, for other processes to mmap (the default;
                      docs/snapshot-format.md, 'keel snapshot' reads it)
  --no-export-snapshot  do not write it
  --shard I/N         run shard I of N (0-based): compile and trade only the symbols whose rendezvous
                      hash picks shard I ('keel shard SYMBOL --of N' tells the owner); a signal for
                      another shard's symbol is rejected wrong_shard with the owner's index
  --workers N|auto    decide on N engine Worker threads (default 1: the single-threaded engine; auto:
                      one per core, ${availableParallelism()} here). They share one compiled config and one
                      risk state in shared memory (every limit is reserved with Atomics, so none is
                      exceeded however the Workers interleave) and the ingest port (the kernel spreads
                      connections). The journal stays one writer on the main thread; a reply is still
                      sent only once its order is committed. A Worker that dies is replaced and
                      trading HALTS with the reason until an operator resumes
  --live-auth TOKEN|FILE  the live trading authorisation ('keel auth sign'), or a file holding it;
                      required when trading.mode = "live", ignored (with a warning) in paper mode
  --trusted-key FILE  a public key (SPKI PEM, 'keel auth keygen' writes it) the token must verify
                      against; repeatable. Default: every file in DIR/${TRUSTED_KEYS_DIR}/
  -h, --help          show this help

Example:
  keel serve &
  printf '{"id":"1","symbol":"AAPL","side":"buy","strength":0.5,"price":190.1}\\n' | nc 127.0.0.1 8788

Live trading: a config with trading.mode = "live" is not enough. keel serve starts live only with
a --live-auth token signed by a trusted key, naming this host (${hostname()}), and valid now;
otherwise it exits 3 with a message saying what is missing or wrong, before touching the database.
Caps in the token (max_order_notional, ...) hold the limits in force to at most the cap, across
every reload. When the token expires the engine halts ("live authorisation expired at ...") and
cannot be resumed: restart with a new token. Live trading uses DIR/live.db, never DIR/paper.db.
Live orders go to the FIX 4.4 counterparty of the config's [venue] section (a live config without
one is refused, exit 3); the engine starts HALTED and is HALTED whenever that session is down:
resume with POST /risk/resume once it is logged on. Paper mode uses the paper venue.

Exit codes: 0 stopped by SIGINT/SIGTERM, 1 invalid config, unusable database or address,
2 bad flags, 3 live trading refused.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      config: { type: "string" }, data: { type: "string" }, admin: { type: "string" }, ingest: { type: "string" }, "retain-days": { type: "string" },
      "export-snapshot": { type: "boolean" }, "no-export-snapshot": { type: "boolean" }, shard: { type: "string" }, workers: { type: "string" },
      "live-auth": { type: "string" }, "trusted-key": { type: "string", multiple: true },
    },
    0,
  );
  if (values.help) return (console.log(help), 0);
  const ingestAt = hostPort(values.ingest ?? DEFAULT_INGEST, "--ingest");
  const adminAt = hostPort(values.admin ?? DEFAULT_ADMIN, "--admin");
  const retainDays = Number(values["retain-days"] ?? DEFAULT_RETAIN_DAYS);
  if (!Number.isInteger(retainDays) || retainDays < 1) throw new UsageError(`--retain-days expects a whole number of days >= 1, got '${values["retain-days"]}'`);
  const dataDir = resolvePath(values.data ?? DEFAULT_DATA);
  if (values["export-snapshot"] && values["no-export-snapshot"]) throw new UsageError("--export-snapshot and --no-export-snapshot contradict each other");
  const exportSnapshot = !values["no-export-snapshot"];
  const parsedShard = values.shard === undefined ? undefined : parseShard(values.shard);
  if (typeof parsedShard === "string") throw new UsageError(`--shard: ${parsedShard}`);
  const shard = parsedShard;
  const workers = parseWorkers(values.workers);

  // Listen for SIGINT/SIGTERM before anything starts: Bun installs a handler only an event-loop
  // turn after process.on(), so one registered after "running" could miss an early SIGTERM.
  let onStop: (sig: string) => void = () => {};
  const stopSignal = new Promise<string>((done) => (onStop = done));
  const on = (sig: string) => {
    process.off("SIGINT", on);
    process.off("SIGTERM", on);
    onStop(sig);
  };
  process.on("SIGINT", on);
  process.on("SIGTERM", on);

  const source = await readSource(values.config);
  const given = prepareText(source.text, source.format, shard);
  for (const w of given.warnings) console.error(`warning: ${formatIssue(w)}`);
  if (!given.ok) {
    for (const issue of given.issues) console.error(formatIssue(issue));
    console.error(`keel: ${source.name} is invalid; not starting`);
    return 1;
  }
  const mode = given.document.trading.mode;
  const live = mode === "live";
  // Live orders leave through the FIX gateway: without a counterparty there is nothing to trade on.
  if (live && given.document.venue === undefined) {
    console.error(`keel: ${NO_VENUE}; not starting`);
    return 3;
  }
  // A config flag alone must never turn on live trading: live needs a verified authorisation,
  // checked before the database is opened, so a refusal changes nothing.
  let auth: Authorisation | null = null;
  if (live) {
    const verdict = await authoriseLive({
      liveAuth: values["live-auth"], trustedKeys: values["trusted-key"] ?? [], dataDir, host: hostname(), now: Date.now(),
    });
    if (!verdict.ok) {
      console.error(`keel: live trading refused: ${verdict.message}; not starting`);
      return 3;
    }
    auth = verdict.auth;
  } else if (values["live-auth"] !== undefined || values["trusted-key"] !== undefined) {
    console.error('warning: --live-auth and --trusted-key are ignored: trading.mode is "paper", which needs no authorisation');
  }
  // Every line from here on names the mode, so a live process's log cannot be mistaken.
  const tag = `keel [${mode}]`;
  const say = (line: string) => console.log(`${tag}: ${line}`);
  const complain = (line: string) => console.error(`${tag}: ${line}`);

  const dbPath = dbPathFor(dataDir, mode);
  const batchRows = new Histogram();
  let store: SqliteStore;
  let unlock: () => void;
  try {
    mkdirSync(dataDir, { recursive: true });
    unlock = acquireLock(dbPath);
    try {
      store = openStore(dbPath, {
        journal: { onError: (err) => complain(`journal: ${err.message}`), onBatch: (rows) => batchRows.record(rows) },
      });
    } catch (err) {
      unlock();
      throw err;
    }
  } catch (err) {
    complain(`${err instanceof StoreError || err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  const close = () => {
    store.close();
    unlock();
  };

  const settled = startupConfig(store, source, given, values.config !== undefined, shard);
  if (!settled.ok) {
    for (const issue of settled.issues) console.error(formatIssue(issue));
    complain(`the active version ${settled.version} in ${dbPath} no longer validates; start with --config FILE to replace it`);
    close();
    return 1;
  }
  const { prepared, version } = settled;
  const s = prepared.snapshot;
  say(
    `mode ${mode}, database ${dbPath}, config v${version} sha256 ${prepared.hash.slice(0, 12)}` +
      (!settled.created ? " (active version)" : version === 1 ? ` (first version, from ${source.name})` : ` (new version from ${source.name}, ${settled.changes} change(s))`) +
      `, ${s.symbolCount} symbols in ${s.sectors.length} sectors, ${s.profileCount} profiles`,
  );

  // Live: the FIX venue of the active version's [venue] (restart-only, so fixed for this run).
  const venueSection = prepared.document.venue;
  if (live && venueSection === undefined) {
    console.error(`keel: the active version ${version} in ${dbPath} has no [venue] section: ${NO_VENUE}; start with --config FILE to replace it`);
    close();
    return 3;
  }
  const venue = live && venueSection !== undefined ? fixVenueFactory(venueSection, store.db) : undefined;
  const engine = new Engine(s, version, venue, store.journal);
  if (auth !== null) {
    say(
      `live trading authorised for host ${auth.host} by key ${auth.keyId} (${auth.keySource}) until ` +
        `${new Date(auth.expiresAt).toISOString()} (${formatDuration(auth.expiresAt - Date.now())} from now)` +
        (hasCaps(auth.caps) ? `, caps ${Object.entries(auth.caps).map(([k, v]) => `${k} ${v}`).join(", ")}` : ", no caps"),
    );
    // Before recovery and before any decision: no version ever runs uncapped.
    engine.applyCaps(auth.caps);
  }
  const r = recover(engine, store);
  say(
    `recovered from the journal: trading state ${r.tradingState}, ${r.openPositions} open position(s), ` +
      `${r.dailyTrades} trade(s) on the current day, ${r.fills} fill(s) replayed`,
  );
  if (r.unknownSymbols.length > 0) {
    complain(`warning: the journal has positions in symbols the config does not have, not restored: ${r.unknownSymbols.join(", ")}`);
  }
  engine.latency = new Histogram();
  if (shard !== undefined) {
    engine.shard = shard;
    say(`shard ${shard.index} of ${shard.count}: ${s.symbolCount} symbols of this config are this host's`);
  }
  const bus = new EventBus((err) => complain(`event subscriber: ${err instanceof Error ? err.message : String(err)}`));
  // Large documents are prepared on this Worker, so deciding never waits for a reload to validate.
  const worker = new ConfigWorker(shard);
  const control = new Control({ engine, store, bus, active: prepared, version, worker, ...(shard ? { shard } : {}), log: say });
  if (engine.venue.down !== null) {
    // Nothing trades before the session is logged on; an operator resumes once it is (POST /risk/resume).
    control.setTradingState("HALTED", `${engine.venue.down} (start)`, "venue");
  }
  // One timer for the instant the authorisation expires: the halt goes the operator's way
  // (journaled, audited, published on /events), and resume is refused from then on.
  const expiry = auth === null ? null : armExpiry(auth.expiresAt, () => {
    control.revokeTrading(`live authorisation expired at ${new Date(auth.expiresAt).toISOString()}`, "live-auth");
  });
  const reloadNs = new Histogram();
  bus.subscribe((e) => {
    if (e.type === "config_changed") reloadNs.record(control.lastReloadMs * 1e6);
  });

  const retention = startRetention(store, {
    retainDays,
    currentDay: () => Math.max(store.lastDay() ?? Number.NEGATIVE_INFINITY, tradingDay(Date.now(), engine.snapshot.dayResetMinute)),
    onPruned: (rows, before) => say(`retention: pruned ${rows} journal row(s) before trading day ${before}`),
    onError: (err) => complain(`retention: ${err instanceof Error ? err.message : String(err)}`),
  });

  const where = formatAddress(ingestAt.host, ingestAt.port);
  let ingest: Ingest | WorkerPool;
  try {
    ingest = workers > 1
      ? await WorkerPool.start({
          count: workers, engine, journal: store.journal, bus, host: ingestAt.host, port: ingestAt.port, ...(shard ? { shard } : {}),
          log: say,
          onCommitFailed: (err) => control.setTradingState("HALTED", `journal commit failed: ${err.message}`, "engine"),
        })
      : startIngest({
      host: ingestAt.host,
      port: ingestAt.port,
      engine,
      journal: store.journal,
      onError: (err) => complain(`ingest: ${err instanceof Error ? err.message : String(err)}`),
      // Orders that were not recorded cannot be traded on: stop until an operator looks.
      onCommitFailed: (err) => control.setTradingState("HALTED", `journal commit failed: ${err.message}`, "engine"),
    });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why = code === "EADDRINUSE" ? "address already in use" : err instanceof Error ? err.message : String(err);
    complain(`cannot listen on ${where} for signal ingest: ${why}`);
    retention.stop();
    expiry?.stop();
    close();
    return 1;
  }
  let tokens;
  let server: ReturnType<typeof Bun.serve>;
  try {
    tokens = loadTokens(dataDir);
    const app = createApp({
      control, engine, store, bus, tokens, keelVersion: pkg.version, startedAt: Date.now(),
      stats: { ingestConnections: () => ("connections" in ingest ? ingest.connections : 0), journalBatchRows: batchRows, reloadNs },
      ...(auth === null ? {} : { liveAuth: auth }),
      onError: (err) => complain(`signals: ${err instanceof Error ? err.stack ?? err.message : String(err)}`),
    });
    server = Bun.serve({ hostname: adminAt.host, port: adminAt.port, fetch: app.fetch, idleTimeout: 0 });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why = code === "EADDRINUSE" ? "address already in use" : err instanceof Error ? err.message : String(err);
    complain(`cannot serve the admin API on ${formatAddress(adminAt.host, adminAt.port)}: ${why}`);
    await ingest.stop();
    retention.stop();
    expiry?.stop();
    close();
    return 1;
  }
  say(`admin API on http://${formatAddress(adminAt.host, server.port ?? adminAt.port)} (token: ${tokens.source})`);
  if (!isLoopback(adminAt.host)) complain(`warning: the admin API on ${formatAddress(adminAt.host, adminAt.port)} is reachable from the network`);
  if (!isLoopback(ingestAt.host)) {
    complain(`warning: ingest on ${where} accepts signals from the network without authentication`);
  }
  if (ingest instanceof WorkerPool) {
    // POST /signals decides on this thread, against the Workers' shared state, not the recording Engine's.
    const pool = ingest;
    engine.process = (s) => pool.process(s);
  }
  say(
    `ingest listening on ${formatAddress(ingestAt.host, ingest.port)} (NDJSON signals), venue ${engine.venue.name}` +
      (ingest instanceof WorkerPool ? `, ${workers} engine workers` : ""),
  );
  const snapshotPath = join(dataDir, snapshotFileFor(mode));
  // Written now and on every config_changed; a failure is reported and trading goes on without it.
  // Started last, so the failure paths above need not stop it: no request is handled before here.
  const snapshotExport = exportSnapshot
    ? startSnapshotExport({
        path: snapshotPath,
        bus,
        current: () => ({ snapshot: engine.snapshot, version: engine.version, patch: engine.lastPatch }),
        log: say,
        onError: (err) => complain(`snapshot export: ${err instanceof Error ? err.message : String(err)}`),
      })
    : null;
  // WAL checkpoints on a thread of their own (store/checkpointer.ts); started last, like the export.
  const checkpointer = startCheckpointer(store.db, dbPath, { onError: (m) => complain(`checkpointer: ${m}`) });
  if (!exportSnapshot && existsSync(snapshotPath)) {
    complain(`warning: ${snapshotPath} is from an earlier run and will not follow config changes (--no-export-snapshot)`);
  }

  say("running; Ctrl-C to stop");

  const signal = await stopSignal;
  say(`${signal}; stopping` + ("connections" in ingest ? `, ${ingest.connections} open connection(s)` : `, ${workers} engine workers`));
  retention.stop();
  expiry?.stop();
  server.stop(true);
  worker.terminate();
  snapshotExport?.stop();
  // The Workers send what they decided and wait for its commits (this thread keeps committing).
  if (ingest instanceof WorkerPool) await ingest.stop();
  // Commit what was decided, so the replies waiting for it go out before the sockets close.
  try {
    store.journal.flush();
  } catch (err) {
    complain(`journal: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!(ingest instanceof WorkerPool)) await ingest.stop();
  // Log out of the venue (FIX: Logout, sequence numbers persisted) before the database closes.
  await engine.venue.close();
  // Its connection closed before the writer's, so the writer's close checkpoints alone.
  await checkpointer.stop();
  close();
  say("stopped");
  return 0;
}

/** --workers: a whole number from 1 to 256, or auto (one per core). */
function parseWorkers(v: string | undefined): number {
  if (v === undefined) return 1;
  if (v === "auto") return availableParallelism();
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 256) throw new UsageError(`--workers expects a whole number from 1 to 256 or 'auto', got '${v}'`);
  return n;
}

function formatAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
