/** Shared by the snapshot export tests and the reader process: generated configs and temp dirs. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rng } from "../../bench/gen-config.ts";
import { prepareValue, type Prepared } from "../../src/config/prepare.ts";
import { effectiveOf } from "../../src/config/snapshot.ts";
import { SnapshotFileWriter } from "../../src/export/snapshot-file.ts";
import { recordJson, type SymbolRecord } from "../../src/export/snapshot-reader.ts";

/** Prepare a raw document or fail loudly with its issues. */
export function prepared(raw: unknown): Prepared {
  const p = prepareValue(raw);
  if (!p.ok) throw new Error(`fixture config invalid: ${JSON.stringify(p.issues)}`);
  return p;
}

const SYMBOL_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:";

/**
 * A random valid document: random symbol names (1-32 characters, the whole allowed alphabet),
 * sectors, strategies and per-symbol overrides of every section, from a seed.
 */
export function randomDocument(seed: number, n: number): Record<string, any> {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const sectors = Array.from({ length: int(1, 6) }, (_, k) => `sector_${k}${"x".repeat(k === 0 ? 56 : 0)}`);
  const strategies = Array.from({ length: int(0, 4) }, (_, k) => `strat-${k}`);
  const sizing = () => {
    const d = int(1, 500);
    return { method: pick(["fixed", "scaled"]), default_position_size: d, max_position_size: d + int(1, 5000) };
  };
  const execution = () => ({ order_type: pick(["limit", "market"]), time_in_force: pick(["day", "ioc", "gtc"]), limit_offset_bps: int(0, 50) / 4, max_slippage_bps: int(0, 40) });
  const limits = () => ({ max_daily_trades: int(1, 10_000), max_orders_per_second: int(1, 100), price_collar_bps: int(1, 2000) + 0.5, duplicate_window_ms: int(0, 5000) });
  const symbols: Record<string, any> = {};
  while (Object.keys(symbols).length < n) {
    const len = r() < 0.1 ? 32 : int(1, 8);
    const name = Array.from({ length: len }, () => pick([...SYMBOL_CHARS])).join("");
    const entry: Record<string, any> = { sector: pick(sectors), reference_price: int(1, 1_000_000) / 100, tick_size: pick([0.01, 0.001, 0.05, 0.25]), lot_size: pick([1, 10, 100]) };
    if (strategies.length > 0 && r() < 0.7) entry.strategy = pick(strategies);
    if (r() < 0.3) entry.position_sizing = sizing();
    if (r() < 0.3) entry.execution = execution();
    if (r() < 0.3) entry.limits = limits();
    symbols[name] = entry;
  }
  return {
    trading: { mode: "paper", position_sizing: sizing(), execution: execution() },
    risk: { day_reset_utc: `${String(int(0, 23)).padStart(2, "0")}:${String(int(0, 59)).padStart(2, "0")}`, limits: limits(), sectors: Object.fromEntries(sectors.map((s) => [s, { max_gross_exposure: int(1, 1e7) }])) },
    strategies: Object.fromEntries(strategies.map((s) => [s, r() < 0.5 ? { position_sizing: sizing() } : { execution: execution(), limits: limits() }])),
    symbols,
  };
}

/** What the file must say about `symbol`: its effective config and instrument, from the Snapshot and document. */
export function expectedRecord(p: Prepared, symbol: string, version: number) {
  const eff = effectiveOf(p.snapshot, symbol)!;
  const entry = p.document.symbols[symbol]!;
  return {
    symbol,
    config_version: version,
    sector: entry.sector,
    strategy: entry.strategy ?? null,
    reference_price: entry.reference_price,
    tick_size: entry.tick_size,
    lot_size: entry.lot_size,
    profile_id: eff.id,
    position_sizing: eff.position_sizing,
    execution: eff.execution,
    limits: eff.limits,
  };
}

/** The comparable part of a record as read from the file (ids checked separately). */
export function comparable(r: SymbolRecord) {
  const { sector_id: _s, strategy_id: _t, ...rest } = recordJson(r);
  return rest;
}

/**
 * The versions the concurrency test flips through: VARIANTS small configs on the same symbols
 * whose every value depends on the variant, so a record from one variant inside another's header
 * is visible without the CRC. Version v is variant v % VARIANTS.
 */
export const VARIANTS = 8;
export const FLIP_SYMBOLS = ["AAPL", "MSFT", "BRK.B", "X", "LONGNAME-1234567890123456789012"];

export function variant(k: number): Prepared {
  return prepared({
    trading: { position_sizing: { default_position_size: 10 + k, max_position_size: 1000 + k } },
    risk: { limits: { max_daily_trades: 100 + k, max_order_notional: 1e6 + k }, sectors: { tech: { max_gross_exposure: 5e6 + k } } },
    symbols: Object.fromEntries(
      FLIP_SYMBOLS.map((s, i) => [s, { sector: "tech", reference_price: 100 + k + i / 8, tick_size: 0.01, lot_size: 1 + k, limits: { price_collar_bps: 100 + 10 * k + i } }]),
    ),
  });
}

/** Variant k's float64 fields of `symbol`, in record order, from the document and effectiveOf(). */
export function variantValues(k: number, symbol: string): number[] {
  const e = expectedRecord(variants()[k]!, symbol, 0);
  return [
    e.reference_price, e.tick_size, e.lot_size, e.position_sizing.default_position_size, e.position_sizing.max_position_size,
    e.execution.limit_offset_bps, e.execution.max_slippage_bps, e.limits.max_daily_trades, e.limits.max_positions,
    e.limits.max_order_notional, e.limits.max_gross_exposure, e.limits.max_orders_per_second, e.limits.price_collar_bps,
    e.limits.max_daily_loss, e.limits.duplicate_window_ms,
  ];
}
let variantsPrepared: Prepared[] | null = null;
/** The VARIANTS prepared configs, compiled once. */
export function variants(): Prepared[] {
  return (variantsPrepared ??= Array.from({ length: VARIANTS }, (_, k) => variant(k)));
}

/** A fresh temp directory and its removal. */
export function tempDir(prefix = "keel-export-"): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const MAIN = join(import.meta.dir, "../../src/main.ts");

/** `keel snapshot ARGS` in a child process: exit code, stdout, stderr. */
export async function snapshotCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn([process.execPath, MAIN, "snapshot", ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}

/** A writer on a fresh temp snapshot.bin; `cleanups` gets its close and the dir's removal. */
export function freshWriter(cleanups: (() => void)[]): { dir: string; path: string; writer: SnapshotFileWriter } {
  const t = tempDir();
  const path = join(t.dir, "snapshot.bin");
  const writer = new SnapshotFileWriter(path);
  cleanups.push(() => {
    writer.close();
    t.remove();
  });
  return { dir: t.dir, path, writer };
}
