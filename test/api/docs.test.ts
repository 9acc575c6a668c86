import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "../../src/api/app.ts";
import { Histogram } from "../../src/metrics/histogram.ts";
import { type Api, READ, startApi } from "./fixture.ts";

const METHODS = ["get", "put", "post", "patch", "delete"] as const;

let api: Api;
let spec: any;
beforeAll(async () => {
  api = startApi();
  spec = await (await api.call("/openapi.json", { token: READ })).json();
});
afterAll(async () => {
  await api.close();
});

/** A documented path with its parameters filled: a symbol nobody has, version 1. */
function concrete(path: string): string {
  return path.replace("{symbol}", "NOSUCH").replace("{v}", "1");
}

describe("GET /openapi.json", () => {
  test("is OpenAPI 3.1 with bearer security, health exempt", () => {
    expect(spec.openapi).toMatch(/^3\.1\./);
    expect(spec.info).toMatchObject({ title: expect.any(String), version: "test" });
    expect(spec.components.securitySchemes.bearer).toEqual({ type: "http", scheme: "bearer" });
    expect(spec.security).toEqual([{ bearer: [] }]);
    expect(spec.paths["/health"].get.security).toEqual([]);
    expect(spec.paths["/config"].get.security).toBeUndefined();
  });

  test("components.schemas.ConfigDocument is the config schema with its six top-level properties", () => {
    const doc = spec.components.schemas.ConfigDocument;
    expect(doc.type).toBe("object");
    expect(Object.keys(doc.properties).sort()).toEqual(["admin", "risk", "strategies", "symbols", "trading", "venue"]);
    expect(doc.$schema).toBeUndefined();
    // Generated from the zod schema, not hand-written: the nested limits are there too.
    expect(JSON.stringify(doc)).toContain("max_config_writes_per_minute");
    expect(JSON.stringify(doc)).toContain("max_daily_loss");
    // Config writes accept it as JSON and TOML as text.
    const put = spec.paths["/config"].put.requestBody.content;
    expect(put["application/json"].schema).toEqual({ $ref: "#/components/schemas/ConfigDocument" });
    expect(put["application/toml"].schema).toEqual({ type: "string" });
    // Every error response points at the one error shape.
    for (const ops of Object.values<any>(spec.paths)) {
      for (const op of Object.values<any>(ops)) {
        for (const [code, res] of Object.entries<any>(op.responses)) {
          if (!code.startsWith("2")) expect(res.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Error" });
        }
      }
    }
    expect(spec.components.schemas.Error.required).toEqual(["error", "message"]);
  });

  test("every route the app serves is documented, and every documented route is served", () => {
    const app = createApp({
      control: api.control, engine: api.engine, store: api.store, bus: api.bus, tokens: { admin: "x", source: "test" }, keelVersion: "test", startedAt: 0,
      stats: { ingestConnections: () => 0, journalBatchRows: new Histogram(), reloadNs: new Histogram() },
    });
    const served = app.routes
      .filter((r) => r.method !== "ALL")
      .map((r) => `${r.method} ${r.path.replace(/:([a-z]+)/g, "{$1}")}`)
      .sort();
    const documented = Object.entries<any>(spec.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(served).toEqual(documented);
    expect(documented.length).toBe(19);
  });

  test("each documented path and method is answered by a route; the undocumented methods are 404", async () => {
    const undocumentedStatus: string[] = [];
    for (const [path, ops] of Object.entries<any>(spec.paths)) {
      for (const method of METHODS) {
        const init: RequestInit = { method: method.toUpperCase() };
        if (method !== "get") init.body = "";
        const controller = new AbortController();
        const r = await api.call(concrete(path), { ...init, signal: controller.signal });
        const documented = method in ops;
        const label = `${method.toUpperCase()} ${path}`;
        if (r.headers.get("content-type")?.includes("text/event-stream")) {
          expect([label, documented]).toEqual([label, true]);
          controller.abort();
          continue;
        }
        const text = await r.text();
        const routeMissing = r.status === 404 && JSON.parse(text).error === "not_found";
        expect([label, routeMissing]).toEqual([label, !documented]);
        // A documented route answers one of its documented status codes.
        if (documented && !(String(r.status) in ops[method].responses)) undocumentedStatus.push(`${label} ${r.status}`);
      }
    }
    expect(undocumentedStatus).toEqual([]);
    // Probing changed nothing: empty bodies were refused, the unknown symbol stayed unknown.
    expect(api.engine.version).toBe(1);
    expect(api.engine.decider.state.tradingState).toBe(0);
  });
});

describe("GET /docs", () => {
  test("is a self-contained HTML page listing every route", async () => {
    const r = await api.call("/docs", { token: READ });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/html");
    const html = await r.text();
    expect(html).toStartWith("<!doctype html>");
    expect(html).not.toMatch(/<script[^>]*src=|<link[^>]*stylesheet/i);
    expect(html).toContain('href="/openapi.json"');
    const rows = [...html.matchAll(/<tr><td><code>([A-Z]+)<\/code><\/td><td><code>([^<]+)<\/code><\/td>/g)].map((m) => `${m[1]} ${m[2]}`).sort();
    const documented = Object.entries<any>(spec.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(rows).toEqual(documented);
  });
});
