/**
 * Replay (src/ingest/replay.ts) called directly on real files in a temp dir: determinism, the
 * summary against the decision file, malformed rows, CSV header handling, the no-ts clock rule,
 * streaming across chunk boundaries; plus the latency histogram and bench/gen-signals.ts.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CSV_HEADER, generateSignals, START_TS, writeSignals } from "../../bench/gen-signals.ts";
import { EMBEDDED_DEFAULT } from "../../src/cli/source.ts";
import { prepareText } from "../../src/config/prepare.ts";
import type { Snapshot } from "../../src/config/snapshot.ts";
import { Engine } from "../../src/engine/engine.ts";
import { formatOfPath, parseCsvHeader, sniffFormat, splitCsv } from "../../src/ingest/csv.ts";
import {
  checkPaths, MAX_LINE, ReplayError, replayChunks, replayFile, summarize,
  type ReplayOptions,
} from "../../src/ingest/replay.ts";
import { snapshotOf, T0 } from "../engine/fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "keel-replay-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileNo = 0;
/** Write `text` to a fresh file with extension `ext` in the temp dir. */
function file(text: string, ext: string): string {
  const path = join(dir, `f${++fileNo}.${ext}`);
  writeFileSync(path, text);
  return path;
}
function outPath(): string {
  return join(dir, `out${++fileNo}.jsonl`);
}

const defaultSnapshot: Snapshot = (() => {
  const p = prepareText(EMBEDDED_DEFAULT.text, "toml");
  if (!p.ok) throw new Error("embedded default config is invalid");
  return p.snapshot;
})();

/** A config with several limits tight enough that a generated file meets them. */
const tight = snapshotOf({
  trading: { position_sizing: { method: "scaled", default_position_size: 200, max_position_size: 500 } },
  risk: { limits: { price_collar_bps: 300, max_orders_per_second: 2, duplicate_window_ms: 1000 } },
});

/** Replay a file on a fresh engine; returns the result, the summary, the engine and the decision lines. */
async function replay(path: string, snap: Snapshot = tight, opts: ReplayOptions = {}) {
  const engine = new Engine(snap, 1);
  const out = outPath();
  const malformed: [number, string][] = [];
  const result = await replayFile(path, engine, { out, onMalformed: (n, m) => malformed.push([n, m]), ...opts });
  const text = readFileSync(out, "utf8");
  const lines = text.split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l));
  return { result, summary: summarize(result, engine), engine, out, text, lines, malformed };
}

const csvRow = (ts: number | "", id: string, symbol: string, side: string, strength: string, price: string, strategy = "") =>
  `${ts},${id},${symbol},${side},${strength},${price},${strategy}`;

describe("determinism", () => {
  test("two replays of one file give byte-identical decision files, and CSV and JSONL of the same signals agree", async () => {
    const csv = file(generateSignals(tight, 3000, { seed: 5, format: "csv" }), "csv");
    const jsonl = file(generateSignals(tight, 3000, { seed: 5, format: "jsonl" }), "jsonl");
    const a = await replay(csv);
    const b = await replay(csv);
    const c = await replay(jsonl);
    expect(a.lines).toHaveLength(3000);
    expect(a.result.orders).toBeGreaterThan(20);
    expect(Object.keys(a.result.rejects).length).toBeGreaterThanOrEqual(3);
    expect(Buffer.compare(readFileSync(a.out), readFileSync(b.out))).toBe(0);
    expect(Buffer.compare(readFileSync(a.out), readFileSync(c.out))).toBe(0);
    expect(c.result.format).toBe("jsonl");
    expect(a.summary.positions).toEqual(c.summary.positions);
    expect(a.summary.pnl).toEqual(c.summary.pnl);
  });
});

describe("summary", () => {
  test("counts equal those taken from the decision file, and positions are the sum of accepted orders", async () => {
    const text = generateSignals(tight, 4000, { seed: 9 }).replace(/\n/g, (_m, at: number) => (at % 7 === 3 ? "\nnot,a,row\n" : "\n"));
    const r = await replay(file(text, "csv"));
    const accepted = r.lines.filter((l) => l.status === "accepted");
    const rejects: Record<string, number> = {};
    for (const l of r.lines) if (l.status === "rejected") rejects[l.reason] = (rejects[l.reason] ?? 0) + 1;
    const errors = r.lines.filter((l) => l.status === "error");
    expect(errors.length).toBeGreaterThan(0);
    expect(r.summary.orders).toBe(accepted.length);
    expect(r.summary.rejects).toEqual(rejects);
    expect(r.summary.rejected).toBe(r.lines.length - accepted.length - errors.length);
    expect(r.summary.errors).toBe(errors.length);
    expect(r.summary.rows).toBe(r.lines.length);
    expect(r.summary.signals).toBe(r.summary.orders + r.summary.rejected);
    // Reject reasons are listed most frequent first.
    const counts = Object.values(r.summary.rejects);
    expect(counts).toEqual([...counts].sort((x, y) => y - x));

    const positions: Record<string, number> = {};
    for (const { order } of accepted) positions[order.symbol] = (positions[order.symbol] ?? 0) + (order.side === "buy" ? order.qty : -order.qty);
    for (const k of Object.keys(positions)) if (positions[k] === 0) delete positions[k];
    expect(r.summary.positions).toEqual(positions);
    expect(Object.keys(r.summary.positions).length).toBeGreaterThan(0);
    expect(r.summary.latency_ns.count).toBe(r.summary.signals);
    expect(r.summary.latency_ns.p50).toBeLessThanOrEqual(r.summary.latency_ns.p99);
    expect(r.summary.latency_ns.p99).toBeLessThanOrEqual(r.summary.latency_ns.p999);
    expect(r.summary.latency_ns.p999).toBeLessThanOrEqual(r.summary.latency_ns.max);
    expect(r.summary.trading_state).toBe("ACTIVE");
    const firstTs = Number(text.split("\n").find((l) => /^\d+,/.test(l))!.split(",")[0]);
    expect(r.summary.clock.first).toBe(new Date(firstTs).toISOString());
  });

  test("P&L and the trading state are the engine's at the end; a max_daily_loss breach shows as HALTED", async () => {
    const snap = snapshotOf({ trading: { position_sizing: { method: "fixed", default_position_size: 100 } }, risk: { limits: { max_daily_loss: 500 } } });
    const rows = [
      csvRow(T0, "1", "AAA", "buy", "1", "100"),
      csvRow(T0 + 1000, "2", "AAA", "sell", "1", "110"), // realises +1000
      csvRow(T0 + 2000, "3", "BBB", "buy", "1", "50"),
      csvRow(T0 + 3000, "4", "BBB", "buy", "1", "30"), // marks BBB 20 lower: -2000 unrealised, day -1000 -> HALTED
      csvRow(T0 + 4000, "5", "CCC", "buy", "1", "20"),
    ];
    const r = await replay(file([CSV_HEADER, ...rows].join("\n"), "csv"), snap);
    expect(r.lines.map((l) => l.reason ?? l.status)).toEqual(["accepted", "accepted", "accepted", "max_daily_loss", "trading_halted"]);
    expect(r.summary.pnl).toEqual({ realized: 1000, unrealized: -2000, daily: -1000 });
    expect(r.summary.positions).toEqual({ BBB: 100 });
    expect(r.summary.trading_state).toBe("HALTED");
    expect(r.summary.trading_state_changes).toEqual([{ from: "ACTIVE", to: "HALTED", reason: "max_daily_loss", ts: T0 + 3000 }]);
  });
});

describe("malformed rows", () => {
  const good = [
    csvRow(T0, "g1", "AAA", "buy", "0.5", "100"),
    csvRow(T0 + 10, "g2", "BBB", "sell", "1", "50"),
    csvRow(T0 + 20, "g3", "CCC", "buy", "0.25", "20", "momentum"),
    csvRow(T0 + 30, "g4", "AAA", "sell", "0.75", "100.5"),
  ];

  test("CSV: reported with their line numbers, counted, written as error lines; the other rows are decided as without them", async () => {
    const text = [
      CSV_HEADER, // 1
      good[0], // 2
      `${T0},x1,AAA,buy,0.5`, // 3: too few columns
      "", // 4: empty, skipped
      csvRow(T0, "", "AAA", "buy", "0.5", "100"), // 5: no id
      good[1], // 6
      `${T0},"x3,AAA,buy,0.5,100,`, // 7: unterminated quote
      csvRow(T0, "x4", "", "buy", "0.5", "100"), // 8: no symbol
      good[2], // 9
      `${csvRow(T0, "x5", "AAA", "buy", "0.5", "100")},extra`, // 10: too many columns
      good[3], // 11
    ].join("\n");
    const r = await replay(file(text, "csv"));
    expect(r.malformed.map(([n]) => n)).toEqual([3, 5, 7, 8, 10]);
    expect(r.malformed[0]![1]).toBe("expected 7 columns, got 5");
    expect(r.malformed[1]![1]).toContain("id must be");
    expect(r.malformed[3]![1]).toContain("symbol");
    expect(r.result.errors).toBe(5);
    expect(r.result.signals).toBe(4);
    expect(r.result.rows).toBe(9);
    const errors = r.lines.filter((l) => l.status === "error");
    expect(errors.map((l) => l.line)).toEqual([3, 5, 7, 8, 10]);
    expect(errors[3]).toEqual({ id: "x4", status: "error", message: "symbol must be a non-empty string", line: 8 });

    const clean = await replay(file([CSV_HEADER, ...good].join("\n"), "csv"));
    expect(r.lines.filter((l) => l.status !== "error")).toEqual(clean.lines);
    expect(clean.lines.every((l) => l.status === "accepted")).toBe(true);
  });

  test("JSONL: bad JSON, a non-object and a missing id are errors with line numbers; the replay goes on", async () => {
    const text = [
      '{"id":"a","symbol":"AAA","side":"buy","strength":0.5,"price":100,"ts":1}', // 1
      '{"id":"b","symbol":', // 2
      "[1,2,3]", // 3
      "   ", // 4: blank, skipped
      '{"symbol":"AAA","side":"buy","strength":0.5,"price":100}', // 5
      '{"id":7,"symbol":"BBB","side":"sell","strength":1,"price":50,"ts":2}', // 6: a numeric id, as ingest allows
    ].join("\n");
    const r = await replay(file(text, "ndjson"));
    expect(r.malformed.map(([n]) => n)).toEqual([2, 3, 5]);
    expect(r.malformed[0]![1]).toStartWith("invalid JSON");
    expect(r.malformed[1]![1]).toBe("a signal must be a JSON object");
    expect(r.lines.map((l) => l.id ?? `line ${l.line}`)).toEqual(["a", "line 2", "line 3", "line 5", "7"]);
    expect(r.lines[4].status).toBe("accepted");
  });

  test("a NaN or out-of-range strength, a non-numeric price and an unknown side are invalid_signal rejects; an unknown symbol is unknown_symbol", async () => {
    const csv = [
      CSV_HEADER,
      csvRow(T0, "nan", "AAA", "buy", "NaN", "100"),
      csvRow(T0, "big", "AAA", "buy", "1.5", "100"),
      csvRow(T0, "zero", "AAA", "buy", "0", "100"),
      csvRow(T0, "empty", "AAA", "buy", "", "100"),
      csvRow(T0, "word", "AAA", "buy", "0.5", "abc"),
      csvRow(T0, "hex", "AAA", "buy", "0.5", "0x64"),
      csvRow(T0, "side", "AAA", "hold", "0.5", "100"),
      csvRow(T0, "nosym", "ZZZ", "buy", "0.5", "100"),
    ].join("\n");
    const r = await replay(file(csv, "csv"));
    expect(r.result.errors).toBe(0);
    expect(r.lines.map((l) => [l.id, l.reason])).toEqual([
      ["nan", "invalid_signal"], ["big", "invalid_signal"], ["zero", "invalid_signal"], ["empty", "invalid_signal"],
      ["word", "invalid_signal"], ["hex", "invalid_signal"], ["side", "invalid_signal"], ["nosym", "unknown_symbol"],
    ]);
    expect(r.summary.rejects).toEqual({ invalid_signal: 7, unknown_symbol: 1 });

    const jsonl = [
      '{"id":"big","symbol":"AAA","side":"buy","strength":1.5,"price":100}',
      '{"id":"str","symbol":"AAA","side":"buy","strength":"0.5","price":100}',
      '{"id":"null","symbol":"AAA","side":"buy","strength":0.5,"price":null}',
      '{"id":"nosym","symbol":"ZZZ","side":"buy","strength":0.5,"price":100}',
    ].join("\n");
    const j = await replay(file(jsonl, "jsonl"));
    expect(j.lines.map((l) => l.reason)).toEqual(["invalid_signal", "invalid_signal", "invalid_signal", "unknown_symbol"]);
  });

  test("a line over MAX_LINE is one error row, even split across chunks; the next line keeps its number", async () => {
    const huge = `{"id":"h","pad":"${"x".repeat(2 * 1024 * 1024)}"}`;
    const text = ['{"id":"a","symbol":"AAA","side":"buy","strength":0.5,"price":100,"ts":1}', huge, '{"id":"b","symbol":"BBB","side":"buy","strength":0.5,"price":50,"ts":2}'].join("\n");
    const r = await replay(file(text, "jsonl"));
    expect(r.malformed).toEqual([[2, `line exceeds ${MAX_LINE} characters; skipped`]]);
    expect(r.lines.map((l) => l.id ?? l.line)).toEqual(["a", 2, "b"]);
    // In small chunks the runaway line is dropped as it streams past, never held whole.
    const bytes = Buffer.from(text);
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; at += 1000) chunks.push(bytes.subarray(at, at + 1000));
    const out = outPath();
    const small = await replayChunks(chunks, new Engine(tight, 1), { out });
    expect(small.errors).toBe(1);
    expect(readFileSync(out, "utf8")).toBe(r.text);
  });
});

describe("the signal clock", () => {
  test("a row without ts takes the last row's ts, 0 before any; a non-numeric ts is a reject and does not move the clock", async () => {
    const csv = [
      CSV_HEADER,
      csvRow("", "first", "AAA", "buy", "0.5", "100"),
      csvRow(T0, "t0", "BBB", "buy", "0.5", "50"),
      csvRow("", "same", "CCC", "buy", "0.5", "20"),
      csvRow(T0 + 5, "t5", "AAA", "buy", "0.5", "100"),
      `soon,bad,AAA,buy,0.5,100,`,
      csvRow("", "last", "BBB", "sell", "0.5", "50"),
    ].join("\n");
    const r = await replay(file(csv, "csv"));
    expect(r.result.firstTs).toBe(0);
    expect(r.result.lastTs).toBe(T0 + 5);
    expect(r.lines.map((l) => l.reason ?? l.status)).toEqual(["accepted", "accepted", "accepted", "accepted", "invalid_signal", "accepted"]);
    // The carried ts is what the engine sees: a wall-clock ts would be far outside the 1 ms duplicate window.
    const jsonl = [
      '{"id":"a","symbol":"AAA","side":"buy","strength":1,"price":100,"ts":86400000}',
      '{"id":"b","symbol":"AAA","side":"buy","strength":1,"price":100}',
    ].join("\n");
    const dup = snapshotOf({ risk: { limits: { duplicate_window_ms: 1 } } });
    const j = await replay(file(jsonl, "jsonl"), dup);
    expect(j.lines.map((l) => l.reason ?? l.status)).toEqual(["accepted", "duplicate_order"]);
    expect(j.result.lastTs).toBe(86_400_000);
  });
});

describe("CSV header", () => {
  const rows = [
    { ts: T0, id: "1", symbol: "AAA", side: "buy", strength: "0.5", price: "100", strategy: "x" },
    { ts: T0 + 1, id: "2", symbol: "BBB", side: "sell", strength: "1", price: "50.25", strategy: "" },
  ];
  const render = (cols: string[]) =>
    [cols.join(","), ...rows.map((r) => cols.map((c) => String(r[c.toLowerCase() as keyof typeof r])).join(","))].join("\n");

  test("columns in any order, names in any case, and without strategy give the same decisions", async () => {
    const base = await replay(file(render(["ts", "id", "symbol", "side", "strength", "price", "strategy"]), "csv"));
    const shuffled = await replay(file(render(["price", "Symbol", "id", "strategy", "SIDE", "ts", "strength"]), "csv"));
    const noStrategy = await replay(file(render(["ts", "id", "symbol", "side", "strength", "price"]), "csv"));
    expect(base.lines.map((l) => l.status)).toEqual(["accepted", "accepted"]);
    expect(shuffled.text).toBe(base.text);
    expect(noStrategy.text).toBe(base.text);
  });

  test("a missing required, unknown or repeated column refuses the file before writing anything", async () => {
    for (const [cols, word] of [
      [["ts", "id", "symbol", "side", "strength"], "missing required column price"],
      [["id", "symbol", "side", "strength", "price"], "missing required column ts"],
      [["ts", "id", "symbol", "side", "strength", "price", "strat"], "unknown column 'strat'"],
      [["ts", "id", "id", "symbol", "side", "strength", "price"], "column 'id' appears twice"],
    ] as const) {
      const out = outPath();
      const path = file(`${cols.join(",")}\n1,2,3,4,5,6,7\n`, "csv");
      const err = await replayFile(path, new Engine(tight, 1), { out }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReplayError);
      expect((err as Error).message).toContain(word);
      expect((err as Error).message).toStartWith("line 1: ");
      expect(existsSync(out)).toBe(false);
    }
  });

  test("parseCsvHeader and splitCsv", () => {
    const h = parseCsvHeader(" ts , id,symbol,side,strength,price\r");
    expect(h.ok).toBe(true);
    if (h.ok) expect([...h.columns]).toEqual([0, 1, 2, 3, 4, 5, -1]);
    expect(splitCsv("a,b,,c")).toEqual(["a", "b", "", "c"]);
    expect(splitCsv('"a,b","say ""hi""",c,')).toEqual(["a,b", 'say "hi"', "c", ""]);
    expect(splitCsv('"open')).toBeNull();
  });

  test("quoted cells are read as their contents", async () => {
    const r = await replay(file(`${CSV_HEADER}\n${T0},"id,1","AAA",buy,"0.5",100,\n`, "csv"));
    expect(r.lines).toEqual([{ id: "id,1", status: "accepted", order: expect.objectContaining({ symbol: "AAA" }), config_version: 1 }]);
  });
});

describe("formats and files", () => {
  const jsonLine = '{"id":"1","symbol":"AAA","side":"buy","strength":0.5,"price":100,"ts":1}';

  test("by extension, else sniffed from the first non-empty line", async () => {
    expect(formatOfPath("a.CSV")).toBe("csv");
    expect(formatOfPath("a.ndjson")).toBe("jsonl");
    expect(formatOfPath("a.json")).toBe("jsonl");
    expect(formatOfPath("a.txt")).toBeUndefined();
    expect(sniffFormat('  {"id":1}')).toBe("jsonl");
    expect(sniffFormat("ts,id")).toBe("csv");
    const j = await replay(file(`\n${jsonLine}\n`, "txt"));
    expect(j.result.format).toBe("jsonl");
    expect(j.lines[0].status).toBe("accepted");
    const c = await replay(file(`${CSV_HEADER}\n${csvRow(1, "1", "AAA", "buy", "0.5", "100")}\n`, "log"));
    expect(c.result.format).toBe("csv");
    expect(c.text).toBe(j.text);
  });

  test("CRLF line endings and a UTF-8 BOM change nothing", async () => {
    const lf = generateSignals(tight, 200, { seed: 3 });
    const a = await replay(file(lf, "csv"));
    const b = await replay(file(`\uFEFF${lf.replace(/\n/g, "\r\n")}`, "csv"));
    expect(b.result.errors).toBe(0);
    expect(b.text).toBe(a.text);
  });

  test("lines and multi-byte characters cut across chunks anywhere are read whole", async () => {
    const pad = "ü€";
    const text = generateSignals(tight, 300, { seed: 4, format: "jsonl" }).replace(/"id":"/g, `"id":"${pad}`);
    const whole = await replay(file(text, "jsonl"));
    expect(whole.lines.every((l, k) => l.id === `${pad}${k + 1}`)).toBe(true);
    const bytes = Buffer.from(text);
    for (const size of [1, 2, 7, 4096]) {
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
      const out = outPath();
      const r = await replayChunks(chunks, new Engine(tight, 1), { out, format: "jsonl" });
      expect(r.errors).toBe(0);
      expect(readFileSync(out, "utf8")).toBe(whole.text);
    }
  });

  test("a file larger than one read chunk streams through whole", async () => {
    const text = generateSignals(tight, 30_000, { seed: 6 });
    expect(text.length).toBeGreaterThan(1024 * 1024);
    const r = await replay(file(text, "csv"));
    expect(r.result.errors).toBe(0);
    expect(r.lines).toHaveLength(30_000);
    expect(r.lines.at(-1).id).toBe("30000");
  });

  test("an empty file replays to an empty decision file", async () => {
    const r = await replay(file("", "csv"));
    expect(r.text).toBe("");
    expect(r.summary.signals).toBe(0);
    expect(r.summary.latency_ns.p99).toBe(0);
  });

  test("checkPaths: a missing file, a missing --out directory and --out onto the input are refused", () => {
    const input = file(jsonLine, "jsonl");
    expect(() => checkPaths(join(dir, "nope.csv"))).toThrow("signal file not found");
    expect(() => checkPaths(dir)).toThrow("is a directory");
    expect(() => checkPaths(input, join(dir, "no-such-dir", "out.jsonl"))).toThrow("directory does not exist");
    expect(() => checkPaths(input, input)).toThrow("would overwrite");
    expect(() => checkPaths(input, dir)).toThrow("is a directory");
    expect(() => checkPaths(input, outPath())).not.toThrow();
  });

  test("progress is reported after the configured delay, with the rows so far", async () => {
    const path = file(generateSignals(tight, 50_000, { seed: 8 }), "csv");
    const seen: number[] = [];
    await replayFile(path, new Engine(tight, 1), { onProgress: (rows) => seen.push(rows), progressAfterMs: 0, progressEveryMs: 0 });
    expect(seen.length).toBeGreaterThan(1);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBeLessThanOrEqual(50_000);
    const none: number[] = [];
    await replayFile(path, new Engine(tight, 1), { onProgress: (rows) => none.push(rows), progressAfterMs: 3_600_000 });
    expect(none).toEqual([]);
  });
});

describe("bench/gen-signals.ts", () => {
  test("the same seed gives the same bytes, another seed other bytes", () => {
    const a = generateSignals(defaultSnapshot, 2000, { seed: 1 });
    expect(generateSignals(defaultSnapshot, 2000, { seed: 1 })).toBe(a);
    expect(generateSignals(defaultSnapshot, 2000, { seed: 2 })).not.toBe(a);
    expect(generateSignals(defaultSnapshot, 2000, { seed: 1, format: "jsonl" })).toBe(generateSignals(defaultSnapshot, 2000, { seed: 1, format: "jsonl" }));
  });

  test("rows parse back: valid fields, configured symbols, increasing ts, prices mostly inside the collar", async () => {
    const n = 5000;
    const text = generateSignals(defaultSnapshot, n, { seed: 11 });
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toBe(CSV_HEADER);
    expect(lines).toHaveLength(n + 1);
    let prev = START_TS;
    const sides = { buy: 0, sell: 0 } as Record<string, number>;
    for (const line of lines.slice(1)) {
      const [ts, id, symbol, side, strength, price, strategy] = splitCsv(line)!;
      expect(Number(ts)).toBeGreaterThan(prev);
      expect(Number(ts) - prev).toBeLessThanOrEqual(5);
      prev = Number(ts);
      expect(id).toMatch(/^\d+$/);
      expect(defaultSnapshot.index.has(symbol!)).toBe(true);
      sides[side!]!++;
      expect(Number(strength)).toBeGreaterThan(0);
      expect(Number(strength)).toBeLessThanOrEqual(1);
      expect(Number(price)).toBeGreaterThan(0);
      if (strategy !== "") expect(defaultSnapshot.strategies).toContain(strategy!);
    }
    expect(sides.buy! + sides.sell!).toBe(n);
    expect(Math.min(sides.buy!, sides.sell!)).toBeGreaterThan(n * 0.4);

    // Through the replay: every row is a signal; a few (~1%) are price outliers, never most.
    const wide = prepareText(EMBEDDED_DEFAULT.text.replace("max_daily_trades = 150", "max_daily_trades = 1000000"), "toml");
    if (!wide.ok) throw new Error("bad test config");
    const path = join(dir, "gen.jsonl");
    await writeSignals(path, wide.snapshot, n, { seed: 11 });
    expect(readFileSync(path, "utf8")).toBe(generateSignals(wide.snapshot, n, { seed: 11, format: "jsonl" }));
    const r = await replay(path, wide.snapshot);
    expect(r.result.errors).toBe(0);
    expect(r.result.signals).toBe(n);
    const collared = r.summary.rejects.price_collar ?? 0;
    expect(collared).toBeGreaterThan(0);
    expect(collared).toBeLessThan(n * 0.03);
    expect(r.result.orders).toBeGreaterThan(n / 10);
  });
});
