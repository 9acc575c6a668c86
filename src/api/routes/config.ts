/**
 * The config routes: read the active document, replace it (PUT), dry-run it (validate), patch or
 * delete one symbol, list and read versions, diff two, roll back. Every write goes through
 * Control, which validates, persists, swaps and publishes, or refuses and changes nothing.
 */
import type { Context, Hono } from "hono";
import { diff } from "../../config/diff.ts";
import { SYMBOL_PATTERN } from "../../config/schema.ts";
import type { WriteMeta, WriteResult } from "../../engine/control.ts";
import type { VersionInfo } from "../../store/store.ts";
import type { AppDeps } from "../app.ts";
import { fail } from "../errors.ts";
import { authorOf, readJson } from "./body.ts";
import type { Format } from "../../config/load.ts";

/** The body's text and its format (TOML by Content-Type, JSON otherwise). */
async function document(c: Context): Promise<{ text: string; format: Format }> {
  const type = (c.req.header("content-type") ?? "").toLowerCase();
  return { text: await c.req.text(), format: type.includes("toml") ? "toml" : "json" };
}

function meta(c: Context): WriteMeta {
  // "*" matches any current version (RFC 9110), so it is no precondition at all.
  const raw = c.req.header("if-match")?.trim();
  const ifMatch = raw === "*" ? undefined : raw?.replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
  const message = c.req.header("x-message")?.slice(0, 1000);
  return { author: authorOf(c), ...(message === undefined ? {} : { message }), ...(ifMatch === undefined ? {} : { ifMatch }) };
}

function answer(c: Context, r: WriteResult): Response {
  if (!r.ok) {
    if (r.retryAfter !== undefined) c.header("Retry-After", String(r.retryAfter));
    return fail(c, r.status, r.error, r.message, r.issues);
  }
  c.header("ETag", `"${r.hash}"`);
  c.header("X-Config-Version", String(r.version));
  const body = { version: r.version, hash: r.hash, warnings: r.warnings, changes: r.changes };
  return c.json(r.unchanged ? { ...body, unchanged: true } : body);
}

function versionRow(v: VersionInfo, active: number) {
  return { version: v.version, hash: v.hash, parent: v.parent, author: v.author, message: v.message, created_at: new Date(v.createdAt).toISOString(), active: v.version === active };
}

/** A positive integer from a path or query parameter, or undefined. */
function positiveInt(s: string | undefined): number | undefined {
  if (s === undefined || !/^[1-9]\d{0,15}$/.test(s)) return undefined;
  return Number(s);
}

export function configRoutes(app: Hono, d: AppDeps): void {
  app.get("/config", (c) => {
    const { version, prepared } = d.control.current;
    c.header("ETag", `"${prepared.hash}"`);
    c.header("X-Config-Version", String(version));
    return c.body(prepared.canonical, 200, { "Content-Type": "application/json" });
  });

  app.put("/config", async (c) => {
    const { text, format } = await document(c);
    return answer(c, await d.control.put(text, format, meta(c)));
  });

  app.post("/config/validate", async (c) => {
    const { text, format } = await document(c);
    const v = await d.control.validate(text, format);
    if ("ok" in v) return fail(c, v.status, v.error, v.message, v.issues);
    return c.json(v);
  });

  app.patch("/config/symbols/:symbol", async (c) => {
    const symbol = c.req.param("symbol");
    if (!SYMBOL_PATTERN.test(symbol)) return fail(c, 400, "invalid_symbol", "a symbol is 1-32 characters of A-Z, 0-9 and . _ - / :");
    const body = await readJson(c);
    if (!body.ok) return body.response;
    return answer(c, await d.control.patchSymbol(symbol, body.value, meta(c)));
  });

  app.delete("/config/symbols/:symbol", async (c) => answer(c, await d.control.deleteSymbol(c.req.param("symbol"), meta(c))));

  app.get("/config/versions", (c) => {
    const q = c.req.query("limit");
    const limit = q === undefined ? 50 : positiveInt(q);
    if (limit === undefined) return fail(c, 400, "invalid_query", "limit must be a positive integer");
    const active = d.control.current.version;
    return c.json({ versions: d.store.listVersions(Math.min(limit, 1000)).map((v) => versionRow(v, active)) });
  });

  app.get("/config/versions/:v", (c) => {
    const v = positiveInt(c.req.param("v"));
    const stored = v === undefined ? null : d.store.getVersion(v);
    if (stored === null) return fail(c, 404, "unknown_version", `there is no version ${c.req.param("v")}`);
    c.header("ETag", `"${stored.hash}"`);
    c.header("X-Config-Version", String(stored.version));
    return c.body(stored.canonical, 200, { "Content-Type": "application/json" });
  });

  app.get("/config/versions/:v/diff", (c) => {
    const a = positiveInt(c.req.param("v"));
    const against = c.req.query("against");
    const b = against === undefined ? d.control.current.version : positiveInt(against);
    const va = a === undefined ? null : d.store.getVersion(a);
    const vb = b === undefined ? null : d.store.getVersion(b);
    if (va === null) return fail(c, 404, "unknown_version", `there is no version ${c.req.param("v")}`);
    if (vb === null) return fail(c, 404, "unknown_version", `there is no version ${against}`);
    // The change list from `against` to v: what activating v would change.
    return c.json({ from: vb.version, to: va.version, changes: diff(JSON.parse(vb.canonical), JSON.parse(va.canonical)) });
  });

  app.post("/config/rollback", async (c) => {
    const body = await readJson(c);
    if (!body.ok) return body.response;
    const v = (body.value as { version?: unknown } | null)?.version;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) return fail(c, 400, "invalid_body", 'expected { "version": N } with N a version number');
    return answer(c, await d.control.rollback(v, meta(c)));
  });
}
