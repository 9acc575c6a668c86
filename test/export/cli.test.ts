import { afterEach, describe, expect, test } from "bun:test";
import { closeSync, openSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { EMBEDDED_DEFAULT } from "../../src/cli/source.ts";
import { prepareText } from "../../src/config/prepare.ts";
import { SnapshotFileWriter } from "../../src/export/snapshot-file.ts";
import { LIVE_SNAPSHOT_FILE } from "../../src/export/snapshot-layout.ts";
import { expectedRecord, freshWriter, snapshotCli, tempDir } from "./fixtures.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const embedded = () => {
  const p = prepareText(EMBEDDED_DEFAULT.text, "toml");
  if (!p.ok) throw new Error("embedded config invalid");
  return p;
};

/** A data dir holding a snapshot of the embedded config as version 3 (written twice: seq 4). */
function dataDir(): string {
  const { dir, writer } = freshWriter(cleanups);
  const p = embedded();
  writer.write(p.snapshot, 2);
  writer.write(p.snapshot, 3);
  return dir;
}

describe("keel snapshot", () => {
  test("--mode live reads the live engine's own file; paper's stays paper's; an unknown mode is exit 2", async () => {
    const dir = dataDir();
    // Paper's file holds v3 (dataDir); a live engine on the same directory writes its own.
    const live = new SnapshotFileWriter(join(dir, LIVE_SNAPSHOT_FILE));
    cleanups.push(() => live.close());
    live.write(embedded().snapshot, 9);
    const l = await snapshotCli(["--data", dir, "--mode", "live", "--json"]);
    expect(l.code).toBe(0);
    expect(JSON.parse(l.out).config_version).toBe(9);
    const p = await snapshotCli(["--data", dir, "--json"]);
    expect(JSON.parse(p.out).config_version).toBe(3);
    const bad = await snapshotCli(["--data", dir, "--mode", "real"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--mode expects paper or live, got 'real'");
  });

  test("SYMBOL --json: the effective config of one symbol, enums by name", async () => {
    const dir = dataDir();
    const r = await snapshotCli(["--data", dir, "NVDA", "--json"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const got = JSON.parse(r.out);
    const { sector_id, strategy_id, sequence, ...rest } = got;
    expect(rest).toEqual(expectedRecord(embedded(), "NVDA", 3));
    expect([sector_id, strategy_id, sequence]).toEqual([0, 0, 4]);
    expect(got.position_sizing.method).toBe("scaled");
  });

  test("SYMBOL: every field as a table line", async () => {
    const r = await snapshotCli(["--data", dataDir(), "LLY"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("LLY: config v3, seq 4");
    expect(r.out).toMatch(/execution\.order_type\s+market/);
    expect(r.out).toMatch(/execution\.time_in_force\s+ioc/);
    expect(r.out).toMatch(/strategy\s+mean_reversion/);
    expect(r.out).toMatch(/sector\s+healthcare \(id 3\)/);
    expect(r.out.trim().split("\n")).toHaveLength(1 + 6 + 3 + 4 + 8);
  });

  test("no SYMBOL: a summary, as text and as JSON", async () => {
    const dir = dataDir();
    const text = await snapshotCli(["--data", dir]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/layout 1, config v3 \(sha256 [0-9a-f]{12}\), seq 4/);
    expect(text.out).toMatch(/symbols\s+28 \(5 distinct profiles\)/);
    const json = await snapshotCli(["--data", dir, "--json"]);
    expect(json.code).toBe(0);
    const s = JSON.parse(json.out);
    expect(s).toMatchObject({
      layout_version: 1, config_version: 3, hash: embedded().hash, sequence: 4, symbols: 28, mode: "paper", day_reset_utc: "21:00",
      strategies: ["momentum", "mean_reversion"], file_size: statSync(join(dir, "snapshot.bin")).size, writer_pid: process.pid, superseded: false,
    });
    expect(s.sectors[0]).toEqual({ name: "tech", max_gross_exposure: 800_000 });
  });

  test("an unknown symbol is exit 1, naming it", async () => {
    const r = await snapshotCli(["--data", dataDir(), "NOPE"]);
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toContain("no symbol 'NOPE' in config v3");
  });

  test("no file is exit 1 with a hint; a foreign file or another layout is exit 1 saying so", async () => {
    const t = tempDir();
    cleanups.push(t.remove);
    const missing = await snapshotCli(["--data", t.dir]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(`no snapshot at ${join(t.dir, "snapshot.bin")}`);
    expect(missing.err).toContain("keel serve");
    expect(missing.err.trim().split("\n")).toHaveLength(1);

    writeFileSync(join(t.dir, "snapshot.bin"), "y".repeat(100));
    const foreign = await snapshotCli(["--data", t.dir]);
    expect(foreign.code).toBe(1);
    expect(foreign.err).toContain("is not a keel snapshot");

    const dir = dataDir();
    const fd = openSync(join(dir, "snapshot.bin"), "r+");
    writeSync(fd, new Uint8Array([9]), 0, 1, 8);
    closeSync(fd);
    const other = await snapshotCli(["--data", dir, "AAPL"]);
    expect(other.code).toBe(1);
    expect(other.err).toContain("layout version 9; this keel reads layout version 1");
  });

  test("bad flags are exit 2; --help documents the command", async () => {
    expect((await snapshotCli(["--bogus"])).code).toBe(2);
    expect((await snapshotCli(["AAPL", "MSFT"])).code).toBe(2);
    const help = await snapshotCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("keel snapshot [--data DIR] [--mode paper|live] [SYMBOL] [--json]");
  });
});
