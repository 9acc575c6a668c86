/**
 * Engine Workers (`keel serve --workers N`):
 *   bun bench/workers.bench.ts
 * 1. mitata, one thread: the shared decider (Atomics on the shared risk state) against decide.ts
 *    (plain typed arrays), the same pre-parsed signals, every one on the accept path: the cost of
 *    the atomic state per decision, as a ratio.
 * 2. A timed run: aggregate decisions per second with 1 and then 2 Workers deciding pre-parsed
 *    signals against one shared state (alternated, 3 rounds, median), and the ratio 2 / 1.
 * The machine is shared with other work: figures move between runs; the ratios are the result.
 */
import { bench, do_not_optimize, run, summary } from "mitata";
import { Decider } from "../src/engine/decide.ts";
import { SharedDecider } from "../src/engine/shared-decide.ts";
import { SharedRiskState } from "../src/risk/shared-state.ts";
import { Generation } from "../src/workers/generation.ts";
import { benchSignals, benchSnapshot, RING, STEP_MS, type BenchJob } from "./workers-cases.ts";

const N = 500;
const { snap, refs } = benchSnapshot(N);
// Each bench its own signal objects and clock, so neither sees the other's writes.
const signals = benchSignals(snap, refs, 1);
const signals2 = benchSignals(snap, refs, 1);
const plain = new Decider(snap, 1);
const shared = new SharedDecider(Generation.create(snap, 1), new SharedRiskState(snap.symbolCount, snap.sectors.length));
let j = 0;
let clock = Date.UTC(2026, 10, 25, 14, 30);
let j2 = 0;
let clock2 = clock;

summary(() => {
  bench("decide.ts (single-threaded RiskState)", () => {
    const s = signals[j++ & (RING - 1)]!;
    s.ts = clock += STEP_MS;
    return do_not_optimize(plain.decide(s));
  }).baseline(true);
  bench("shared-decide.ts (Atomics, SharedRiskState)", () => {
    const s = signals2[j2++ & (RING - 1)]!;
    s.ts = clock2 += STEP_MS;
    return do_not_optimize(shared.decide(s));
  });
});
const { benchmarks } = await run();
const avg = (name: string) => benchmarks.find((b) => b.alias === name)?.runs[0]?.stats?.avg ?? Number.NaN;
const a = avg("decide.ts (single-threaded RiskState)");
const b = avg("shared-decide.ts (Atomics, SharedRiskState)");
console.log(`\nper decision, ${N} symbols: decide.ts ${a.toFixed(1)} ns, shared ${b.toFixed(1)} ns: the atomic state costs ${(b / a).toFixed(2)}x`);

const DECISIONS = 3_000_000;

/** Aggregate decisions per second of `workers` Workers on one fresh shared state. */
async function aggregate(workers: number): Promise<{ perSecond: number; accepted: number; retries: number; rejects: unknown[] }> {
  const gen = Generation.create(snap, 1);
  const state = new SharedRiskState(snap.symbolCount, snap.sectors.length);
  const go = new Int32Array(new SharedArrayBuffer(4));
  const ws = Array.from({ length: workers }, () => new Worker(new URL("./workers-child.ts", import.meta.url)));
  try {
    const ready = ws.map((w) => new Promise((ok) => w.addEventListener("message", ok, { once: true })));
    ws.forEach((w, k) => {
      const job: BenchJob = { gen: gen.toParts(), state: state.buffer, sectors: snap.sectors.length, refs: [...refs], seed: k + 1, decisions: DECISIONS, go };
      w.postMessage(job);
    });
    await Promise.all(ready);
    const done = ws.map((w) => new Promise<any>((ok) => w.addEventListener("message", (e: MessageEvent) => ok(e.data), { once: true })));
    const t0 = performance.now();
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    const results = await Promise.all(done);
    const ms = performance.now() - t0;
    return {
      perSecond: (workers * DECISIONS) / (ms / 1000),
      accepted: results.reduce((n, r) => n + r.accepted, 0) / (workers * DECISIONS),
      retries: results.reduce((n, r) => n + r.retries, 0),
      rejects: results.map((r) => r.rejects),
    };
  } finally {
    for (const w of ws) w.terminate();
  }
}

/** Loop iterations per second of `workers` Workers doing arithmetic alone: what the machine gives. */
async function ceiling(workers: number): Promise<number> {
  const SPIN = 200_000_000;
  const ws = Array.from({ length: workers }, () => new Worker(new URL("./workers-child.ts", import.meta.url)));
  try {
    const t0 = performance.now();
    await Promise.all(ws.map((w) => new Promise((ok) => {
      w.addEventListener("message", ok, { once: true });
      w.postMessage({ spin: SPIN });
    })));
    return (workers * SPIN) / ((performance.now() - t0) / 1000);
  } finally {
    for (const w of ws) w.terminate();
  }
}

const ones: number[] = [];
const twos: number[] = [];
for (let round = 0; round < 3; round++) {
  const one = await aggregate(1);
  const two = await aggregate(2);
  ones.push(one.perSecond);
  twos.push(two.perSecond);
  console.log(
    `round ${round + 1}: 1 worker ${(one.perSecond / 1e6).toFixed(2)} M/s (${(one.accepted * 100).toFixed(0)}% accepted), ` +
      `2 workers ${(two.perSecond / 1e6).toFixed(2)} M/s (${(two.accepted * 100).toFixed(0)}% accepted, ${two.retries} position CAS retries)`,
  );
  if (two.accepted < 1) console.log("  2-worker rejects:", JSON.stringify(two.rejects));
}
const c1 = await ceiling(1);
const c2 = await ceiling(2);
console.log(`the machine right now: a loop with no shared memory scales ${(c2 / c1).toFixed(2)}x from 1 to 2 Workers (2 cores, shared)`);
const median = (xs: number[]) => xs.slice().sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const m1 = median(ones);
const m2 = median(twos);
console.log(`aggregate, ${DECISIONS.toLocaleString()} decisions per Worker, median of 3: 1 worker ${(m1 / 1e6).toFixed(2)} M/s, 2 workers ${(m2 / 1e6).toFixed(2)} M/s: ${(m2 / m1).toFixed(2)}x (target >= 1.6x)`);
