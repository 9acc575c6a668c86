/**
 * The engine-Worker benchmark's shared pieces: a 500-symbol universe with wide limits (every
 * signal travels the whole path), its pre-parsed signals (read from their wire form, as ingest
 * reads them), and the job a bench Worker runs (workers-child.ts).
 */
import { prepareValue } from "../src/config/prepare.ts";
import type { Snapshot } from "../src/config/snapshot.ts";
import { toSignal, type Signal } from "../src/engine/signal.ts";
import type { GenerationParts } from "../src/workers/generation.ts";
import { generateDocument, rng } from "./gen-config.ts";

export const RING = 4096;
/**
 * Signal-clock step per decision: a trading day is then 216,000 decisions per Worker, well under the 2^20 trades a
 * day the shared state counts, so max_daily_trades never rejects and every signal is accepted.
 */
export const STEP_MS = 400;
/**
 * Decisions before the timed run: enough for the top JIT tier. With 200,000 the background
 * compile of decide() still ran during the timed run and took a core from the two Workers (the
 * same decisions on private state scaled 1.59x from 1 to 2 Workers; warmed up like this, 1.74x).
 */
export const WARM = 3_000_000;
/** The timed run's signal clock starts here, on one day for every Worker, after any warm-up day. */
export const TIMED_T0 = Date.UTC(2026, 11, 31);

export function benchSnapshot(n: number): { snap: Snapshot; refs: Map<string, number> } {
  const raw = generateDocument(n, { overrideEvery: 0 }) as { risk: { limits: Record<string, number>; sectors: Record<string, { max_gross_exposure: number }> }; trading: { position_sizing: Record<string, number> } };
  Object.assign(raw.risk.limits, {
    max_daily_trades: 1_000_000, max_positions: 1e9, max_order_notional: 1e15, max_gross_exposure: 1e18, max_orders_per_second: 1e9,
    price_collar_bps: 5000, max_daily_loss: 1e15, duplicate_window_ms: 0,
  });
  for (const s of Object.values(raw.risk.sectors)) s.max_gross_exposure = 1e18;
  raw.trading.position_sizing.max_position_size = 1e9;
  // Strategies tighten limits (momentum: 50 orders/s); each Worker runs its own signal clock, so
  // a per-symbol rate limit would turn away the Worker whose clock is behind.
  for (const st of Object.values((raw as unknown as { strategies: Record<string, { limits?: unknown; position_sizing?: unknown }> }).strategies)) {
    delete st.limits;
    delete st.position_sizing;
  }
  const p = prepareValue(raw);
  if (!p.ok) throw new Error(`bench config invalid: ${JSON.stringify(p.issues.slice(0, 3))}`);
  const refs = new Map<string, number>();
  for (const [name, e] of Object.entries(p.document.symbols)) refs.set(name, e.reference_price);
  return { snap: p.snapshot, refs };
}

/**
 * RING signals parsed from JSON lines: a buy, then a sell of the same size on the same symbol, so
 * positions come back to zero and half the orders take capacity, half free it.
 *
 * With `own`, only the symbols i with i % own.of === own.worker: each Worker trades its own
 * symbols (one strategy per connection, trading its own book), the other workload reported.
 */
export function benchSignals(snap: Snapshot, refs: Map<string, number>, seed: number, own?: { worker: number; of: number }): Signal[] {
  const rand = rng(seed);
  const out: Signal[] = [];
  let symbol = "";
  let strength = 0;
  const stride = own?.of ?? 1;
  const first = own?.worker ?? 0;
  const count = Math.ceil((snap.symbolCount - first) / stride);
  for (let k = 0; k < RING; k++) {
    if ((k & 1) === 0) {
      symbol = snap.symbols[first + Math.floor(rand() * count) * stride]!;
      strength = 0.1 + rand() * 0.9;
    }
    const ref = refs.get(symbol)!;
    const line = JSON.stringify({ id: String(k), symbol, side: k & 1 ? "sell" : "buy", strength, price: ref * (1 + (rand() - 0.5) * 0.01), ts: 0 });
    const p = toSignal(JSON.parse(line), () => 0);
    if (!p.ok) throw new Error(p.message);
    out.push(p.signal);
  }
  return out;
}

export interface BenchJob {
  readonly gen: GenerationParts;
  readonly state: SharedArrayBuffer;
  readonly sectors: number;
  readonly refs: [string, number][];
  readonly seed: number;
  readonly decisions: number;
  /** "shared": the shared decider on the shared state; "private": decide.ts on this Worker's own state. */
  readonly engine: "shared" | "private";
  /** Set: this Worker's signals are on its own symbols only. */
  readonly own: { worker: number; of: number } | null;
  /** Start barrier: the Workers wait on word 0 until the parent sets it. */
  readonly go: Int32Array;
}
