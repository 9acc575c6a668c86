import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMBEDDED_DEFAULT } from "../../src/cli/source.ts";
import { cleanup, exchange, freePort, Output, spawn } from "./serve-helpers.ts";

/** A [venue] section, so that what refuses a live config is the missing authorisation. */
const LIVE_VENUE = '\n[venue]\nhost = "127.0.0.1"\nport = 9\nsender_comp_id = "KEEL"\ntarget_comp_id = "VENUE"\n';

afterEach(cleanup);

describe("keel serve", () => {
  test("serves signals over TCP and stops cleanly on SIGTERM", async () => {
    const port = freePort();
    const p = spawn(["--ingest", `127.0.0.1:${port}`]);
    const output = new Output(p);
    const out = await output.waitFor("running");
    expect(out).toContain("mode paper");
    expect(out).toContain("28 symbols");
    expect(out).toMatch(/config v1 .*sha256 [0-9a-f]{12}/);
    expect(out).toContain(`ingest listening on 127.0.0.1:${port} (NDJSON signals)`);

    const replies = await exchange(
      port,
      '{"id":"1","symbol":"AAPL","side":"buy","strength":0.5,"price":190.1}\nnot json\n{"id":"3","symbol":"NOPE","side":"buy","strength":0.5,"price":1}\n',
      3,
    );
    expect(replies[0]).toMatchObject({ id: "1", status: "accepted", order: { symbol: "AAPL", side: "buy", qty: 100 }, config_version: 1 });
    expect(replies[1].status).toBe("error");
    expect(replies[2]).toEqual({ id: "3", status: "rejected", reason: "unknown_symbol", config_version: 1 });

    p.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    expect(await output.all()).toContain("keel [paper]: stopped");
  });

  test("SIGINT stops it too, with open connections", async () => {
    const port = freePort();
    const p = spawn(["--ingest", `127.0.0.1:${port}`]);
    const output = new Output(p);
    await output.waitFor("running");
    let closed = false;
    await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {}, close: () => void (closed = true) } });
    p.kill("SIGINT");
    expect(await p.exited).toBe(0);
    expect(await output.all()).toContain("stopped");
    for (let i = 0; i < 100 && !closed; i++) await Bun.sleep(10);
    expect(closed).toBe(true);
  });

  test("a bad --ingest value is a one-line usage error, exit 2", async () => {
    for (const bad of ["nope", "127.0.0.1:99999", ":8788", "127.0.0.1:x"]) {
      const p = spawn(["--ingest", bad]);
      expect(await p.exited).toBe(2);
      const err = await new Response(p.stderr).text();
      expect(err.trim().split("\n")).toHaveLength(1);
      expect(err).toContain("--ingest");
    }
  });

  test("a bad --retain-days is a one-line usage error, exit 2", async () => {
    for (const bad of ["0", "-1", "1.5", "x"]) {
      const p = spawn(["--retain-days", bad]);
      expect(await p.exited).toBe(2);
      const err = await new Response(p.stderr).text();
      expect(err.trim().split("\n")).toHaveLength(1);
      expect(err).toContain("--retain-days");
    }
  });

  test("a port in use is a one-line error naming the address, exit 1", async () => {
    const taken = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const p = spawn(["--ingest", `127.0.0.1:${taken.port}`]);
      expect(await p.exited).toBe(1);
      const err = await new Response(p.stderr).text();
      expect(err.trim().split("\n")).toHaveLength(1);
      expect(err).toContain(`127.0.0.1:${taken.port}`);
      expect(err).toContain("in use");
      expect(err).not.toContain("    at ");
    } finally {
      taken.stop(true);
    }
  });

  test("a live-mode config is refused with exit 3", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-serve-"));
    try {
      const file = join(dir, "live.toml");
      const text = EMBEDDED_DEFAULT.text.replace(/^mode = "paper"/m, 'mode = "live"') + LIVE_VENUE;
      expect(text).not.toBe(EMBEDDED_DEFAULT.text);
      writeFileSync(file, text);
      const p = spawn(["--config", file, "--ingest", `127.0.0.1:${freePort()}`]);
      expect(await p.exited).toBe(3);
      const err = await new Response(p.stderr).text();
      expect(err).toContain("authorisation");
      expect(await new Response(p.stdout).text()).not.toContain("running");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a live-mode config without a [venue] section is refused with exit 3, saying so", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-serve-"));
    try {
      const file = join(dir, "live.toml");
      writeFileSync(file, EMBEDDED_DEFAULT.text.replace(/^mode = "paper"/m, 'mode = "live"'));
      const p = spawn(["--config", file, "--data", join(dir, "data"), "--ingest", `127.0.0.1:${freePort()}`]);
      expect(await p.exited).toBe(3);
      const err = await new Response(p.stderr).text();
      expect(err).toContain("needs a [venue] section");
      expect(err).toContain("sender_comp_id");
      expect(err.trim().split("\n")).toHaveLength(1);
      expect(existsSync(join(dir, "data"))).toBe(false); // refused before anything was created
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("an invalid config exits 1 with its issues", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-serve-"));
    try {
      const file = join(dir, "bad.toml");
      writeFileSync(file, '[trading]\nmode = "paper"\nbogus_key = 1\n');
      const p = spawn(["--config", file]);
      expect(await p.exited).toBe(1);
      expect(await new Response(p.stderr).text()).toContain("invalid; not starting");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("--help documents the flags and an example", async () => {
    const p = spawn(["--help"]);
    expect(await p.exited).toBe(0);
    const out = await new Response(p.stdout).text();
    expect(out).toContain("--ingest HOST:PORT");
    expect(out).toContain("127.0.0.1:8788");
    expect(out).toContain("nc 127.0.0.1 8788");
  });
});
