/**
 * `keel versions` and `keel diff` on databases made by real `keel serve` restarts with changed
 * --config files. Temp dirs, real processes.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { EMBEDDED_DEFAULT } from "../../src/cli/source.ts";
import { keel, startServe, stopServe } from "../crash/harness.ts";
import { cleanup, tempDir } from "./serve-helpers.ts";

afterEach(cleanup);

/** A database with three versions: the embedded default, then two --config changes. */
async function threeVersions(): Promise<{ data: string; files: string[] }> {
  const data = tempDir();
  const dir = tempDir();
  await stopServe(await startServe(data));
  const tighter = join(dir, "tighter.toml");
  writeFileSync(tighter, EMBEDDED_DEFAULT.text.replace("max_daily_trades = 150", "max_daily_trades = 40"));
  await stopServe(await startServe(data, ["--config", tighter]));
  const more = join(dir, "more.toml");
  writeFileSync(
    more,
    EMBEDDED_DEFAULT.text
      .replace("max_daily_trades = 150", "max_daily_trades = 40")
      .replace("price_collar_bps = 500", "price_collar_bps = 250")
      .replace("[symbols.WMT]", '[symbols.TSLA]\nsector = "tech"\nreference_price = 250.5\ntick_size = 0.01\nlot_size = 1\n\n[symbols.WMT]'),
  );
  await stopServe(await startServe(data, ["--config", more]));
  return { data, files: [tighter, more] };
}

describe("keel versions", () => {
  test("newest first, with parent, author, short hash and the active marker; --json has it all", async () => {
    const { data, files } = await threeVersions();
    const r = await keel(["versions", "--data", data, "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ database: join(data, "paper.db"), mode: "paper", active: 3, total: 3 });
    expect(out.versions.map((v: any) => [v.version, v.parent, v.author, v.active])).toEqual([
      [3, 2, "startup", true],
      [2, 1, "startup", false],
      [1, null, "startup", false],
    ]);
    expect(out.versions[0].message).toBe(`from ${files[1]}`);
    expect(out.versions[2].message).toBe("from embedded config/default.toml");
    for (const v of out.versions) {
      expect(v.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(new Date(v.created_at).toISOString()).toBe(v.created_at);
    }

    const text = await keel(["versions", "--data", data]);
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(`${join(data, "paper.db")}: 3 versions, active v3`);
    expect(lines[1]).toMatch(/^ +version {2}created +author +parent {2}hash {10}message$/);
    expect(lines[2]).toMatch(new RegExp(`^\\* +3 {2}\\S+Z {2}startup {7}2 {2}${out.versions[0].hash.slice(0, 12)} {2}from ${files[1]}$`));
    expect(lines[4]).toMatch(/^ +1 {2}\S+Z {2}startup {7}- {2}[0-9a-f]{12} {2}from embedded config\/default\.toml$/);
    expect(lines).toHaveLength(5);

    const one = await keel(["versions", "--data", data, "--limit", "1"]);
    expect(one.stdout).toContain("(newest 1 of 3 shown; --limit N for more)");
    expect(one.stdout.trimEnd().split("\n")).toHaveLength(4);
    const oneJson = JSON.parse((await keel(["versions", "--data", data, "--limit", "2", "--json"])).stdout);
    expect(oneJson.versions.map((v: any) => v.version)).toEqual([3, 2]);
    expect(oneJson.total).toBe(3);
  });

  test("readable while serve runs; a missing database is exit 1, bad flags exit 2", async () => {
    const data = tempDir();
    const served = await startServe(data);
    const r = await keel(["versions", "--data", data, "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).versions.map((v: any) => v.version)).toEqual([1]);
    await stopServe(served);

    const missing = await keel(["versions", "--data", join(data, "nowhere")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(`keel versions: no database at ${join(data, "nowhere", "paper.db")} (has keel serve run with --data ${join(data, "nowhere")}?)`);
    for (const bad of [["--limit", "0"], ["--limit", "x"], ["--limit", "-3"], ["--mode", "demo"], ["--nope"], ["extra"]]) {
      const b = await keel(["versions", "--data", data, ...bad]);
      expect(b.code).toBe(2);
      expect(b.stderr.trim().split("\n")).toHaveLength(1);
    }
    const help = await keel(["versions", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toStartWith("Usage: keel versions [--data DIR] [--mode paper|live] [--limit N] [--json]");
  });
});

describe("keel diff", () => {
  test("the change list between two versions, either way round; identical versions say so", async () => {
    const { data } = await threeVersions();
    const one = await keel(["diff", "1", "2", "--data", data]);
    expect(one.code).toBe(0);
    expect(one.stdout).toBe("risk.limits.max_daily_trades: 150 -> 40\n");
    expect((await keel(["diff", "2", "1", "--data", data])).stdout).toBe("risk.limits.max_daily_trades: 40 -> 150\n");

    const three = await keel(["diff", "1", "3", "--data", data]);
    expect(three.stdout.trimEnd().split("\n")).toEqual([
      "risk.limits.max_daily_trades: 150 -> 40",
      "risk.limits.price_collar_bps: 500 -> 250",
      // A symbol added is one line for its whole subtree, in canonical (defaults filled) form.
      expect.stringMatching(/^symbols\.TSLA: null -> \{.*"reference_price":250\.5.*"sector":"tech".*\}$/),
    ]);

    const json = JSON.parse((await keel(["diff", "2", "3", "--data", data, "--json"])).stdout);
    expect(json).toMatchObject({ database: join(data, "paper.db"), mode: "paper", from: 2, to: 3 });
    expect(json.changes[0]).toEqual({ path: "risk.limits.price_collar_bps", from: 500, to: 250 });
    expect(json.changes[1]).toMatchObject({ path: "symbols.TSLA", from: null, to: { sector: "tech", reference_price: 250.5 } });
    expect(json.changes).toHaveLength(2);

    const same = await keel(["diff", "2", "2", "--data", data]);
    expect(same.code).toBe(0);
    expect(same.stdout).toBe("no changes between v2 and v2\n");
    expect(JSON.parse((await keel(["diff", "2", "2", "--data", data, "--json"])).stdout).changes).toEqual([]);
  });

  test("an unknown version is exit 1 naming it; A and B must be positive whole numbers (exit 2)", async () => {
    const data = tempDir();
    await stopServe(await startServe(data));
    const unknown = await keel(["diff", "1", "7", "--data", data]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr.trim()).toBe(`keel diff: no config version v7 in ${join(data, "paper.db")} (see 'keel versions')`);
    const both = await keel(["diff", "9", "8", "--data", data]);
    expect(both.stderr).toContain("no config version v9 or v8");

    for (const args of [["1"], [], ["0", "1"], ["1", "x"], ["1.5", "2"], ["-1", "2"], ["1", "2", "3"], ["1", "2", "--nope"]]) {
      const r = await keel(["diff", ...args, "--data", data]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain("(see 'keel diff --help')");
    }
    const missing = await keel(["diff", "1", "2", "--data", join(data, "nowhere")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no database at");
    const help = await keel(["diff", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toStartWith("Usage: keel diff A B [--data DIR] [--mode paper|live] [--json]");
  });
});
