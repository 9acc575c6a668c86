/**
 * Bearer tokens for the admin API. The admin token comes from KEEL_ADMIN_TOKEN, or is generated at
 * first start into `<data>/admin.token` (mode 0600) and reused after; KEEL_READ_TOKEN, when set,
 * allows GET routes only. Tokens are compared in constant time (over their sha256, so their
 * lengths do not leak either). `GET /health` needs no token.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MiddlewareHandler } from "hono";
import { fail } from "./errors.ts";

export interface Tokens {
  readonly admin: string;
  readonly read?: string;
  /** Where the admin token was read from or written to (for the start-up log). */
  readonly source: string;
}

/** The tokens for a data directory: from the environment, or the generated file. */
export function loadTokens(dataDir: string, env: Record<string, string | undefined> = process.env): Tokens {
  const read = env.KEEL_READ_TOKEN && env.KEEL_READ_TOKEN.length > 0 ? env.KEEL_READ_TOKEN : undefined;
  if (env.KEEL_ADMIN_TOKEN && env.KEEL_ADMIN_TOKEN.length > 0) {
    return read === undefined ? { admin: env.KEEL_ADMIN_TOKEN, source: "KEEL_ADMIN_TOKEN" } : { admin: env.KEEL_ADMIN_TOKEN, read, source: "KEEL_ADMIN_TOKEN" };
  }
  const path = join(dataDir, "admin.token");
  let admin = existsSync(path) ? readFileSync(path, "utf8").trim() : "";
  // An empty file (a write cut short) would be a token nobody can present: generate a new one.
  if (admin.length === 0) {
    admin = randomBytes(32).toString("base64url");
    writeFileSync(path, `${admin}\n`, { mode: 0o600 });
  }
  chmodSync(path, 0o600);
  return read === undefined ? { admin, source: path } : { admin, read, source: path };
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

/** Constant-time equality of two strings. */
export function sameToken(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** The auth middleware: 401 without a valid token, 403 for the read token on a write. */
export function requireToken(tokens: Tokens): MiddlewareHandler {
  const admin = digest(tokens.admin);
  const read = tokens.read === undefined ? null : digest(tokens.read);
  return async (c, next) => {
    // HEAD too: Hono answers HEAD from the GET route, and health checkers often send HEAD.
    if ((c.req.method === "GET" || c.req.method === "HEAD") && c.req.path === "/health") return next();
    const header = c.req.header("authorization") ?? "";
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const given = m === null ? null : digest(m[1]!);
    if (given !== null && timingSafeEqual(given, admin)) return next();
    if (given !== null && read !== null && timingSafeEqual(given, read)) {
      if (c.req.method === "GET" || c.req.method === "HEAD") return next();
      return fail(c, 403, "forbidden", "the read-only token allows GET requests only");
    }
    c.header("WWW-Authenticate", 'Bearer realm="keel"');
    return fail(c, 401, "unauthorized", m === null ? "missing Authorization: Bearer <token>" : "wrong token");
  };
}
