/**
 * Configs and signals for the engine-Worker tests: a universe with integer reference prices and
 * tight limits, so the shared decider and the single-threaded one can be compared decision by
 * decision (at the reference price both value exposure alike), and a seeded signal stream.
 */
import { prepareValue } from "../../src/config/prepare.ts";
import type { Snapshot } from "../../src/config/snapshot.ts";
import type { Signal } from "../../src/engine/signal.ts";
import { T0 } from "../engine/fixtures.ts";
import { rng } from "../../bench/gen-config.ts";

export { T0 };

type Plain = Record<string, unknown>;

/** `n` symbols S0..S(n-1) over three sectors; tight limits that random signals run into. */
export function tightDoc(n: number, over: { limits?: Plain; sectorLimit?: number; maxSize?: number; version?: number } = {}): Plain {
  const symbols: Plain = {};
  for (let i = 0; i < n; i++) {
    symbols[`S${i}`] = {
      sector: ["tech", "energy", "banks"][i % 3],
      reference_price: 10 + (i % 7) * 5,
      tick_size: 0.01,
      lot_size: i % 4 === 0 ? 10 : 1,
      ...(i % 5 === 0 ? { limits: { max_orders_per_second: 10 } } : {}),
    };
  }
  const sector = { max_gross_exposure: over.sectorLimit ?? 6_000 };
  return {
    trading: {
      mode: "paper",
      position_sizing: { method: "scaled", default_position_size: 100, max_position_size: over.maxSize ?? 300 },
      execution: { order_type: "limit", time_in_force: "day", limit_offset_bps: 2, max_slippage_bps: 0 },
    },
    risk: {
      day_reset_utc: "00:00",
      limits: {
        max_daily_trades: 900, max_positions: 8, max_order_notional: 2_500, max_gross_exposure: 15_000, max_orders_per_second: 100,
        price_collar_bps: 500, max_daily_loss: 1e12, duplicate_window_ms: 5, ...over.limits,
      },
      sectors: { tech: sector, energy: sector, banks: sector },
    },
    strategies: {},
    symbols,
  };
}

export function compileDoc(doc: Plain): Snapshot {
  const p = prepareValue(doc);
  if (!p.ok) throw new Error(`test config invalid: ${JSON.stringify(p.issues)}`);
  return p.snapshot;
}


/**
 * `count` signals over `n` symbols at their reference price (so both deciders value exposure
 * alike), random side and strength, the clock moving 0-2 ms per signal; now and then an exact
 * repeat of the previous signal, for the duplicate check.
 */
export function signals(n: number, count: number, seed: number, start = T0): Signal[] {
  const rand = rng(seed);
  const out: Signal[] = [];
  let ts = start;
  for (let k = 0; k < count; k++) {
    ts += Math.floor(rand() * 3);
    const prev = out[out.length - 1];
    if (prev !== undefined && rand() < 0.05) {
      out.push({ ...prev, id: `x${seed}-${k}`, ts });
      continue;
    }
    const i = Math.floor(rand() * n);
    out.push({
      id: `x${seed}-${k}`, symbol: `S${i}`, side: rand() < 0.5 ? 1 : -1, strength: 0.1 + Math.floor(rand() * 10) / 10,
      price: 10 + (i % 7) * 5, ts, strategy: "",
    });
  }
  return out;
}
