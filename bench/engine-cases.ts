/**
 * The three cases the engine is judged by, built once per universe size and shared by the
 * full benchmark (engine.bench.ts) and the CI gate (ci.ts):
 *   floor     a Map.get of the symbol and one comparison: the least any decision can cost (a
 *             Map of its own: the Snapshot's index is a faster dictionary, config/symbol-index.ts);
 *   decide    Decider.decide() over the compiled Snapshot with every check, on the accept path;
 *   validate  the old pattern: zod-parse the symbol's effective config, then decide.
 * Limits are set wide so every signal travels the whole path to acceptance (the slowest path);
 * the signal clock advances on every call so buckets refill and no duplicate window applies.
 */
import { z } from "zod";
import { prepareValue } from "../src/config/prepare.ts";
import { Execution, Limits, PositionSizing } from "../src/config/schema.ts";
import { effectiveOf } from "../src/config/snapshot.ts";
import { Decider } from "../src/engine/decide.ts";
import { toSignal, type Signal } from "../src/engine/signal.ts";
import { generateDocument, rng } from "./gen-config.ts";

/** The old system's per-access model: sections plus the cross-field rule, validated each time. */
const EffectiveModel = z
  .object({ position_sizing: PositionSizing, execution: Execution, limits: Limits })
  .refine((e) => e.position_sizing.max_position_size > e.position_sizing.default_position_size, {
    path: ["position_sizing", "max_position_size"],
  });

export interface EngineCases {
  readonly symbols: number;
  floor(): boolean;
  decide(): number;
  validateOnAccess(): number;
  /** The decider, for allocation checks. */
  readonly decider: Decider;
}

const RING = 4096; // signals cycled through; a power of two so the index is a mask

/** Build the cases for a universe of `n` symbols. */
export function engineCases(n: number): EngineCases {
  const raw = generateDocument(n, { overrideEvery: 10 }) as { risk: { limits: Record<string, number> } };
  // Wide limits: the benchmark measures the full path, not an early reject.
  Object.assign(raw.risk.limits, {
    max_daily_trades: 1e15,
    max_positions: 1e9,
    max_order_notional: 1e15,
    max_gross_exposure: 1e18,
    max_orders_per_second: 1e9,
    price_collar_bps: 5000,
    max_daily_loss: 1e15,
    duplicate_window_ms: 0,
  });
  const prepared = prepareValue(raw);
  if (!prepared.ok) throw new Error(`bench config invalid: ${JSON.stringify(prepared.issues.slice(0, 3))}`);
  const snap = prepared.snapshot;
  const doc = prepared.document;
  // Symbol overrides of per-symbol limits would reject; clear them on the compiled side is not
  // possible (immutable), so the generated overrides only touch sizing and the collar.
  const decider = new Decider(snap, 1);

  const rand = rng(7);
  const signals: Signal[] = [];
  const effective: unknown[] = [];
  for (let k = 0; k < RING; k++) {
    const symbol = snap.symbols[Math.floor(rand() * n)]!;
    const ref = doc.symbols[symbol]!.reference_price;
    // Each signal is read from its wire form by the edge's own parser, as an ingest line would
    // be: its symbol is then a fresh string, not the Map's own key object. With the key object
    // itself the floor's Map.get skips comparing characters, which no real signal ever gets.
    const line = JSON.stringify({
      id: String(k),
      symbol,
      side: rand() < 0.5 ? "buy" : "sell",
      strength: 0.1 + rand() * 0.9,
      price: ref * (1 + (rand() - 0.5) * 0.01),
      ts: 0,
    });
    const parsed = toSignal(JSON.parse(line), () => 0);
    if (!parsed.ok) throw new Error(`bench signal unreadable: ${parsed.message}`);
    signals.push(parsed.signal);
    // The old system held a plain per-symbol dict and validated it on every access.
    effective.push(JSON.parse(JSON.stringify(effectiveOf(snap, symbol))));
  }
  // The floor is a Map.get, as the issue defines it, whatever structure the Snapshot indexes
  // symbols with (config/symbol-index.ts: a dictionary object, faster than a Map).
  const index = new Map(snap.symbols.map((name, i) => [name, i] as const));
  let j = 0;
  let clock = Date.UTC(2026, 10, 25, 14, 30);

  return {
    symbols: n,
    decider,
    floor() {
      const s = signals[j++ & (RING - 1)]!;
      const i = index.get(s.symbol);
      return i !== undefined && s.price > 0;
    },
    decide() {
      const s = signals[j++ & (RING - 1)]!;
      s.ts = ++clock;
      return decider.decide(s);
    },
    validateOnAccess() {
      const k = j++ & (RING - 1);
      const s = signals[k]!;
      s.ts = ++clock;
      EffectiveModel.parse(effective[k]);
      return decider.decide(s);
    },
  };
}
