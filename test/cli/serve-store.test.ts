/**
 * `keel serve` against its database: which config version it runs at start, what a restart
 * recovers, one writer per database. Real processes, real SQLite files in temp dirs.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EMBEDDED_DEFAULT } from "../../src/cli/source.ts";
import { openStoreReader } from "../../src/store/sqlite.ts";
import { cleanup, exchange, freePort, Output, spawn, tempDir, type Proc } from "./serve-helpers.ts";

afterEach(cleanup);

/** Start serve on `data` and wait until it runs; returns the process, its output and its port. */
async function serve(data: string, extra: string[] = []): Promise<{ p: Proc; out: Output; port: number; text: string }> {
  const port = freePort();
  const p = spawn(["--data", data, "--ingest", `127.0.0.1:${port}`, ...extra]);
  const out = new Output(p);
  const text = await out.waitFor("running");
  return { p, out, port, text };
}

async function stop(p: Proc): Promise<void> {
  p.kill("SIGTERM");
  expect(await p.exited).toBe(0);
}

function versionsIn(data: string) {
  const r = openStoreReader(join(data, "paper.db"));
  try {
    return { versions: r.listVersions(), active: r.activeVersion(), audit: r.listAudit() };
  } finally {
    r.close();
  }
}

describe("keel serve: config versions at start", () => {
  test("an empty database takes the config as version 1; a restart without --config loads it again", async () => {
    const data = tempDir();
    const a = await serve(data);
    expect(a.text).toContain("config v1");
    expect(a.text).toContain("(first version, from embedded config/default.toml)");
    expect(existsSync(join(data, "paper.db"))).toBe(true);
    expect(existsSync(join(data, "paper.db.lock"))).toBe(true);
    await stop(a.p);
    expect(existsSync(join(data, "paper.db.lock"))).toBe(false);

    const b = await serve(data);
    expect(b.text).toContain("config v1");
    expect(b.text).toContain("(active version)");
    await stop(b.p);
    const v = versionsIn(data);
    expect(v.versions.map((x) => [x.version, x.author, x.parent])).toEqual([[1, "startup", null]]);
  });

  test("a --config with other content becomes a new version with its parent and change list; the same content changes nothing", async () => {
    const data = tempDir();
    await stop((await serve(data)).p);
    const file = join(tempDir(), "tighter.toml");
    writeFileSync(file, EMBEDDED_DEFAULT.text.replace("max_daily_trades = 150", "max_daily_trades = 40"));

    const b = await serve(data, ["--config", file]);
    expect(b.text).toContain("config v2");
    expect(b.text).toContain("1 change(s)");
    await stop(b.p);
    const c = await serve(data, ["--config", file]);
    expect(c.text).toContain("config v2");
    expect(c.text).toContain("(active version)");
    await stop(c.p);

    const v = versionsIn(data);
    expect(v.versions.map((x) => [x.version, x.parent])).toEqual([[2, 1], [1, null]]);
    expect(v.active?.version).toBe(2);
    expect(v.audit[0]).toMatchObject({ action: "startup", author: "startup", fromVersion: 1, toVersion: 2 });
    expect(v.audit[0]!.changes).toEqual([{ path: "risk.limits.max_daily_trades", from: 150, to: 40 }]);
  });
});

describe("keel serve: restart", () => {
  test("positions and the day's trades are recovered from the journal after SIGTERM and after kill -9", async () => {
    const data = tempDir();
    const a = await serve(data);
    const ts = Date.UTC(2026, 10, 25, 15);
    const lines = [
      { id: "1", symbol: "AAPL", side: "buy", strength: 1, price: 190.1, ts },
      { id: "2", symbol: "MSFT", side: "sell", strength: 0.5, price: 415, ts: ts + 2000 },
      { id: "3", symbol: "AAPL", side: "buy", strength: 0.5, price: 190.2, ts: ts + 4000 },
    ];
    const replies = await exchange(a.port, lines.map((l) => JSON.stringify(l) + "\n").join(""), 3);
    expect(replies.map((r) => r.status)).toEqual(["accepted", "accepted", "accepted"]);
    await stop(a.p);

    const b = await serve(data);
    expect(b.text).toContain("2 open position(s), 3 trade(s) on the current day, 3 fill(s) replayed");
    // A duplicate of the last AAPL order within its window is still a duplicate after the restart.
    const dup = await exchange(b.port, JSON.stringify({ ...lines[2], id: "4", ts: ts + 4500 }) + "\n", 1);
    expect(dup[0]).toMatchObject({ id: "4", status: "rejected", reason: "duplicate_order" });
    const more = await exchange(b.port, JSON.stringify({ id: "5", symbol: "JPM", side: "buy", strength: 1, price: 200, ts: ts + 6000 }) + "\n", 1);
    expect(more[0].status).toBe("accepted");
    b.p.kill("SIGKILL");
    await b.p.exited;

    const c = await serve(data);
    expect(c.text).toContain("3 open position(s), 4 trade(s) on the current day, 4 fill(s) replayed");
    await stop(c.p);
  });

  test("a second serve on the same data directory is refused, naming the running one", async () => {
    const data = tempDir();
    const a = await serve(data);
    const b = spawn(["--data", data, "--ingest", `127.0.0.1:${freePort()}`]);
    expect(await b.exited).toBe(1);
    const err = await new Response(b.stderr).text();
    expect(err).toContain(`pid ${a.p.pid}`);
    expect(err.trim().split("\n")).toHaveLength(1);
    await stop(a.p);
  });
});
