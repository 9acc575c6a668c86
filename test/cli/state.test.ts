/**
 * `keel state` against real `keel serve` processes and their databases: read while the server
 * runs (WAL, read-only), after it stops, and the ways it refuses. Temp dirs, real processes.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { EMBEDDED_DEFAULT } from "../../src/cli/source.ts";
import { dayLabel, dayStart, tradingDay } from "../../src/risk/reset.ts";
import { openStore } from "../../src/store/sqlite.ts";
import { keel, startServe, stateOf, stopServe } from "../crash/harness.ts";
import { cleanup, exchange, tempDir } from "./serve-helpers.ts";

afterEach(cleanup);

const RESET = 21 * 60; // the embedded default's day_reset_utc
// Signals inside the current trading day, far from its reset (retention counts from the wall clock).
const DAY = tradingDay(Date.now(), RESET);
const TS = dayStart(DAY, RESET) + 8 * 3_600_000;

const lines = (signals: object[]) => signals.map((s) => JSON.stringify(s) + "\n").join("");

/** Sum side * qty per symbol over accepted replies (zeros dropped), and count them. */
function implied(replies: any[]): { positions: Record<string, number>; trades: number } {
  const pos: Record<string, number> = {};
  let trades = 0;
  for (const r of replies) {
    if (r.status !== "accepted") continue;
    trades++;
    pos[r.order.symbol] = (pos[r.order.symbol] ?? 0) + (r.order.side === "buy" ? 1 : -1) * r.order.qty;
  }
  for (const k of Object.keys(pos)) if (pos[k] === 0) delete pos[k];
  return { positions: pos, trades };
}

const positionsOf = (state: any) => Object.fromEntries(state.positions.map((p: any) => [p.symbol, p.qty]));

describe("keel state", () => {
  test("while serve runs it reports the acknowledged orders; after a stop, the same", async () => {
    const data = tempDir();
    const served = await startServe(data);
    const replies = await exchange(
      served.port,
      lines([
        { id: "1", symbol: "AAPL", side: "buy", strength: 1, price: 190.1, ts: TS },
        { id: "2", symbol: "MSFT", side: "sell", strength: 0.5, price: 415, ts: TS + 2000 },
        { id: "3", symbol: "NOPE", side: "buy", strength: 1, price: 10, ts: TS + 3000 },
        { id: "4", symbol: "AAPL", side: "buy", strength: 0.5, price: 190.3, ts: TS + 4000 },
        { id: "5", symbol: "JPM", side: "buy", strength: 1, price: 205, ts: TS + 5000 },
        { id: "6", symbol: "JPM", side: "sell", strength: 1, price: 206, ts: TS + 6000 },
      ]),
      6,
    );
    expect(replies.map((r) => r.status)).toEqual(["accepted", "accepted", "rejected", "accepted", "accepted", "accepted"]);
    const want = implied(replies);
    expect(want.positions).toEqual({ AAPL: 300, MSFT: -100 });

    const running = await stateOf(data);
    expect(running.database).toBe(join(data, "paper.db"));
    expect(running.mode).toBe("paper");
    expect(running.config).toMatchObject({ version: 1, author: "startup" });
    expect(running.config.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(running.trading_state).toBe("ACTIVE");
    expect(running.trading_day).toBe(dayLabel(DAY, RESET));
    expect(running.trading_day_number).toBe(DAY);
    expect(running.day_reset_utc).toBe("21:00");
    expect(running.daily_trades).toBe(want.trades);
    expect(positionsOf(running)).toEqual(want.positions);
    expect(running.open_positions).toBe(2);
    const aapl = running.positions.find((p: any) => p.symbol === "AAPL");
    // The fills: 200 at 190.13 and 100 at 190.33 (limit prices, 2 bps over the signal), marked at 190.3.
    expect(aapl.avg_price).toBeCloseTo((200 * 190.13 + 100 * 190.33) / 300, 9);
    expect(aapl.mark).toBe(190.3);
    expect(aapl.unrealized).toBeCloseTo(300 * (190.3 - aapl.avg_price), 9);
    const tech = running.sectors.find((s: any) => s.sector === "tech");
    expect(tech).toEqual({ sector: "tech", exposure: 300 * 190.3 + 100 * 415, limit: 800_000 });
    expect(running.gross_exposure).toBeCloseTo(300 * 190.3 + 100 * 415, 6);
    // JPM bought and sold back at the replies' limit prices (paper fills): realised today.
    const [jpmBuy, jpmSell] = [replies[4].order, replies[5].order];
    expect(jpmSell.qty).toBe(jpmBuy.qty);
    expect(running.realized_today).toBeCloseTo(jpmBuy.qty * (jpmSell.price - jpmBuy.price), 6);
    expect(running.daily_pnl).toBeCloseTo(running.realized_today + running.unrealized, 6);
    expect(running.audit).toEqual([
      expect.objectContaining({ author: "startup", action: "startup", from_version: null, to_version: 1, changes: [] }),
    ]);
    expect(running.unknown_symbols).toEqual([]);

    // A second reader in the middle of serving does not disturb it.
    const more = await exchange(served.port, lines([{ id: "7", symbol: "XOM", side: "sell", strength: 0.5, price: 113.5, ts: TS + 7000 }]), 1);
    expect(more[0].status).toBe("accepted");
    const all = implied([...replies, ...more]);
    const later = await stateOf(data);
    expect(later.daily_trades).toBe(all.trades);
    expect(positionsOf(later)).toEqual(all.positions);

    await stopServe(served);
    expect(await stateOf(data)).toEqual(later);
  });

  test("the text report: an aligned table of the same numbers", async () => {
    const data = tempDir();
    const served = await startServe(data);
    await exchange(served.port, lines([{ id: "1", symbol: "AAPL", side: "buy", strength: 1, price: 190.1, ts: TS }]), 1);
    const r = await keel(["state", "--data", data]);
    await stopServe(served);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const out = r.stdout;
    expect(out).toContain(`keel state: ${join(data, "paper.db")} (paper)`);
    expect(out).toMatch(/^ {2}config {10}v1 {2}sha256 [0-9a-f]{12} {2}\(startup, /m);
    expect(out).toMatch(/^ {2}trading state {3}ACTIVE$/m);
    expect(out).toContain(`  trading day     ${dayLabel(DAY, RESET)} (day ${DAY}, rolls at 21:00 UTC)`);
    expect(out).toMatch(/^ {2}daily trades {4}1$/m);
    expect(out).toMatch(/^ {2}symbol +qty +avg price +mark +unrealised +exposure$/m);
    expect(out).toMatch(/^ {2}AAPL +200 +190\.13 +190\.10 +-6\.00 +38,020\.00$/m);
    expect(out).toMatch(/^ {2}tech +38,020\.00 +800,000\.00 +4\.8%$/m);
    expect(out).toMatch(/^ {2}\S+Z {2}startup {2}startup {2}- -> v1 +-$/m);
    // Columns line up: the header's and the row's right edges of "mark" coincide.
    const header = out.split("\n").find((l) => l.includes("avg price"))!;
    const row = out.split("\n").find((l) => l.startsWith("  AAPL"))!;
    expect(row.indexOf("190.10") + "190.10".length).toBe(header.indexOf("mark") + "mark".length);
  });

  test("a halt and a config change appear in the audit rows", async () => {
    const data = tempDir();
    // max_daily_loss tiny: the second signal's loss halts the engine by itself.
    const file = join(tempDir(), "halting.toml");
    writeFileSync(file, EMBEDDED_DEFAULT.text.replace("max_daily_loss = 25000", "max_daily_loss = 10"));
    await stopServe(await startServe(data));
    const served = await startServe(data, ["--config", file]);
    await exchange(
      served.port,
      lines([
        { id: "1", symbol: "AAPL", side: "buy", strength: 1, price: 190.1, ts: TS },
        { id: "2", symbol: "AAPL", side: "buy", strength: 1, price: 185, ts: TS + 2000 },
        { id: "3", symbol: "MSFT", side: "buy", strength: 1, price: 415, ts: TS + 4000 },
      ]),
      3,
    );
    const s = await stateOf(data);
    await stopServe(served);
    expect(s.config.version).toBe(2);
    expect(s.trading_state).toBe("HALTED");
    expect(s.audit[0]).toMatchObject({ action: "halt", author: "engine", changes: [{ path: "trading_state", from: "ACTIVE", to: "HALTED" }] });
    expect(s.audit[1]).toMatchObject({
      action: "startup", from_version: 1, to_version: 2, changes: [{ path: "risk.limits.max_daily_loss", from: 25000, to: 10 }],
    });
    const text = (await keel(["state", "--data", data])).stdout;
    expect(text).toMatch(/^ {2}trading state {3}HALTED$/m);
    expect(text).toContain("risk.limits.max_daily_loss: 25000 -> 10");
    expect(text).toContain("trading_state: \"ACTIVE\" -> \"HALTED\"");
  });

  test("no database: exit 1 with a hint; an empty one is reported, exit 0", async () => {
    const data = tempDir();
    const missing = await keel(["state", "--data", data]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe("");
    expect(missing.stderr.trim()).toBe(`keel state: no database at ${join(data, "paper.db")} (has keel serve run with --data ${data}?)`);
    const live = await keel(["state", "--data", data, "--mode", "live"]);
    expect(live.code).toBe(1);
    expect(live.stderr).toContain(join(data, "live.db"));

    // Migrated, but no version stored yet.
    openStore(join(data, "paper.db")).close();
    const empty = await keel(["state", "--data", data]);
    expect(empty.code).toBe(0);
    expect(empty.stdout.trim()).toBe(`${join(data, "paper.db")}: empty database (no config version yet; 'keel serve' stores one at its first start)`);
    const json = JSON.parse((await keel(["state", "--data", data, "--json"])).stdout);
    expect(json).toMatchObject({ config: null, trading_state: "ACTIVE", trading_day: null, daily_trades: 0, positions: [], audit: [] });
  });

  test("not a keel database: exit 1, the file untouched", async () => {
    const data = tempDir();
    const path = join(data, "paper.db");
    writeFileSync(path, "not sqlite at all, just text that is long enough to be looked at".repeat(20));
    const before = await Bun.file(path).text();
    const r = await keel(["state", "--data", data]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("not a keel database");
    expect(await Bun.file(path).text()).toBe(before);
  });

  test("bad flags: one line, exit 2; --help: exit 0", async () => {
    const bad = await keel(["state", "--bogus"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toContain("keel state: ");
    expect(bad.stderr).toContain("(see 'keel state --help')");
    const mode = await keel(["state", "--mode", "demo"]);
    expect(mode.code).toBe(2);
    expect(mode.stderr.trim()).toBe("keel state: --mode expects paper or live, got 'demo' (see 'keel state --help')");
    const extra = await keel(["state", "extra"]);
    expect(extra.code).toBe(2);
    const help = await keel(["state", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toStartWith("Usage: keel state [--data DIR] [--mode paper|live] [--json]");
    const top = await keel(["--help"]);
    for (const c of ["state", "versions", "diff"]) expect(top.stdout).toMatch(new RegExp(`^ {2}${c} +\\S`, "m"));
  });
});
