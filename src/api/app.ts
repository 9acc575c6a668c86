/**
 * The admin API: createApp(deps) -> a Hono app, served by Bun.serve in `keel serve` and by tests
 * on a free loopback port. Routes live one concept per file in routes/; this file wires the
 * cross-cutting parts: the body limit (413), auth (401/403), the JSON 404 and error shapes.
 */
import { Hono } from "hono";
import type { Authorisation } from "../auth/verify.ts";
import { bodyLimit } from "hono/body-limit";
import type { Control } from "../engine/control.ts";
import type { Engine } from "../engine/engine.ts";
import type { EventBus } from "../events/bus.ts";
import type { Histogram } from "../metrics/histogram.ts";
import type { Store } from "../store/store.ts";
import { requireToken, type Tokens } from "./auth.ts";
import { fail } from "./errors.ts";
import { configRoutes } from "./routes/config.ts";
import { docsRoutes } from "./routes/docs.ts";
import { eventRoutes } from "./routes/events.ts";
import { healthRoutes } from "./routes/health.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { riskRoutes } from "./routes/risk.ts";
import { signalRoutes } from "./routes/signals.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

/** What the routes need from the running engine. */
export interface AppDeps {
  readonly control: Control;
  readonly engine: Engine;
  readonly store: Store;
  readonly bus: EventBus;
  readonly tokens: Tokens;
  /** keel's own version (package.json). */
  readonly keelVersion: string;
  readonly startedAt: number;
  /** Counters the edge keeps for /metrics. */
  readonly stats: {
    readonly ingestConnections: () => number;
    readonly journalBatchRows: Histogram;
    readonly reloadNs: Histogram;
  };
  /** The live authorisation this process trades on (live mode only). */
  readonly liveAuth?: Authorisation;
  /** Milliseconds between SSE keep-alive comments. */
  readonly keepAliveMs?: number;
  /** An exception inside the engine while deciding a POST /signals signal (for the log). */
  readonly onError?: (err: unknown) => void;
}

/** Build the admin API. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => fail(c, 413, "payload_too_large", `bodies are limited to ${MAX_BODY_BYTES} bytes`),
    }),
  );
  app.use("*", requireToken(deps.tokens));
  healthRoutes(app, deps);
  configRoutes(app, deps);
  riskRoutes(app, deps);
  signalRoutes(app, deps);
  eventRoutes(app, deps);
  metricsRoutes(app, deps);
  docsRoutes(app, deps);
  app.notFound((c) => fail(c, 404, "not_found", `no route ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => fail(c, 500, "internal_error", err instanceof Error ? err.message : String(err)));
  return app;
}
