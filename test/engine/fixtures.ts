/**
 * Small hand-written configs for the engine tests: a base document with wide limits (so a test
 * names only the limit it exercises), a deep-merge for overrides, and a signal builder on a
 * running signal clock.
 */
import { prepareValue } from "../../src/config/prepare.ts";
import type { Snapshot } from "../../src/config/snapshot.ts";
import { Engine } from "../../src/engine/engine.ts";
import type { Reply } from "../../src/engine/order.ts";
import type { Signal } from "../../src/engine/signal.ts";

/** 2026-11-25 14:30:00 UTC: a Wednesday afternoon, far from any day boundary. */
export const T0 = Date.UTC(2026, 10, 25, 14, 30);
export const DAY_MS = 86_400_000;

type Plain = Record<string, unknown>;

/** Limits so wide that nothing but the limit under test can reject. */
export const WIDE_LIMITS = {
  max_daily_trades: 1_000_000,
  max_positions: 1000,
  max_order_notional: 1e12,
  max_gross_exposure: 1e15,
  max_orders_per_second: 1_000_000,
  price_collar_bps: 9000,
  max_daily_loss: 1e12,
  duplicate_window_ms: 0,
};

/** Three symbols: AAA and BBB in tech, CCC in energy; fixed size 100, limit orders at the signal price. */
export function baseConfig(): Plain {
  return {
    trading: {
      mode: "paper",
      position_sizing: { method: "fixed", default_position_size: 100, max_position_size: 1000 },
      execution: { order_type: "limit", time_in_force: "day", limit_offset_bps: 0, max_slippage_bps: 0 },
    },
    risk: {
      day_reset_utc: "00:00",
      limits: { ...WIDE_LIMITS },
      sectors: { tech: { max_gross_exposure: 1e15 }, energy: { max_gross_exposure: 1e15 } },
    },
    strategies: {},
    symbols: {
      AAA: { sector: "tech", reference_price: 100, tick_size: 0.01, lot_size: 1 },
      BBB: { sector: "tech", reference_price: 50, tick_size: 0.01, lot_size: 1 },
      CCC: { sector: "energy", reference_price: 20, tick_size: 0.01, lot_size: 1 },
    },
  };
}

function isPlain(v: unknown): v is Plain {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep merge: objects merge key by key, anything else replaces; `undefined` deletes the key. */
export function merge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete out[k];
    else if (isPlain(v) && isPlain(out[k])) out[k] = merge(out[k] as Plain, v);
    else out[k] = v;
  }
  return out;
}

/** The base config with overrides, validated and compiled; throws with the issues if invalid. */
export function snapshotOf(over: Plain = {}, replaceSymbols?: Plain): Snapshot {
  const raw = merge(baseConfig(), over);
  if (replaceSymbols !== undefined) raw.symbols = replaceSymbols;
  const p = prepareValue(raw);
  if (!p.ok) throw new Error(`test config invalid: ${JSON.stringify(p.issues)}`);
  return p.snapshot;
}

/** An engine on the paper venue over the base config with overrides. */
export function engineWith(over: Plain = {}, version = 1, replaceSymbols?: Plain): Engine {
  return new Engine(snapshotOf(over, replaceSymbols), version);
}

let nextId = 0;

/** A signal; ts defaults to T0. */
export function sig(symbol: string, side: number, price: number, extra: Partial<Signal> = {}): Signal {
  return { id: `s${++nextId}`, symbol, side, strength: 1, price, ts: T0, strategy: "", ...extra };
}

/** A running signal clock: each call to `at()` is 1 ms later unless told otherwise. */
export function clock(start = T0) {
  let t = start;
  return {
    next(step = 1): number {
      t += step;
      return t;
    },
    get now(): number {
      return t;
    },
  };
}

/** The reason of a reply ("accepted" for an order), for compact assertions. */
export function outcome(r: Reply): string {
  if (r.status === "accepted") return "accepted";
  if (r.status === "rejected") return r.reason;
  return `error: ${r.message}`;
}

/** The order of an accepted reply; throws with the reply otherwise. */
export function orderOf(r: Reply) {
  if (r.status !== "accepted") throw new Error(`expected an accepted reply, got ${JSON.stringify(r)}`);
  return r.order;
}
