/**
 * Run by alloc.test.ts in a fresh process: a heap shaped by the rest of the test suite (large
 * free lists after the 100,000-symbol tests) can serve a whole allocating loop without growing,
 * which would blind the probe. Prints one JSON line of measurements; asserts nothing itself.
 *   bun test/engine/alloc-probe.ts
 */
import { heapStats, memoryUsage } from "bun:jsc";
import { Decider } from "../../src/engine/decide.ts";
import * as R from "../../src/engine/reasons.ts";
import type { Signal } from "../../src/engine/signal.ts";
import { snapshotOf, T0 } from "./fixtures.ts";

// Long enough that one allocating byte per decision (1 MB) would show against the JIT and GC
// bookkeeping that lands in the window on a loaded machine (up to ~1.2 MB seen): alloc.test.ts
// bounds growth at 4 MiB, which catches 4.2 bytes per decision.
const N = 1_000_000;
const BUY = 1;
const SELL = -1;

/** Bytes the process's memory grew by while `run` ran (no GC in between), and the live heap growth after a full GC. */
function measure(run: () => void): { grown: number; retained: number } {
  Bun.gc(true);
  const heap0 = heapStats().heapSize;
  const mem0 = memoryUsage().current;
  run();
  const mem1 = memoryUsage().current;
  Bun.gc(true);
  return { grown: mem1 - mem0, retained: heapStats().heapSize - heap0 };
}

function signal(symbol: string, side: number, price: number): Signal {
  return { id: "hot", symbol, side, strength: 0.5, price, ts: T0, strategy: "" };
}

// Calibration: a loop of the same length that allocates one small object per step.
function calibration() {
  const sink: unknown[] = new Array(16);
  const allocate = (k: number) => {
    sink[k & 15] = { k, twice: k * 2 };
  };
  for (let k = 0; k < 20_000; k++) allocate(k);
  return measure(() => {
    for (let k = 0; k < N; k++) allocate(k);
  });
}

function rejected() {
  const d = new Decider(snapshotOf({ risk: { limits: { max_daily_trades: 1 } } }), 1);
  const s = signal("AAA", BUY, 100);
  if (d.decide(s) !== R.ACCEPTED) throw new Error("first signal must be accepted");
  let t = T0;
  const run = (n: number) => {
    let rejects = 0;
    for (let k = 0; k < n; k++) {
      s.ts = ++t;
      s.price = 100 + (k & 7) * 0.01;
      if (d.decide(s) === R.MAX_DAILY_TRADES) rejects++;
    }
    return rejects;
  };
  // Warm-up, long enough for decide() to reach the top JIT tier: compiling allocates.
  const warm = run(2 * N);
  let count = 0;
  const m = measure(() => {
    count = run(N);
  });
  return { ...m, warm, count };
}

function accepted() {
  // Room for the warm-up and the measured run within one trading day.
  const d = new Decider(snapshotOf({ risk: { limits: { max_daily_trades: 10_000_000 } } }), 1);
  const buy = signal("AAA", BUY, 100);
  const sell = signal("AAA", SELL, 100);
  let t = T0;
  const run = (n: number) => {
    let n2 = 0;
    for (let k = 0; k < n; k++) {
      const s = (k & 1) === 0 ? buy : sell;
      s.ts = ++t;
      s.price = 100 + (k & 7) * 0.01;
      if (d.decide(s) === R.ACCEPTED) {
        n2++;
        d.fill(d.symbolIndex, d.side, d.qty, d.price);
      }
    }
    return n2;
  };
  const warm = run(2 * N);
  let count = 0;
  const m = measure(() => {
    count = run(N);
  });
  return { ...m, warm, count, position: d.state.position(0) };
}

console.log(JSON.stringify({ n: N, calibration: calibration(), rejected: rejected(), accepted: accepted() }));
