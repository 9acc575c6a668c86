/**
 * A seeded random signal file for a config, for `keel replay`, benchmarks and tests.
 *
 *   bun bench/gen-signals.ts 100000 --out /tmp/signals.csv
 *   bun bench/gen-signals.ts 1000000 --config config/examples/universe-500.toml --out /tmp/s.jsonl --seed 7
 *   bun bench/gen-signals.ts 1000 --format jsonl > /tmp/s.jsonl
 *
 * Symbols and reference prices come from the compiled config (default: the embedded one). Prices
 * are on the symbol's tick grid and follow a random walk from the reference price that stays inside
 * the price collar, with a small share (1%) of outliers beyond it; strengths are in (0, 1] in steps
 * of 0.01; sides are even; the clock starts at 2026-11-25 14:30 UTC and advances 1-5 ms per signal;
 * the strategy is the symbol's own, when it has one. The same seed gives the same bytes, and CSV
 * and JSONL carry the same signals.
 */
import { parse, UsageError } from "../src/cli/args.ts";
import { readSource, SourceError } from "../src/cli/source.ts";
import { formatIssue } from "../src/config/errors.ts";
import { prepareText } from "../src/config/prepare.ts";
import { classOf, referenceOf, type Snapshot } from "../src/config/snapshot.ts";
import { formatOfPath, type SignalFormat } from "../src/ingest/csv.ts";
import { rng } from "./gen-config.ts";

/** 2026-11-25 14:30:00 UTC, the first signal's ts. */
export const START_TS = Date.UTC(2026, 10, 25, 14, 30);
export const CSV_HEADER = "ts,id,symbol,side,strength,price,strategy";

export interface SignalGenOptions {
  seed?: number;
  format?: SignalFormat;
  /** Share of prices outside the collar (default 0.01). */
  outliers?: number;
  /** Yield a chunk once it is this many characters (default 1 MiB). */
  chunkChars?: number;
}

interface Instrument {
  symbol: string;
  ref: number;
  tick: number;
  decimals: number;
  collar: number;
  strategy: string;
}

function instruments(snap: Snapshot): Instrument[] {
  const out: Instrument[] = [];
  for (let i = 0; i < snap.symbolCount; i++) {
    const profile = snap.hot[classOf(snap, i)]!;
    const tick = profile.tickSize;
    const strategyId = profile.strategy;
    out.push({
      symbol: snap.symbols[i]!,
      ref: referenceOf(snap, i),
      tick,
      decimals: decimalsOf(tick),
      collar: profile.priceCollarBps / 10_000,
      strategy: strategyId >= 0 ? (snap.strategies[strategyId] ?? "") : "",
    });
  }
  return out;
}

/** Digits after the point needed to print multiples of `tick` (0.01 -> 2, 0.005 -> 3, 1 -> 0). */
function decimalsOf(tick: number): number {
  for (let d = 0; d <= 12; d++) if (Math.abs(Math.round(tick * 10 ** d) - tick * 10 ** d) < 1e-9) return d;
  return 12;
}

/**
 * The signal file in chunks of about `chunkChars` characters, header first for CSV.
 * @example for (const chunk of signalChunks(snapshot, 1_000_000, { seed: 1 })) writer.write(chunk);
 */
export function* signalChunks(snap: Snapshot, n: number, opts: SignalGenOptions = {}): Generator<string> {
  const inst = instruments(snap);
  if (inst.length === 0 && n > 0) throw new Error("the config has no symbols to generate signals for");
  const rand = rng(opts.seed ?? 42);
  const csv = (opts.format ?? "csv") === "csv";
  const outliers = opts.outliers ?? 0.01;
  const limit = opts.chunkChars ?? 1 << 20;
  let chunk = csv ? `${CSV_HEADER}\n` : "";
  // Each symbol's price walks from its reference price in steps of up to 10 bps, kept within 80%
  // of its collar; an outlier is a one-off print 1.2-3x the collar away that leaves the walk alone.
  const walk = new Float64Array(inst.length).fill(0);
  let ts = START_TS;
  for (let k = 0; k < n; k++) {
    // Draw every value in the same order whatever the format, so CSV and JSONL agree.
    const j = Math.floor(rand() * inst.length);
    const s = inst[j]!;
    const side = rand() < 0.5 ? "buy" : "sell";
    const strength = (Math.floor(rand() * 100) + 1) / 100;
    const u = rand() * 2 - 1;
    let away: number;
    if (rand() < outliers) away = (u < 0 ? -1 : 1) * (1.2 + Math.abs(u) * 1.8) * s.collar;
    else {
      const bound = 0.8 * s.collar;
      away = Math.min(bound, Math.max(-bound, walk[j]! + u * 0.001));
      walk[j] = away;
    }
    const ticks = Math.max(1, Math.round((s.ref * (1 + away)) / s.tick));
    const price = (ticks * s.tick).toFixed(s.decimals);
    ts += 1 + Math.floor(rand() * 5);
    const id = k + 1;
    if (csv) chunk += `${ts},${id},${s.symbol},${side},${strength},${price},${s.strategy}\n`;
    else {
      const strategy = s.strategy === "" ? "" : `,"strategy":"${s.strategy}"`;
      chunk += `{"id":"${id}","symbol":"${s.symbol}","side":"${side}","strength":${strength},"price":${price}${strategy},"ts":${ts}}\n`;
    }
    if (chunk.length >= limit) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** The whole signal file as one string (tests, small files). */
export function generateSignals(snap: Snapshot, n: number, opts: SignalGenOptions = {}): string {
  let out = "";
  for (const chunk of signalChunks(snap, n, opts)) out += chunk;
  return out;
}

/** Write a generated file through a buffered writer, in the format its extension names (default CSV). */
export async function writeSignals(path: string, snap: Snapshot, n: number, opts: SignalGenOptions = {}): Promise<void> {
  const w = Bun.file(path).writer({ highWaterMark: 1 << 20 });
  for (const chunk of signalChunks(snap, n, { ...opts, format: opts.format ?? formatOfPath(path) ?? "csv" })) w.write(chunk);
  await w.end();
}

const usage = "usage: bun bench/gen-signals.ts N [--config FILE] [--out FILE.csv|FILE.jsonl] [--format csv|jsonl] [--seed S]";

async function cli(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { config: { type: "string" }, out: { type: "string" }, format: { type: "string" }, seed: { type: "string" } },
    1,
  );
  if (values.help) return (console.log(usage), 0);
  const n = Number(positionals[0]);
  const seed = Number(values.seed ?? 42);
  const format = values.format ?? (values.out === undefined ? "csv" : (formatOfPath(values.out) ?? "csv"));
  if (positionals[0] === undefined || !Number.isInteger(n) || n < 0) throw new UsageError("N must be a whole number of signals");
  if (!Number.isInteger(seed)) throw new UsageError("--seed must be an integer");
  if (format !== "csv" && format !== "jsonl") throw new UsageError("--format must be csv or jsonl");

  const source = await readSource(values.config);
  const prepared = prepareText(source.text, source.format);
  if (!prepared.ok) {
    for (const issue of prepared.issues) console.error(formatIssue(issue));
    console.error(`gen-signals: ${source.name} is invalid`);
    return 1;
  }
  if (values.out !== undefined) {
    await writeSignals(values.out, prepared.snapshot, n, { seed, format });
    return 0;
  }
  const w = Bun.stdout.writer();
  for (const chunk of signalChunks(prepared.snapshot, n, { seed, format })) {
    w.write(chunk);
    await w.flush();
  }
  return 0;
}

if (import.meta.main) {
  try {
    process.exitCode = await cli(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError || err instanceof SourceError)) throw err;
    console.error(`gen-signals: ${err.message}\n${usage}`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  }
}
