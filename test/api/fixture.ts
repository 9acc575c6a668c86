/**
 * A real admin API for tests: a SQLite store in a temp dir, the engine, Control, the bus, and the
 * Hono app on Bun.serve at a free loopback port. `close()` stops the server and removes the dir.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/api/app.ts";
import { EMBEDDED_DEFAULT } from "../../src/cli/source.ts";
import { startupConfig } from "../../src/cli/startup.ts";
import { prepareText, prepareValue } from "../../src/config/prepare.ts";
import { ConfigWorker } from "../../src/config/offload.ts";
import { Control } from "../../src/engine/control.ts";
import { Engine, type VenueFactory } from "../../src/engine/engine.ts";
import { EventBus } from "../../src/events/bus.ts";
import { Histogram } from "../../src/metrics/histogram.ts";
import { openStore, type SqliteStore } from "../../src/store/sqlite.ts";

export const ADMIN = "admin-token-for-tests";
export const READ = "read-token-for-tests";

export interface Api {
  readonly url: string;
  readonly dir: string;
  readonly store: SqliteStore;
  readonly engine: Engine;
  readonly control: Control;
  readonly bus: EventBus;
  /** fetch with the admin token (or the one given in init.headers). */
  call(path: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  /** Stop the server, close the venue and the store, remove the dir (`keep`: leave it for a restart). */
  close(keep?: boolean): Promise<void>;
}

export interface ApiOptions {
  /** The config to start on (a raw document); the embedded default otherwise. */
  readonly config?: unknown;
  readonly now?: () => number;
  readonly keepAliveMs?: number;
  /** Prepare every write in the config Worker (thresholds 0), as large documents are. */
  readonly worker?: boolean;
  /** The engine's venue, built over the store (a FIX venue keeps its sequence numbers there); paper otherwise. */
  readonly venue?: (store: SqliteStore) => VenueFactory;
  /** Reuse this data directory (a restart); a fresh temp dir otherwise. */
  readonly dir?: string;
}

/** Start a real admin API. */
export function startApi(opts: ApiOptions = {}): Api {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "keel-api-"));
  const store = openStore(join(dir, "paper.db"));
  const given = opts.config === undefined ? prepareText(EMBEDDED_DEFAULT.text, "toml") : prepareValue(opts.config);
  if (!given.ok) throw new Error(`test config invalid: ${JSON.stringify(given.issues)}`);
  const settled = startupConfig(store, EMBEDDED_DEFAULT, given, true);
  if (!settled.ok) throw new Error("startup failed");
  const engine = new Engine(settled.prepared.snapshot, settled.version, opts.venue?.(store), store.journal);
  engine.latency = new Histogram();
  const bus = new EventBus();
  const worker = opts.worker ? new ConfigWorker() : undefined;
  const control = new Control({
    engine, store, bus, active: settled.prepared, version: settled.version, ...(opts.now ? { now: opts.now } : {}),
    ...(worker ? { worker, offloadChars: 0 } : {}),
  });
  const app = createApp({
    control, engine, store, bus, tokens: { admin: ADMIN, read: READ, source: "test" }, keelVersion: "test", startedAt: Date.now(),
    stats: { ingestConnections: () => 0, journalBatchRows: new Histogram(), reloadNs: new Histogram() },
    ...(opts.keepAliveMs === undefined ? {} : { keepAliveMs: opts.keepAliveMs }),
  });
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch, idleTimeout: 0 });
  const url = `http://127.0.0.1:${server.port}`;
  return {
    url, dir, store, engine, control, bus,
    call(path, init = {}) {
      const { token, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token !== null && !headers.has("authorization")) headers.set("authorization", `Bearer ${token ?? ADMIN}`);
      return fetch(`${url}${path}`, { ...rest, headers });
    },
    async close(keep = false) {
      await server.stop(true);
      worker?.terminate();
      await engine.venue.close();
      store.close();
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** JSON body helper. */
export function json(body: unknown, method = "PUT", headers: Record<string, string> = {}): RequestInit {
  return { method, body: JSON.stringify(body), headers: { "content-type": "application/json", ...headers } };
}
