/** Shared helpers for the config tests: a small valid document and issue look-ups. */
import { expect } from "bun:test";
import fc from "fast-check";
import type { ConfigIssue, ConfigWarning } from "../../src/config/errors.ts";
import { validate } from "../../src/config/validate.ts";

/** A plain JSON-like value, loose enough to hold any (also invalid) document. */
export type Raw = Record<string, any>;

/** A complete, valid symbol entry in sector "tech". */
export function symbol(extra: Raw = {}): Raw {
  return { sector: "tech", reference_price: 100, tick_size: 0.01, lot_size: 1, ...extra };
}

/**
 * A small valid document without warnings: two sectors, one strategy, three symbols, one of them
 * with a dot in its name (quoted in paths).
 */
export function baseDoc(): Raw {
  return {
    trading: { mode: "paper", max_symbols: 10, position_sizing: {}, execution: {} },
    risk: {
      day_reset_utc: "21:00",
      limits: {},
      sectors: { tech: { max_gross_exposure: 1_000_000 }, finance: { max_gross_exposure: 500_000 } },
    },
    strategies: { momentum: { position_sizing: { default_position_size: 200, max_position_size: 2000 } } },
    symbols: {
      AAPL: symbol({ strategy: "momentum" }),
      MSFT: symbol(),
      "BRK.B": symbol({ sector: "finance", reference_price: 412.3 }),
    },
  };
}

/** A copy of baseDoc() changed by `edit`. */
export function docWith(edit: (d: Raw) => void): Raw {
  const d = baseDoc();
  edit(d);
  return d;
}

/** The issues of an invalid document; fails the test when the document is valid. */
export function issuesOf(raw: unknown): ConfigIssue[] {
  const r = validate(raw);
  if (r.ok) throw new Error(`expected issues, the document is valid: ${JSON.stringify(raw)}`);
  expect(r.issues.length).toBeGreaterThan(0);
  return r.issues;
}

/** The warnings of a valid document; fails the test when the document is invalid. */
export function warningsOf(raw: unknown): ConfigWarning[] {
  const r = validate(raw);
  if (!r.ok) throw new Error(`expected a valid document, got ${JSON.stringify(r.issues)}`);
  return r.warnings;
}

/** `[path, code]` pairs, for exact comparisons that ignore message wording. */
export function pathsAndCodes(items: readonly { path: string; code: string }[]): [string, string][] {
  return items.map((i) => [i.path, i.code]);
}

/** Assert that a document has exactly one issue, at `path` with `code`. */
export function expectOnlyIssue(raw: unknown, path: string, code: string): ConfigIssue {
  const issues = issuesOf(raw);
  expect(pathsAndCodes(issues)).toEqual([[path, code]]);
  expect(issues[0]!.message.length).toBeGreaterThan(0);
  return issues[0]!;
}

/** fc.assert, with the failing assertion's own message in the error (bun does not print `cause`). */
export function assertProperty<Ts>(property: fc.IProperty<Ts>, params: fc.Parameters<Ts>): void {
  try {
    fc.assert(property, params);
  } catch (err) {
    const cause = err instanceof Error ? err.cause : undefined;
    if (cause === undefined) throw err;
    throw new Error(`${(err as Error).message}\nCaused by: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** README's "The config document" tables, written out again on purpose. */
export const README_DEFAULTS: Record<string, Record<string, number | string>> = {
  position_sizing: { method: "scaled", default_position_size: 100, max_position_size: 1000 },
  execution: { order_type: "limit", time_in_force: "day", limit_offset_bps: 2, max_slippage_bps: 10 },
  limits: {
    max_daily_trades: 50, max_positions: 20, max_order_notional: 250000, max_gross_exposure: 2000000,
    max_orders_per_second: 20, price_collar_bps: 500, max_daily_loss: 25000, duplicate_window_ms: 1000,
  },
};
/** An effective config as plain data: section -> field -> value. */
export type Eff = Record<string, Record<string, any>>;

/**
 * The effective config of a symbol (or, with no symbol, of the defaults or of a strategy), the slow
 * obvious way: field by field, the symbol's own value, else its strategy's, else the document's
 * defaults, else the documented default. Deliberately independent of src/config/resolve.ts.
 */
export function referenceEffective(doc: Raw, symbol: string | undefined, strategyName?: string): Eff {
  const sym: Raw | undefined = symbol === undefined ? undefined : doc.symbols[symbol];
  const strat: Raw | undefined = doc.strategies?.[sym === undefined ? strategyName! : sym.strategy];
  const out: Eff = {};
  for (const section of Object.keys(README_DEFAULTS)) {
    const defaults: Raw | undefined = section === "limits" ? doc.risk?.limits : doc.trading?.[section];
    out[section] = {};
    for (const field of Object.keys(README_DEFAULTS[section]!)) {
      out[section][field] = sym?.[section]?.[field] ?? strat?.[section]?.[field] ?? defaults?.[field] ?? README_DEFAULTS[section]![field];
    }
  }
  return out;
}

/** One string per distinct effective config. */
export const keyOf = (e: Eff) => JSON.stringify(Object.keys(README_DEFAULTS).map((s) => Object.keys(README_DEFAULTS[s]!).map((f) => e[s]![f])));
