import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { EMBEDDED_DEFAULT } from "../../src/cli/source.ts";
import { prepareText } from "../../src/config/prepare.ts";
import { freePort, MAIN, Output, type Proc } from "../cli/serve-helpers.ts";
import { expectedRecord, snapshotCli, tempDir } from "./fixtures.ts";

// Processes and directories are tracked here rather than by serve-helpers' spawn(): its
// afterEach is registered once, in the first test file that imports it, so in a full run it does
// not clean up after the tests of later files.
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** `keel serve ARGS` on an ephemeral admin port and a free ingest port. */
function serve(args: string[]): Proc {
  const p = Bun.spawn([process.execPath, MAIN, "serve", "--admin", "127.0.0.1:0", "--ingest", `127.0.0.1:${freePort()}`, ...args], {
    stdin: "ignore", stdout: "pipe", stderr: "pipe",
  });
  cleanups.push(async () => {
    if (p.exitCode === null) p.kill("SIGKILL");
    await p.exited;
  });
  return p;
}

/** A data directory removed after the test (after its server has stopped). */
function dataDir(): string {
  const t = tempDir("keel-export-serve-");
  cleanups.push(t.remove);
  return t.dir;
}

const embedded = () => {
  const p = prepareText(EMBEDDED_DEFAULT.text, "toml");
  if (!p.ok) throw new Error("embedded config invalid");
  return p;
};

describe("keel serve --export-snapshot", () => {
  test("writes DATA/snapshot.bin at start and again when a PUT changes a limit", async () => {
    const dir = dataDir();
    const p = serve(["--data", dir]);
    const output = new Output(p);
    const out = await output.waitFor("running");
    expect(out).toContain(`snapshot export: config v1 in ${join(dir, "snapshot.bin")}`);
    const admin = /admin API on (http:\/\/\S+)/.exec(out)![1]!;

    const first = await snapshotCli(["--data", dir, "AAPL", "--json"]);
    expect(first.err).toBe("");
    const { sector_id: _s, strategy_id: _t, sequence, ...aapl } = JSON.parse(first.out);
    expect(aapl).toEqual(expectedRecord(embedded(), "AAPL", 1));
    expect(sequence).toBe(2);

    // The token serve uses: the environment's, or the one it generated into the data dir.
    const token = process.env.KEEL_ADMIN_TOKEN || readFileSync(join(dir, "admin.token"), "utf8").trim();
    const auth = { authorization: `Bearer ${token}` };
    const doc = await (await fetch(`${admin}/config`, { headers: auth })).json();
    expect(doc.risk.limits.max_daily_trades).toBe(150);
    doc.risk.limits.max_daily_trades = 77;
    const put = await fetch(`${admin}/config`, { method: "PUT", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(doc) });
    expect(put.status).toBe(200);
    expect((await put.json()).version).toBe(2);

    const second = JSON.parse((await snapshotCli(["--data", dir, "AAPL", "--json"])).out);
    expect(second).toMatchObject({ config_version: 2, sequence: 4, limits: { ...aapl.limits, max_daily_trades: 77 } });
    const summary = await snapshotCli(["--data", dir]);
    expect(summary.out).toMatch(/config v2 .* seq 4/);

    p.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    // The file outlives the engine: the last active config, readable offline.
    expect(JSON.parse((await snapshotCli(["--data", dir, "AAPL", "--json"])).out).config_version).toBe(2);
  }, 20_000);

  test("--no-export-snapshot writes no file", async () => {
    const dir = dataDir();
    const p = serve(["--data", dir, "--no-export-snapshot"]);
    const output = new Output(p);
    const out = await output.waitFor("running");
    expect(out).not.toContain("snapshot export");
    expect(existsSync(join(dir, "snapshot.bin"))).toBe(false);
    expect((await snapshotCli(["--data", dir])).code).toBe(1);
    p.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    expect(existsSync(join(dir, "snapshot.bin"))).toBe(false);
  });

  test("both flags at once are a usage error, exit 2", async () => {
    const p = serve(["--data", dataDir(), "--export-snapshot", "--no-export-snapshot"]);
    expect(await p.exited).toBe(2);
    expect(await new Response(p.stderr).text()).toContain("--no-export-snapshot");
  });
});
