import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadTokens, sameToken } from "../../src/api/auth.ts";
import { ROUTES } from "../../src/api/routes/docs.ts";
import { type Api, json, READ, startApi } from "./fixture.ts";

/** Every documented route as [method, concrete path]; path parameters filled with harmless values. */
function everyRoute(): [string, string][] {
  const out: [string, string][] = [];
  for (const [path, ops] of Object.entries(ROUTES)) {
    const concrete = path.replace("{symbol}", "AAPL").replace("{v}", "1");
    for (const method of Object.keys(ops)) out.push([method.toUpperCase(), concrete]);
  }
  return out;
}

async function expectError(r: Response, status: number, code: string): Promise<any> {
  expect(r.status).toBe(status);
  expect(r.headers.get("content-type") ?? "").toContain("application/json");
  const body = await r.json();
  expect(body.error).toBe(code);
  expect(typeof body.message).toBe("string");
  expect(body.message.length).toBeGreaterThan(0);
  return body;
}

describe("bearer auth on a running API", () => {
  let api: Api;
  beforeAll(() => {
    api = startApi();
  });
  afterAll(async () => {
    await api.close();
  });

  test("GET /health needs no token", async () => {
    const r = await api.call("/health", { token: null });
    expect(r.status).toBe(200);
    expect((await r.json()).status).toBe("ok");
    // Health checkers often send HEAD: answered from the GET route, without a body or a token.
    const head = await api.call("/health", { method: "HEAD", token: null });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    // Only /health is exempt: HEAD of another GET route still needs the token.
    expect((await api.call("/config", { method: "HEAD", token: null })).status).toBe(401);
    expect((await api.call("/config", { method: "HEAD" })).status).toBe(200);
  });

  test("every other route without a token is 401 with WWW-Authenticate: Bearer and the JSON error shape", async () => {
    const routes = everyRoute().filter(([m, p]) => !(m === "GET" && p === "/health"));
    expect(routes.length).toBeGreaterThan(15);
    for (const [method, path] of routes) {
      const r = await api.call(path, { method, token: null, ...(method === "GET" ? {} : { body: "{}" }) });
      expect({ method, path, status: r.status }).toEqual({ method, path, status: 401 });
      expect(r.headers.get("www-authenticate") ?? "").toMatch(/^Bearer\b/);
      const body = await expectError(r, 401, "unauthorized");
      expect(body.message).toContain("Authorization");
    }
    // Nothing was done on their behalf.
    expect(api.engine.version).toBe(1);
    expect(api.engine.snapshot.index.has("AAPL")).toBe(true);
  });

  test("a wrong token, another scheme, or a bare 'Bearer' is 401", async () => {
    for (const header of ["Bearer nope", "Bearer admin-token-for-tests-but-longer", "Basic YWRtaW46cHc=", "Bearer", "Bearer a b", "admin-token-for-tests"]) {
      const r = await api.call("/config", { headers: { authorization: header } });
      expect({ header, status: r.status }).toEqual({ header, status: 401 });
      expect(r.headers.get("www-authenticate") ?? "").toMatch(/^Bearer\b/);
      await expectError(r, 401, "unauthorized");
    }
    const wrong = await (await api.call("/config", { token: "nope" })).json();
    expect(wrong.message).toBe("wrong token");
  });

  test("the scheme name is case-insensitive (RFC 7235)", async () => {
    const r = await api.call("/config", { headers: { authorization: "bearer admin-token-for-tests" } });
    expect(r.status).toBe(200);
  });

  test("the read token can GET, including /config/versions, /risk and /metrics", async () => {
    for (const path of ["/config", "/risk", "/metrics", "/config/versions", "/config/versions/1", "/config/versions/1/diff", "/openapi.json", "/docs"]) {
      const r = await api.call(path, { token: READ });
      expect({ path, status: r.status }).toEqual({ path, status: 200 });
      await r.arrayBuffer();
    }
  });

  test("the read token gets 403 on every write, and nothing changes", async () => {
    const lastDay = api.store.lastDay();
    const writes: [string, string, unknown][] = [
      ["PUT", "/config", JSON.parse(await (await api.call("/config")).text())],
      ["POST", "/config/validate", {}],
      ["POST", "/config/rollback", { version: 1 }],
      ["POST", "/risk/halt", { reason: "read token" }],
      ["POST", "/risk/reduce", { reason: "read token" }],
      ["POST", "/risk/resume", { reason: "read token" }],
      ["PATCH", "/config/symbols/AAPL", { reference_price: 191 }],
      ["DELETE", "/config/symbols/AAPL", undefined],
      ["POST", "/signals", [{ id: "r1", symbol: "AAPL", side: "buy", strength: 0.5, price: 190.1 }]],
    ];
    for (const [method, path, body] of writes) {
      const r = await api.call(path, { method, token: READ, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }) });
      expect({ method, path, status: r.status }).toEqual({ method, path, status: 403 });
      await expectError(r, 403, "forbidden");
    }
    expect(api.engine.version).toBe(1);
    expect(api.store.listVersions().length).toBe(1);
    expect(api.engine.snapshot.index.has("AAPL")).toBe(true);
    expect(api.engine.decider.state.tradingState).toBe(0);
    expect(api.engine.outcomes.reduce((a, b) => a + b, 0)).toBe(0);
    expect(api.store.lastDay()).toBe(lastDay);
  });

  test("an unknown route with the token is 404 in the JSON shape; without a token it is 401 (auth runs first)", async () => {
    for (const [method, path] of [["GET", "/nope"], ["GET", "/config/versions/1/nope"], ["POST", "/health"], ["DELETE", "/risk"], ["GET", "/"]] as const) {
      const body = await expectError(await api.call(path, { method }), 404, "not_found");
      expect(body.message).toContain(path);
      const anon = await api.call(path, { method, token: null });
      // Unauthenticated callers learn nothing about which routes exist.
      expect({ method, path, status: anon.status }).toEqual({ method, path, status: 401 });
      await anon.arrayBuffer();
    }
    // The read token is authenticated: an unknown GET is 404 for it too, an unknown write 403.
    await expectError(await api.call("/nope", { token: READ }), 404, "not_found");
    await expectError(await api.call("/nope", { method: "POST", token: READ }), 403, "forbidden");
  });
});

describe("a write by an unauthorised caller changes nothing", () => {
  let api: Api | null = null;
  afterEach(async () => {
    await api?.close();
    api = null;
  });

  test("PUT /config with a wrong token leaves the active version", async () => {
    api = startApi();
    const doc = JSON.parse(await (await api.call("/config")).text());
    doc.risk.limits.max_daily_trades = 3;
    const r = await api.call("/config", { ...json(doc), token: "wrong" });
    expect(r.status).toBe(401);
    expect(api.engine.version).toBe(1);
    expect(api.store.listVersions().length).toBe(1);
  });
});

describe("loadTokens", () => {
  const dirs: string[] = [];
  function dir(): string {
    const d = mkdtempSync(join(tmpdir(), "keel-tokens-"));
    dirs.push(d);
    return d;
  }
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  test("generates <data>/admin.token with mode 0600 at first start, and reuses it after", () => {
    const d = dir();
    const path = join(d, "admin.token");
    const first = loadTokens(d, {});
    expect(first.source).toBe(path);
    expect(first.read).toBeUndefined();
    expect(first.admin.length).toBeGreaterThanOrEqual(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, "utf8").trim()).toBe(first.admin);
    const second = loadTokens(d, {});
    expect(second.admin).toBe(first.admin);
    expect(second.source).toBe(path);
    // Another data directory gets another token.
    expect(loadTokens(dir(), {}).admin).not.toBe(first.admin);
  });

  test("an existing token file with looser permissions is tightened to 0600", () => {
    const d = dir();
    const path = join(d, "admin.token");
    writeFileSync(path, "my-own-token\n");
    chmodSync(path, 0o644);
    expect(loadTokens(d, {}).admin).toBe("my-own-token");
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  test("an empty token file is replaced by a generated token, not accepted as an empty token", () => {
    const d = dir();
    const path = join(d, "admin.token");
    writeFileSync(path, "\n", { mode: 0o600 });
    const t = loadTokens(d, {});
    expect(t.admin.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(path, "utf8").trim()).toBe(t.admin);
    expect(loadTokens(d, {}).admin).toBe(t.admin);
  });

  test("KEEL_ADMIN_TOKEN overrides, and no file is written", () => {
    const d = dir();
    const t = loadTokens(d, { KEEL_ADMIN_TOKEN: "from-env" });
    expect(t).toEqual({ admin: "from-env", source: "KEEL_ADMIN_TOKEN" });
    expect(existsSync(join(d, "admin.token"))).toBe(false);
    // It wins over a file that is already there too.
    const generated = loadTokens(d, {}).admin;
    expect(loadTokens(d, { KEEL_ADMIN_TOKEN: "from-env" }).admin).toBe("from-env");
    expect(loadTokens(d, { KEEL_ADMIN_TOKEN: "" }).admin).toBe(generated);
  });

  test("KEEL_READ_TOKEN is passed through with either admin source", () => {
    const d = dir();
    expect(loadTokens(d, { KEEL_ADMIN_TOKEN: "a", KEEL_READ_TOKEN: "r" })).toEqual({ admin: "a", read: "r", source: "KEEL_ADMIN_TOKEN" });
    const fromFile = loadTokens(d, { KEEL_READ_TOKEN: "r" });
    expect(fromFile.read).toBe("r");
    expect(fromFile.source).toBe(join(d, "admin.token"));
    expect(loadTokens(d, { KEEL_READ_TOKEN: "" }).read).toBeUndefined();
  });

  test("sameToken compares by value, whatever the lengths", () => {
    expect(sameToken("abc", "abc")).toBe(true);
    expect(sameToken("abc", "abd")).toBe(false);
    expect(sameToken("abc", "abcd")).toBe(false);
    expect(sameToken("", "x")).toBe(false);
  });
});
