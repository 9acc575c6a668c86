/**
 * Engine Workers (`keel serve --workers N`):
 *   bun bench/workers.bench.ts
 * 1. A timed run: aggregate decisions per second with 1 and then 2 Workers deciding pre-parsed
 *    signals against one shared state (alternated, 5 rounds, median), and the ratio 2 / 1, for two
 *    workloads: "uniform" (every Worker's signals over all symbols: the worst case, every symbol's
 *    row written from both cores) and "own symbols" (each Worker's signals on its own symbols, as
 *    when each strategy connection trades its own book; nothing routes them so, the kernel spreads
 *    connections).
 * 2. The ceilings in the same run: the same decisions by decide.ts on each Worker's own private
 *    state (nothing shared), and a loop with no memory traffic at all.
 * 3. Last, mitata, one thread: the shared decider (the shared risk state) against decide.ts (plain
 *    typed arrays, no fills), the same pre-parsed signals, every one on the accept path: the cost
 *    of the atomic state per decision, as a ratio. Last on purpose (see perDecision()).
 * The machine is shared with other work: figures move between runs; the ratios are the result.
 */
import { bench, do_not_optimize, run, summary } from "mitata";
import { Decider } from "../src/engine/decide.ts";
import { SharedDecider } from "../src/engine/shared-decide.ts";
import { SharedRiskState } from "../src/risk/shared-state.ts";
import { Generation } from "../src/workers/generation.ts";
import { benchSignals, benchSnapshot, RING, STEP_MS, WARM, type BenchJob } from "./workers-cases.ts";

const N = 500;
const { snap, refs } = benchSnapshot(N);
const DECISIONS = 3_000_000;
/** Rounds per workload: the machine is shared, and a round now and then runs beside other work. */
const ROUNDS = 5;

type Workload = { engine: BenchJob["engine"]; own: boolean };

/** Aggregate decisions per second of `workers` Workers on one fresh shared state. */
async function aggregate(workers: number, w: Workload): Promise<{ perSecond: number; accepted: number; retries: number; rejects: unknown[] }> {
  const gen = Generation.create(snap, 1);
  const state = new SharedRiskState(snap.symbolCount, snap.sectors.length);
  const go = new Int32Array(new SharedArrayBuffer(4));
  const ws = Array.from({ length: workers }, () => new Worker(new URL("./workers-child.ts", import.meta.url)));
  try {
    const ready = ws.map((x) => new Promise((ok) => x.addEventListener("message", ok, { once: true })));
    ws.forEach((x, k) => {
      const job: BenchJob = {
        gen: gen.toParts(), state: state.buffer, sectors: snap.sectors.length, refs: [...refs], seed: k + 1, decisions: DECISIONS, go,
        engine: w.engine, own: w.own ? { worker: k, of: workers } : null,
      };
      x.postMessage(job);
    });
    await Promise.all(ready);
    const done = ws.map((x) => new Promise<any>((ok) => x.addEventListener("message", (e: MessageEvent) => ok(e.data), { once: true })));
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
    for (const x of ws) x.terminate();
  }
}

/** Loop iterations per second of `workers` Workers doing arithmetic alone. */
async function spin(workers: number): Promise<number> {
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

const median = (xs: number[]) => xs.slice().sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const M = (x: number) => `${(x / 1e6).toFixed(2)} M/s`;

/** ROUNDS rounds of 1 then 2 Workers, alternated: the medians and their ratio. */
async function scaling(name: string, w: Workload): Promise<number> {
  const ones: number[] = [];
  const twos: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const one = await aggregate(1, w);
    const two = await aggregate(2, w);
    ones.push(one.perSecond);
    twos.push(two.perSecond);
    console.log(
      `  ${name} round ${round + 1}: 1 worker ${M(one.perSecond)} (${(one.accepted * 100).toFixed(0)}% accepted), ` +
        `2 workers ${M(two.perSecond)} (${(two.accepted * 100).toFixed(0)}% accepted, ${two.retries} position CAS retries)`,
    );
    if (two.accepted < 1) console.log("    2-worker rejects:", JSON.stringify(two.rejects));
  }
  const m1 = median(ones);
  const m2 = median(twos);
  console.log(`${name}: 1 worker ${M(m1)}, 2 workers ${M(m2)}: ${(m2 / m1).toFixed(2)}x (median of ${ROUNDS})`);
  return m2 / m1;
}

console.log(`aggregate, ${DECISIONS.toLocaleString()} decisions per Worker, ${N} symbols:`);
const uniform = await scaling("shared state, uniform", { engine: "shared", own: false });
const own = await scaling("shared state, own symbols", { engine: "shared", own: true });
const ceiling = await scaling("ceiling: decide.ts on private state, uniform", { engine: "private", own: false });
const c1 = await spin(1);
const c2 = await spin(2);
console.log(`\n1 -> 2 Workers: shared state ${uniform.toFixed(2)}x uniform, ${own.toFixed(2)}x own symbols (target >= 1.6x); ` +
  `the same decisions on private state ${ceiling.toFixed(2)}x; a loop with no memory traffic ${(c2 / c1).toFixed(2)}x`);

/**
 * Per decision on one thread, mitata: run last, so the Workers are measured in a process whose
 * main thread has not decided (2-Worker runs fell to ~10 M/s more often after it had, in runs
 * that other work on the machine may also have disturbed: README, Engine Workers).
 */
async function perDecision(): Promise<void> {
  // Each bench its own signal objects and clock, so neither sees the other's writes.
  const signals = benchSignals(snap, refs, 1);
  const signals2 = benchSignals(snap, refs, 1);
  const plain = new Decider(snap, 1);
  const shared = new SharedDecider(Generation.create(snap, 1), new SharedRiskState(snap.symbolCount, snap.sectors.length));
  let j = 0;
  let clock = Date.UTC(2026, 10, 25, 14, 30);
  let j2 = 0;
  let clock2 = clock;

  // Both deciders to their top JIT tier first, as the Workers were (WARM): mitata samples for
  // a few tens of ms, and the shared decider, the larger function, was sometimes still in a lower
  // tier then (69 or 300 ns per decision from one run to the next).
  for (let k = 0; k < WARM; k++) {
    const a = signals[j++ & (RING - 1)]!;
    a.ts = clock += STEP_MS;
    plain.decide(a);
    const b = signals2[j2++ & (RING - 1)]!;
    b.ts = clock2 += STEP_MS;
    shared.decide(b);
  }

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
}

await perDecision();
