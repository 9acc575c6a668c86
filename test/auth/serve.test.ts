/**
 * Live authorisation through the real `keel serve` process: every refusal (exit 3, its own
 * message, nothing written), a valid token starting live on live.db with its caps surviving a
 * PUT, and an expiry while running halting the engine, audited and published on /events.
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { cleanup, exchange, freePort, Output, spawn, type Proc } from "../cli/serve-helpers.ts";
import { keel } from "../crash/harness.ts";
import { Acceptor, killAll } from "../venue/fix/acceptor-process.ts";
import { cleanupDirs, dataWithTrust, liveConfig, tamperByte, tempDir, testKey, token, type TestKey } from "./fixtures.ts";

afterEach(async () => {
  await cleanup();
  cleanupDirs();
});
afterAll(() => killAll());

/** An independent FIX acceptor (jspurefix under Node) for a live engine to log on to. */
async function acceptor(): Promise<Acceptor> {
  return Acceptor.start(tempDir());
}

/**
 * A live engine starts HALTED until its FIX session is logged on; an operator then resumes it.
 * Resume is refused (409 venue_down) until the logon, so this retries until it is accepted.
 */
async function resumeOnceLoggedOn(admin: string, auth: Record<string, string>): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = await fetch(`${admin}/risk/resume`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: '{"reason":"venue logged on"}' });
    if (r.status === 200) return;
    const body = await r.json();
    if (body.error !== "venue_down" || Date.now() > deadline) throw new Error(`resume refused: ${JSON.stringify(body)}`);
    await Bun.sleep(50);
  }
}

const HOST = hostname();
const REFUSED = "keel: live trading refused: ";

/** `keel serve` with args on a fresh ingest port; resolves to its exit code and stderr. */
async function refused(args: string[]): Promise<{ code: number; stderr: string }> {
  const p = spawn(["--ingest", `127.0.0.1:${freePort()}`, ...args]);
  const [code, stderr] = await Promise.all([p.exited, new Response(p.stderr).text()]);
  return { code, stderr };
}

const iso = (ms: number) => new Date(ms).toISOString();
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Start live serve and wait until it runs: the process, its output, admin URL and token. */
async function startLive(data: string, args: string[]): Promise<{ p: Proc; out: Output; admin: string; auth: Record<string, string>; ingest: number }> {
  const ingest = freePort();
  const p = spawn(["--data", data, "--ingest", `127.0.0.1:${ingest}`, ...args]);
  const out = new Output(p);
  const text = await out.waitFor("running", 20_000).catch(async (err) => {
    throw new Error(`${err.message}\nstderr: ${await new Response(p.stderr).text()}`);
  });
  const admin = /admin API on (http:\/\/\S+)/.exec(text)![1]!;
  const adminToken = process.env.KEEL_ADMIN_TOKEN || readFileSync(join(data, "admin.token"), "utf8").trim();
  return { p, out, admin, auth: { authorization: `Bearer ${adminToken}` }, ingest };
}

/** One signal over the ingest socket, its reply. */
async function signal(port: number, line: object): Promise<any> {
  return (await exchange(port, `${JSON.stringify(line)}\n`, 1))[0];
}

describe("keel serve refuses live trading without a valid authorisation: exit 3, one line, nothing written", () => {
  test("each missing or wrong piece has its own message", async () => {
    const key = await testKey();
    const other = await testKey();
    const now = Date.now();
    const config = liveConfig();
    const good = await token(key, now);
    const expiredAt = now - 3_600_000;
    const startsAt = now + 3_600_000;
    const trusting = () => dataWithTrust(key);
    const empty = () => join(tempDir(), "data");
    // [case, data dir, extra flags, the message exactly (a RegExp where it holds the current time)]
    const cases: [string, string, string[], string | RegExp][] = [
      ["missing token", trusting(), [], `trading.mode = "live" needs a signed authorisation: --live-auth TOKEN (a token from 'keel auth sign', or a file holding one)`],
      ["malformed token", trusting(), ["--live-auth", "not-a-token"],
        "--live-auth 'not-a-token' is neither a file nor a token: expected two base64url parts joined by '.', found 1 part(s)"],
      ["no trusted key", empty(), ["--live-auth", good], "NO_KEY"],
      ["a --trusted-key that does not exist", trusting(), ["--live-auth", good, "--trusted-key", "/nonexistent/k.pub"], "trusted key /nonexistent/k.pub does not exist"],
      ["wrong key", trusting(), ["--live-auth", await token(other, now)], "WRONG_KEY"],
      ["tampered payload", trusting(), ["--live-auth", tamperByte(good, '"expires_at":"20')],
        `the token's signature does not verify against trusted key ${key.pair.keyId}: its payload or signature was altered after signing`],
      ["wrong mode", trusting(), ["--live-auth", await token(key, now, { mode: "paper" })], `the token authorises mode "paper", not "live"`],
      ["wrong host", trusting(), ["--live-auth", await token(key, now, { host: "elsewhere-01" })], `the token is for host "elsewhere-01", but this host is "${HOST}"`],
      ["expired", trusting(), ["--live-auth", await token(key, now, { not_before: iso(now - 7_200_000), expires_at: iso(expiredAt) })],
        new RegExp(`^the token expired at ${escape(iso(expiredAt))} \\(1h(\\d+m)?(\\d+s)? ago; it is now \\S+\\)$`)],
      ["not yet valid", trusting(), ["--live-auth", await token(key, now, { not_before: iso(startsAt), expires_at: iso(now + 7_200_000) })],
        new RegExp(`^the token is not valid before ${escape(iso(startsAt))} \\(in (59m\\d+s|1h); it is now \\S+\\)$`)],
    ];
    const expected = (data: string, m: string | RegExp) =>
      m === "NO_KEY"
        ? `no trusted public key: give --trusted-key FILE, or put the signer's public key ('keel auth keygen' writes it as .pub) in ${join(data, "trusted_keys")}/`
        : m === "WRONG_KEY"
          ? `the token is signed by key ${other.pair.keyId}, which is not a trusted key (trusted: ${key.pair.keyId} (${join(data, "trusted_keys", "signer.pub")}))`
          : m;
    // In parallel: each is a process start.
    const results = await Promise.all(cases.map(([, data, flags]) => refused(["--config", config, "--data", data, ...flags])));
    for (const [k, [name, data, , m]] of cases.entries()) {
      const { code, stderr } = results[k]!;
      const lines = stderr.trim().split("\n");
      expect({ name, code, lines: lines.length }).toEqual({ name, code: 3, lines: 1 });
      expect(lines[0]!.startsWith(REFUSED) && lines[0]!.endsWith("; not starting")).toBe(true);
      const message = lines[0]!.slice(REFUSED.length, -"; not starting".length);
      const want = expected(data, m);
      if (typeof want === "string") expect({ name, message }).toEqual({ name, message: want });
      else expect(message).toMatch(want);
      // Refused before the database is opened: no file of either mode.
      expect({ name, files: existsSync(join(data, "live.db")) || existsSync(join(data, "paper.db")) }).toEqual({ name, files: false });
    }
  }, 60_000);

  test("a trusted key anyone may write is refused, naming the file and the fix", async () => {
    const key = await testKey();
    const data = dataWithTrust(key);
    const file = join(data, "trusted_keys", "signer.pub");
    chmodSync(file, 0o666);
    const { code, stderr } = await refused(["--config", liveConfig(), "--data", data, "--live-auth", await token(key, Date.now())]);
    expect(code).toBe(3);
    expect(stderr.trim()).toBe(
      `${REFUSED}trusted key ${file} is writable by group or others (mode 0666), so anyone who can write it could authorise live trading; chmod go-w it; not starting`,
    );
  }, 20_000);
});

describe("keel serve with a valid authorisation", () => {
  test("starts live on live.db, says so everywhere, and holds the token's caps across a PUT", async () => {
    const key = await testKey();
    const data = dataWithTrust(key);
    const tokenFile = join(tempDir(), "live.token");
    writeFileSync(tokenFile, `${await token(key, Date.now(), { caps: { max_order_notional: 10_000 } })}\n`);
    const venue = await acceptor();
    const s = await startLive(data, ["--config", liveConfig(undefined, venue.port), "--live-auth", tokenFile]);
    const text = s.out.text;
    expect(text).toContain(`keel [live]: mode live, database ${join(data, "live.db")}`);
    expect(text).toContain(`keel [live]: live trading authorised for host ${HOST} by key ${key.pair.keyId} (${join(data, "trusted_keys", "signer.pub")}) until `);
    expect(text).toContain(", caps max_order_notional 10000");
    // Every start-up line names the mode.
    for (const line of text.trim().split("\n")) expect(line).toStartWith("keel [live]: ");
    expect(existsSync(join(data, "live.db"))).toBe(true);
    expect(existsSync(join(data, "paper.db"))).toBe(false);
    // Its own snapshot file too: a paper engine on the same directory writes snapshot.bin.
    expect(existsSync(join(data, "snapshot-live.bin"))).toBe(true);
    expect(existsSync(join(data, "snapshot.bin"))).toBe(false);

    await resumeOnceLoggedOn(s.admin, s.auth);
    const health = await (await fetch(`${s.admin}/health`)).json();
    expect(health).toMatchObject({ mode: "live", trading_state: "ACTIVE", live_auth_expires_at: expect.stringMatching(/Z$/) });

    // AAPL: momentum, 200 * 0.5 = 100 shares at ~190: about 19,000 notional, over the 10,000 cap.
    const order = (id: string) => ({ id, symbol: "AAPL", side: "buy", strength: 0.5, price: 190 });
    expect(await signal(s.ingest, order("1"))).toMatchObject({ status: "rejected", reason: "max_order_notional" });

    const doc = await (await fetch(`${s.admin}/config`, { headers: s.auth })).json();
    doc.risk.limits.max_order_notional = 5_000_000;
    const put = await fetch(`${s.admin}/config`, { method: "PUT", headers: { ...s.auth, "content-type": "application/json" }, body: JSON.stringify(doc) });
    expect(put.status).toBe(200);
    expect(await signal(s.ingest, order("2"))).toMatchObject({ status: "rejected", reason: "max_order_notional", config_version: 2 });
    // Under the cap, an order goes out over FIX to the counterparty.
    expect(await signal(s.ingest, { ...order("3"), strength: 0.05 })).toMatchObject({ status: "accepted", order: { qty: 10 } });
    const deadline = Date.now() + 10_000;
    while ((await venue.stats()).orders < 1 && Date.now() < deadline) await Bun.sleep(20);
    expect((await venue.stats()).symbols).toEqual(["AAPL"]);
    const risk = await (await fetch(`${s.admin}/risk`, { headers: s.auth })).json();
    expect(risk.limits.max_order_notional).toBe(10_000);
    expect(risk.live_authorisation).toMatchObject({ host: HOST, key_id: key.pair.keyId, caps: { max_order_notional: 10_000 } });

    // The mode is not the API's to change.
    doc.trading.mode = "paper";
    const flip = await fetch(`${s.admin}/config`, { method: "PUT", headers: { ...s.auth, "content-type": "application/json" }, body: JSON.stringify(doc) });
    expect(flip.status).toBe(409);
    expect((await flip.json()).error).toBe("restart_required");

    s.p.kill("SIGTERM");
    expect(await s.p.exited).toBe(0);
    expect(await s.out.all()).toContain("keel [live]: stopped");
  }, 30_000);

  test("paper mode needs no token and ignores --live-auth with a warning; it never touches live.db", async () => {
    const data = join(tempDir(), "data");
    mkdirSync(data);
    const ingest = freePort();
    const p = spawn(["--data", data, "--ingest", `127.0.0.1:${ingest}`, "--live-auth", "whatever"]);
    const out = new Output(p);
    expect(await out.waitFor("running", 20_000)).toContain(`keel [paper]: mode paper, database ${join(data, "paper.db")}`);
    p.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    expect(await new Response(p.stderr).text()).toBe('warning: --live-auth and --trusted-key are ignored: trading.mode is "paper", which needs no authorisation\n');
    expect(existsSync(join(data, "paper.db"))).toBe(true);
    expect(existsSync(join(data, "live.db"))).toBe(false);
  }, 30_000);
});

describe("the authorisation expiring while running", () => {
  test("HALTED with the reason, working orders cancelled at the venue, published on /events, audited, and resume refused", async () => {
    const key: TestKey = await testKey();
    const data = dataWithTrust(key);
    // Long enough to start on a busy machine, short enough to wait for.
    const venue = await acceptor();
    const now = Date.now();
    const expiresAt = now + 5000;
    const t = await token(key, now, { not_before: iso(now - 60_000), expires_at: iso(expiresAt) });
    // WRK... symbols stay working at the acceptor (acceptor.cjs): the expiry's halt must cancel them.
    const working = '\n[symbols.WRKX]\nsector = "tech"\nreference_price = 100\ntick_size = 0.01\nlot_size = 1\n';
    const s = await startLive(data, ["--config", liveConfig((t) => t + working, venue.port), "--live-auth", t]);
    const reason = `live authorisation expired at ${iso(expiresAt)}`;

    const controller = new AbortController();
    const events = await fetch(`${s.admin}/events`, { headers: s.auth, signal: controller.signal });
    await resumeOnceLoggedOn(s.admin, s.auth);
    expect(await signal(s.ingest, { id: "w1", symbol: "WRKX", side: "buy", strength: 0.5, price: 100 })).toMatchObject({ status: "accepted" });
    const reader = events.body!.getReader();
    let sse = "";
    const deadline = Date.now() + 20_000;
    // The resume is the first trading_state_changed; the expiry's halt comes after it.
    while (!sse.includes("live-auth") && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      sse += new TextDecoder().decode(value);
    }
    controller.abort();
    const frame = /event: trading_state_changed\ndata: (.*live-auth.*)\n/.exec(sse);
    expect(frame).not.toBeNull();
    expect(JSON.parse(frame![1]!)).toMatchObject({ from: "ACTIVE", to: "HALTED", reason, author: "live-auth" });

    expect((await (await fetch(`${s.admin}/health`)).json()).trading_state).toBe("HALTED");
    const resume = await fetch(`${s.admin}/risk/resume`, { method: "POST", headers: { ...s.auth, "content-type": "application/json" }, body: '{"reason":"please"}' });
    expect(resume.status).toBe(409);
    expect((await resume.json()).error).toBe("trading_revoked");
    expect(await signal(s.ingest, { id: "late", symbol: "AAPL", side: "buy", strength: 0.1, price: 190 })).toMatchObject({ reason: "trading_halted" });
    expect(s.out.text).toContain(`keel [live]: trading state ACTIVE -> HALTED (${reason}, by live-auth)`);
    // The halt cancelled the order still working at the venue (an OrderCancelRequest it answered).
    const until = Date.now() + 10_000;
    while ((await venue.stats()).cancels < 1 && Date.now() < until) await Bun.sleep(20);
    expect(await venue.stats()).toMatchObject({ orders: 1, cancels: 1, symbols: ["WRKX"] });
    s.p.kill("SIGTERM");
    expect(await s.p.exited).toBe(0);

    // In the audit log of the live database, as keel state reads it.
    const state = await keel(["state", "--data", data, "--mode", "live", "--json"]);
    expect(state.code).toBe(0);
    const audit = JSON.parse(state.stdout).audit;
    expect(audit).toContainEqual(expect.objectContaining({ author: "live-auth", action: "halt", reason }));
    expect(JSON.parse(state.stdout).trading_state).toBe("HALTED");
  }, 40_000);
});
