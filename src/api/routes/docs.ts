/**
 * `GET /openapi.json` and `GET /docs`. The document's schema comes from the same zod schema the
 * engine validates with (z.toJSONSchema); the routes are listed here, beside their handlers'
 * files, and a test checks that every route the app serves is described.
 */
import type { Hono } from "hono";
import { jsonSchema } from "../../config/schema.ts";
import type { AppDeps } from "../app.ts";

interface Op {
  readonly summary: string;
  readonly body?: "config" | "json";
  readonly responses: Readonly<Record<string, string>>;
}

/** Every route, its summary and its status codes. */
export const ROUTES: Readonly<Record<string, Readonly<Record<string, Op>>>> = {
  "/health": { get: { summary: "Liveness and what is running (no token needed)", responses: { "200": "status" } } },
  "/config": {
    get: { summary: "The active document as canonical JSON; ETag is its hash", responses: { "200": "document" } },
    put: { summary: "Replace the active document (JSON, or TOML with Content-Type: application/toml)", body: "config", responses: { "200": "activated or unchanged", "400": "malformed", "409": "restart_required", "412": "If-Match is not the active hash", "413": "body over 1 MiB", "422": "invalid, with every issue", "429": "too many writes" } },
  },
  "/config/validate": { post: { summary: "Every check and the change list, never activating", body: "config", responses: { "200": "{ valid, issues, warnings, changes }", "400": "malformed" } } },
  "/config/symbols/{symbol}": {
    patch: { summary: "Merge a partial symbol entry (creates the symbol when complete)", body: "json", responses: { "200": "activated", "400": "malformed", "412": "If-Match", "422": "invalid", "429": "too many writes" } },
    delete: { summary: "Remove a symbol", responses: { "200": "activated", "404": "unknown symbol", "409": "open position", "412": "If-Match", "429": "too many writes" } },
  },
  "/config/versions": { get: { summary: "Versions, newest first (?limit=N)", responses: { "200": "{ versions }", "400": "bad limit" } } },
  "/config/versions/{v}": { get: { summary: "A version's document", responses: { "200": "document", "404": "unknown version" } } },
  "/config/versions/{v}/diff": { get: { summary: "The change list from ?against=W (default: active) to v", responses: { "200": "{ from, to, changes }", "404": "unknown version" } } },
  "/config/rollback": { post: { summary: "A new version equal to { version }", body: "json", responses: { "200": "activated", "400": "no version number", "404": "unknown version", "412": "If-Match", "429": "too many writes" } } },
  "/risk": { get: { summary: "Trading state, positions, counters, exposures, P&L, limits", responses: { "200": "report" } } },
  "/risk/halt": { post: { summary: "HALTED: nothing trades ({ reason })", body: "json", responses: { "200": "new state", "400": "no reason" } } },
  "/risk/reduce": { post: { summary: "REDUCING: only orders that shrink a position ({ reason })", body: "json", responses: { "200": "new state", "400": "no reason", "409": "trading_revoked (the live authorisation expired), or venue_down (the live venue's session is down)" } } },
  "/risk/resume": { post: { summary: "ACTIVE again ({ reason })", body: "json", responses: { "200": "new state", "400": "no reason", "409": "trading_revoked (the live authorisation expired), or venue_down (the live venue's session is down)" } } },
  "/signals": { post: { summary: "An array of signals, decided as over TCP", body: "json", responses: { "200": "replies", "400": "not an array", "413": "body over 1 MiB", "500": "journal commit failed: nothing acknowledged, trading halted" } } },
  "/events": { get: { summary: "Server-Sent Events: config_changed, trading_state_changed, risk_breach, venue", responses: { "200": "text/event-stream" } } },
  "/metrics": { get: { summary: "Prometheus text exposition 0.0.4", responses: { "200": "metrics" } } },
  "/openapi.json": { get: { summary: "This document", responses: { "200": "OpenAPI 3.1" } } },
  "/docs": { get: { summary: "This document, readable", responses: { "200": "HTML" } } },
};

const ERROR_SCHEMA = {
  type: "object",
  required: ["error", "message"],
  properties: {
    error: { type: "string" },
    message: { type: "string" },
    issues: { type: "array", items: { type: "object", properties: { path: { type: "string" }, code: { type: "string" }, message: { type: "string" } } } },
  },
};

/** The OpenAPI 3.1 document. */
export function openapi(keelVersion: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const [path, ops] of Object.entries(ROUTES)) {
    const item: Record<string, unknown> = {};
    for (const [method, op] of Object.entries(ops)) {
      const responses: Record<string, unknown> = {};
      for (const [code, description] of Object.entries(op.responses)) {
        responses[code] = code.startsWith("2")
          ? { description }
          : { description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
      }
      item[method] = {
        summary: op.summary,
        ...(path === "/health" ? { security: [] } : {}),
        ...(op.body === "config"
          ? { requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/ConfigDocument" } }, "application/toml": { schema: { type: "string" } } } } }
          : op.body === "json" ? { requestBody: { content: { "application/json": { schema: {} } } } } : {}),
        responses,
      };
    }
    paths[path] = item;
  }
  const { $schema: _drop, ...doc } = jsonSchema();
  return {
    openapi: "3.1.0",
    info: { title: "keel admin API", version: keelVersion },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: { ConfigDocument: doc, Error: ERROR_SCHEMA },
    },
    security: [{ bearer: [] }],
    paths,
  };
}

function escape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function docsRoutes(app: Hono, d: AppDeps): void {
  const spec = openapi(d.keelVersion);
  app.get("/openapi.json", (c) => c.json(spec));
  app.get("/docs", (c) => {
    // Self-contained: no script or stylesheet from elsewhere (the engine's host may be offline).
    const rows = Object.entries(ROUTES)
      .flatMap(([path, ops]) => Object.entries(ops).map(([m, op]) => `<tr><td><code>${m.toUpperCase()}</code></td><td><code>${escape(path)}</code></td><td>${escape(op.summary)}</td><td>${Object.keys(op.responses).join(" ")}</td></tr>`))
      .join("\n");
    return c.html(`<!doctype html><html><head><meta charset="utf-8"><title>keel admin API</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}td{padding:4px 10px;border-bottom:1px solid #ddd;vertical-align:top}</style></head>
<body><h1>keel admin API ${escape(d.keelVersion)}</h1><p>Every route but <code>GET /health</code> needs <code>Authorization: Bearer &lt;token&gt;</code>. Machine-readable: <a href="/openapi.json">/openapi.json</a>.</p>
<table><tr><th>method</th><th>path</th><th>what</th><th>status codes</th></tr>
${rows}
</table></body></html>`);
  });
}
