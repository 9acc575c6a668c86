/**
 * A bench Worker: decides `decisions` pre-parsed signals with the shared decider against the
 * shared state, starting at the barrier, and reports how many were accepted and its own time.
 */
/// <reference lib="webworker" />
import { ACCEPTED, REASONS } from "../src/engine/reasons.ts";
import { SharedDecider } from "../src/engine/shared-decide.ts";
import { SharedRiskState } from "../src/risk/shared-state.ts";
import { Generation } from "../src/workers/generation.ts";
import { benchSignals, RING, STEP_MS, type BenchJob } from "./workers-cases.ts";

declare const self: Worker;

self.onmessage = (e: MessageEvent<BenchJob | { spin: number }>) => {
  if ("spin" in e.data) {
    // The machine's own ceiling: arithmetic with no shared memory at all.
    const t0 = performance.now();
    let x = 0;
    for (let k = 0; k < e.data.spin; k++) x = (x + k * 7) | 0;
    self.postMessage({ ms: performance.now() - t0, x });
    return;
  }
  const j = e.data;
  const gen = Generation.fromParts(j.gen);
  const d = new SharedDecider(gen, new SharedRiskState(gen.snap.symbolCount, j.sectors, j.state));
  const signals = benchSignals(gen.snap, new Map(j.refs), j.seed);
  // Warm up the JIT on the same path before the clock starts.
  let clock = Date.UTC(2026, 10, 25, 14, 30) + j.seed * 1_000_000;
  for (let k = 0; k < 200_000; k++) {
    const s = signals[k & (RING - 1)]!;
    s.ts = clock += STEP_MS;
    d.decide(s);
  }
  self.postMessage({ ready: true });
  Atomics.wait(j.go, 0, 0);
  const t0 = performance.now();
  const codes = new Int32Array(REASONS.length);
  for (let k = 0; k < j.decisions; k++) {
    const s = signals[k & (RING - 1)]!;
    s.ts = clock += STEP_MS;
    codes[d.decide(s)]!++;
  }
  const ms = performance.now() - t0;
  const rejects: Record<string, number> = {};
  for (let c = 1; c < codes.length; c++) if (codes[c]! > 0) rejects[REASONS[c]!] = codes[c]!;
  self.postMessage({ ms, accepted: codes[ACCEPTED]!, rejects, retries: d.retries });
};
