/** The embedded default and every file in config/examples validate; the examples say true things. */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { EMBEDDED_DEFAULT } from "../../src/cli/source.ts";
import { formatOf } from "../../src/config/load.ts";
import { prepareText, type Prepared } from "../../src/config/prepare.ts";
import { effectiveOf } from "../../src/config/snapshot.ts";
import { keyOf, referenceEffective, type Raw } from "./fixtures.ts";

const ROOT = join(import.meta.dir, "../..");
const EXAMPLES = join(ROOT, "config/examples");
const files = readdirSync(EXAMPLES).filter((f) => /\.(toml|json)$/i.test(f)).sort();

function load(path: string): { p: Prepared; raw: Raw } {
  const text = readFileSync(path, "utf8");
  const p = prepareText(text, formatOf(path));
  if (!p.ok) throw new Error(`${path}:\n${p.issues.map((i) => `${i.path}: ${i.message}`).join("\n")}`);
  const raw = formatOf(path) === "json" ? JSON.parse(text) : Bun.TOML.parse(text);
  return { p, raw: raw as Raw };
}

describe("the embedded default", () => {
  test("is config/default.toml, and is valid without warnings", () => {
    expect(EMBEDDED_DEFAULT.text).toBe(readFileSync(join(ROOT, "config/default.toml"), "utf8"));
    expect(EMBEDDED_DEFAULT.format).toBe("toml");
    const p = prepareText(EMBEDDED_DEFAULT.text, EMBEDDED_DEFAULT.format);
    if (!p.ok) throw new Error(JSON.stringify(p.issues));
    expect(p.warnings).toEqual([]);
    expect(p.document.trading.mode).toBe("paper");
  });

  test("matches README: 28 symbols, 5 sectors, 2 strategies", () => {
    const { p } = load(join(ROOT, "config/default.toml"));
    expect([p.snapshot.symbolCount, p.snapshot.sectors.length, p.snapshot.strategies.length]).toEqual([28, 5, 2]);
  });
});

describe("config/examples", () => {
  test("holds the hand-written examples", () => {
    expect(files).toContain("inheritance.toml");
    expect(files).toContain("sector-limits.toml");
  });

  for (const file of files) {
    test(`${file} is valid`, () => {
      const { p, raw } = load(join(EXAMPLES, file));
      expect(p.snapshot.symbolCount).toBe(Object.keys(raw.symbols ?? {}).length);
      // Every symbol's compiled profile is what the plain reference resolver says.
      for (const name of p.snapshot.symbols) {
        const { id, ...effective } = effectiveOf(p.snapshot, name)!;
        expect(keyOf(effective as never)).toBe(keyOf(referenceEffective(raw, name)));
        expect(id).toBeGreaterThanOrEqual(0);
      }
    });
  }
});

describe("inheritance.toml says true things", () => {
  const { p } = load(join(EXAMPLES, "inheritance.toml"));
  const eff = (s: string) => effectiveOf(p.snapshot, s)!;

  test("no warnings", () => expect(p.warnings).toEqual([]));

  test("AAPL is exactly the defaults, documented defaults included", () => {
    expect(eff("AAPL").position_sizing).toEqual({ method: "scaled", default_position_size: 100, max_position_size: 1000 });
    expect(eff("AAPL").execution.max_slippage_bps).toBe(10);
    expect(eff("AAPL").limits.max_daily_loss).toBe(25000);
  });

  test("MSFT takes momentum's fields and the defaults' others", () => {
    expect(eff("MSFT").position_sizing).toEqual({ method: "scaled", default_position_size: 200, max_position_size: 2000 });
    expect(eff("MSFT").limits.max_orders_per_second).toBe(50);
    expect(eff("MSFT").limits.price_collar_bps).toBe(500);
  });

  test("NVDA: its own max and collar over momentum's default size", () => {
    expect(eff("NVDA").position_sizing).toEqual({ method: "scaled", default_position_size: 200, max_position_size: 800 });
    expect(eff("NVDA").limits.price_collar_bps).toBe(300);
    expect(eff("NVDA").limits.max_orders_per_second).toBe(50);
  });

  test('BRK.B: market orders, "ioc" and "fixed" from mean_reversion, its own size', () => {
    expect(eff("BRK.B").execution).toEqual({ order_type: "market", time_in_force: "ioc", limit_offset_bps: 2, max_slippage_bps: 5 });
    expect(eff("BRK.B").position_sizing).toEqual({ method: "fixed", default_position_size: 100, max_position_size: 1000 });
  });

  test("GS overrides one limit over the defaults", () => {
    expect(eff("GS").limits.max_daily_trades).toBe(10);
    expect(eff("AAPL").limits.max_daily_trades).toBe(100);
  });

  test("V and JPM share one interned profile", () => {
    expect(eff("V")).toBe(eff("JPM"));
    expect(eff("JPM").position_sizing.method).toBe("fixed");
    expect(p.snapshot.profileCount).toBe(6);
  });
});

describe("sector-limits.toml says true things", () => {
  const { p } = load(join(EXAMPLES, "sector-limits.toml"));
  const s = p.snapshot;
  const limit = (name: string) => s.sectorLimit[s.sectors.indexOf(name)];

  test("no warnings: every sector is used", () => expect(p.warnings).toEqual([]));

  test("each sector's limit is compiled by sector id", () => {
    expect(limit("tech")).toBe(1_200_000);
    expect(limit("semis")).toBe(600_000);
    expect(limit("energy")).toBe(500_000);
    expect(limit("utilities")).toBe(300_000);
    expect(limit("crypto-usd")).toBe(100_000);
    expect(p.document.risk.limits.max_gross_exposure).toBe(3_000_000);
  });

  test("an undefined sector in the same file is an error at the symbol", () => {
    const text = readFileSync(join(EXAMPLES, "sector-limits.toml"), "utf8").replace('sector = "semis"', 'sector = "semiconductors"');
    const r = prepareText(text, "toml");
    if (r.ok) throw new Error("valid");
    expect(r.issues.map((i) => [i.path, i.code])).toEqual([["symbols.NVDA.sector", "unknown_sector"]]);
  });
});
