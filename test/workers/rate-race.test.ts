import { expect, test } from "bun:test";
import { SharedRiskState } from "../../src/risk/shared-state.ts";
import { Generation } from "../../src/workers/generation.ts";
import type { RaceJob } from "./rate-race-worker.ts";
import { compileDoc, T0, tightDoc } from "./fixtures.ts";

const WORKERS = 4;
const SYMBOLS = 10_000;
const ROUNDS = 3;
/** The race is a window of a few instructions: fresh states, several times over. */
const REPEATS = 5;

test("Workers far apart on the signal clock, first orders of every symbol at once: none refused by the rate limit it never reached", async () => {
  for (let n = 0; n < REPEATS; n++) await once();
}, 60_000);

async function once(): Promise<void> {
  // 20 orders/s: a bucket refuses only when its arrival time is 950 ms ahead; 12 orders a symbol
  // take it 600 ms ahead at most, in whatever order they are decided.
  const doc = tightDoc(SYMBOLS, {
    maxSize: 1e6, sectorLimit: 1e12,
    limits: { max_orders_per_second: 20, max_positions: 1e6, max_gross_exposure: 1e12, max_order_notional: 1e9, max_daily_trades: 1_000_000, duplicate_window_ms: 0 },
  });
  for (const s of Object.values((doc as { symbols: Record<string, { limits?: unknown }> }).symbols)) delete s.limits;
  const snap = compileDoc(doc);
  const gen = Generation.create(snap, 1);
  const state = new SharedRiskState(snap.symbolCount, snap.sectors.length);
  const go = new Int32Array(new SharedArrayBuffer(4));
  const workers = Array.from({ length: WORKERS }, () => new Worker(new URL("./rate-race-worker.ts", import.meta.url)));
  try {
    const ready = workers.map((w) => new Promise((ok) => w.addEventListener("message", ok, { once: true })));
    const done = workers.map((w) => new Promise<any>((ok) => w.addEventListener("message", (e: MessageEvent) => e.data.reasons !== undefined && ok(e.data))));
    workers.forEach((w, k) => {
      const job: RaceJob = { gen: gen.toParts(), state: state.buffer, symbols: snap.symbolCount, sectors: snap.sectors.length, t0: T0 + k * 5000, rounds: ROUNDS, go };
      w.postMessage(job);
    });
    await Promise.all(ready);
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    const reasons: Record<string, number> = {};
    for (const r of await Promise.all(done)) for (const [k, v] of Object.entries(r.reasons as Record<string, number>)) reasons[k] = (reasons[k] ?? 0) + v;
    expect(reasons).toEqual({ accepted: WORKERS * SYMBOLS * ROUNDS });
  } finally {
    for (const w of workers) w.terminate();
  }
}
