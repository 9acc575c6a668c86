/**
 * `keel replay` as a process: exit codes, the summary (text and --json) against the --out file,
 * malformed rows on stderr, byte-identical reruns, and the refusals (missing file, bad flag,
 * invalid config, missing --out directory, bad CSV header).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CSV_HEADER, generateSignals } from "../../bench/gen-signals.ts";
import { EMBEDDED_DEFAULT } from "../../src/cli/source.ts";
import { prepareText } from "../../src/config/prepare.ts";

const MAIN = join(import.meta.dir, "../../src/main.ts");
const GEN = join(import.meta.dir, "../../bench/gen-signals.ts");
const dir = mkdtempSync(join(tmpdir(), "keel-replay-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const prepared = prepareText(EMBEDDED_DEFAULT.text, "toml");
if (!prepared.ok) throw new Error("embedded default config is invalid");
const snapshot = prepared.snapshot;

async function run(args: string[], script = MAIN) {
  const p = Bun.spawn([process.execPath, script, ...(script === MAIN ? ["replay"] : []), ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

/** 1,000 generated signals with malformed rows at known line numbers (25 of them, so the stderr cap shows). */
const signalsCsv = (() => {
  const lines = generateSignals(snapshot, 1000, { seed: 3 }).trimEnd().split("\n");
  const bad = new Set<number>();
  for (let k = 0; k < 25; k++) {
    const at = 5 + k * 40; // 0-based index in the final array
    lines.splice(at, 0, k % 2 === 0 ? "1795617000000,x,AAPL,buy" : `1795617000000,,AAPL,buy,0.5,190,`);
    bad.add(at + 1);
  }
  const path = join(dir, "signals.csv");
  writeFileSync(path, `${lines.join("\n")}\n`);
  return { path, badLines: [...bad] };
})();

const readLines = (path: string) => readFileSync(path, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));

describe("keel replay", () => {
  test("--json: the summary parses and its counts match the --out file; malformed rows go to stderr with line numbers", async () => {
    const out = join(dir, "decisions-json.jsonl");
    const r = await run([signalsCsv.path, "--out", out, "--json"]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    for (const key of ["signals", "orders", "rejects", "errors", "positions", "pnl", "trading_state", "latency_ns", "wall_ms", "signals_per_sec"]) {
      expect(s).toHaveProperty(key);
    }
    for (const key of ["p50", "p99", "p999", "max"]) expect(typeof s.latency_ns[key]).toBe("number");
    expect(Object.keys(s.pnl).sort()).toEqual(["daily", "realized", "unrealized"]);
    expect(s.config_hash).toBe(prepared.hash);
    expect(s.mode).toBe("paper");

    const lines = readLines(out);
    expect(lines).toHaveLength(1025);
    const rejects: Record<string, number> = {};
    for (const l of lines) if (l.status === "rejected") rejects[l.reason] = (rejects[l.reason] ?? 0) + 1;
    expect(s.signals).toBe(1000);
    expect(s.orders).toBe(lines.filter((l) => l.status === "accepted").length);
    expect(s.orders).toBeGreaterThan(0);
    expect(s.rejects).toEqual(rejects);
    expect(s.errors).toBe(25);
    expect(lines.filter((l) => l.status === "error").map((l) => l.line)).toEqual(signalsCsv.badLines);
    expect(lines.every((l) => l.status === "error" || l.config_version === 1)).toBe(true);
    const positions: Record<string, number> = {};
    for (const l of lines) if (l.status === "accepted") positions[l.order.symbol] = (positions[l.order.symbol] ?? 0) + (l.order.side === "buy" ? 1 : -1) * l.order.qty;
    for (const k of Object.keys(positions)) if (positions[k] === 0) delete positions[k];
    expect(s.positions).toEqual(positions);

    const reported = r.stderr.split("\n").filter((l) => l.startsWith("line "));
    expect(reported).toHaveLength(20);
    expect(reported.map((l) => Number(l.split(/[ :]/)[1]))).toEqual(signalsCsv.badLines.slice(0, 20));
    expect(reported[0]).toBe(`line ${signalsCsv.badLines[0]}: expected 7 columns, got 4`);
    expect(r.stderr).toContain("25 malformed rows in all");
    expect(r.stderr).not.toContain("\r"); // no progress line when stderr is not a terminal
  });

  test("two runs give byte-identical --out files; the text summary names the counts", async () => {
    const a = join(dir, "a.jsonl");
    const b = join(dir, "b.jsonl");
    const [ra, rb] = await Promise.all([run([signalsCsv.path, "--out", a]), run([signalsCsv.path, "--out", b])]);
    expect(ra.code).toBe(0);
    expect(rb.code).toBe(0);
    expect(Buffer.compare(readFileSync(a), readFileSync(b))).toBe(0);
    const orders = readLines(a).filter((l) => l.status === "accepted").length;
    expect(ra.stdout).toMatch(new RegExp(`orders\\s+${orders.toLocaleString("en-US")}\\n`));
    expect(ra.stdout).toContain("1,025: 1,000 signals, 25 malformed");
    expect(ra.stdout).toMatch(/latency\s+p50 .* p99 .* p99\.9 .* max /);
    expect(ra.stdout).toMatch(/trading state\s+(ACTIVE|REDUCING|HALTED)/);
    expect(ra.stdout).toContain("signals/s");
  });

  test("a missing SIGNALS file exits 1 with a clear message", async () => {
    const r = await run([join(dir, "nope.csv")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("signal file not found");
    expect(r.stdout).toBe("");
  });

  test("a bad flag and a missing SIGNALS argument are usage errors, exit 2", async () => {
    const [bad, none] = await Promise.all([run([signalsCsv.path, "--bogus"]), run([])]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toContain("--bogus");
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("SIGNALS");
  });

  test("an invalid --config exits 1 with the issue's path; nothing is written", async () => {
    const config = join(dir, "bad.toml");
    writeFileSync(config, EMBEDDED_DEFAULT.text.replace("max_position_size = 1000", "max_position_size = -5"));
    const out = join(dir, "never.jsonl");
    const r = await run([signalsCsv.path, "--config", config, "--out", out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("trading.position_sizing.max_position_size: ");
    expect(r.stderr).toContain("invalid");
    expect(existsSync(out)).toBe(false);
  });

  test("an --out directory that does not exist and a bad CSV header exit 1 before any work", async () => {
    const header = join(dir, "header.csv");
    writeFileSync(header, "ts,id,symbol,side,strength\n1,a,AAPL,buy,0.5\n");
    const out = join(dir, "header-out.jsonl");
    const [noDir, badHeader] = await Promise.all([run([signalsCsv.path, "--out", join(dir, "missing", "o.jsonl")]), run([header, "--out", out])]);
    expect(noDir.code).toBe(1);
    expect(noDir.stderr).toContain("directory does not exist");
    expect(noDir.stdout).toBe("");
    expect(badHeader.code).toBe(1);
    expect(badHeader.stderr).toContain("missing required column price");
    expect(existsSync(out)).toBe(false);
  });

  test("a live-mode config replays on the paper venue, with a note on stderr", async () => {
    const config = join(dir, "live.toml");
    const text = EMBEDDED_DEFAULT.text.replace(/^mode = "paper"/m, 'mode = "live"');
    expect(text).not.toBe(EMBEDDED_DEFAULT.text);
    writeFileSync(config, text);
    const jsonl = join(dir, "one.jsonl");
    writeFileSync(jsonl, '{"id":"1","symbol":"AAPL","side":"buy","strength":0.5,"price":190.1,"ts":1795617000000}\n');
    const r = await run([jsonl, "--config", config, "--json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('trading.mode = "live"');
    expect(r.stderr).toContain("paper venue");
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ mode: "live", venue: "paper", orders: 1, positions: { AAPL: 100 } });
  });

  test("--help documents the formats, the clock rule and examples", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("keel replay SIGNALS [--config FILE] [--out DECISIONS.jsonl] [--json]");
    expect(r.stdout).toContain(CSV_HEADER.replace(",strategy", ""));
    expect(r.stdout).toContain("A row without a ts takes");
    expect(r.stdout).toContain("Examples:");
  });
});

describe("bench/gen-signals.ts", () => {
  test("writes the same bytes for the same seed, CSV to stdout by default, JSONL by --out extension", async () => {
    const jsonl = join(dir, "gen.jsonl");
    const [a, b, c, d] = await Promise.all([
      run(["50", "--seed", "9"], GEN),
      run(["50", "--seed", "9"], GEN),
      run(["50", "--seed", "10"], GEN),
      run(["50", "--seed", "9", "--out", jsonl], GEN),
    ]);
    expect([a.code, b.code, c.code, d.code]).toEqual([0, 0, 0, 0]);
    expect(a.stdout).toBe(generateSignals(snapshot, 50, { seed: 9 }));
    expect(b.stdout).toBe(a.stdout);
    expect(c.stdout).not.toBe(a.stdout);
    expect(readFileSync(jsonl, "utf8")).toBe(generateSignals(snapshot, 50, { seed: 9, format: "jsonl" }));
    const bad = await run(["many"], GEN);
    expect(bad.code).toBe(2);
  });
});
