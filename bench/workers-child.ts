/**
 * A bench Worker: decides `decisions` pre-parsed signals, starting at the barrier, and reports how
 * many were accepted and its own time. The shared decider against the shared state (a busy
 * Worker keeps its leases: nothing here is refused, and it is never idle for a tick); or decide.ts
 * on this Worker's own private state (what the same decisions cost with nothing shared: the
 * machine's ceiling for this work).
 */
/// <reference lib="webworker" />
import { Decider } from "../src/engine/decide.ts";
import { ACCEPTED, REASONS } from "../src/engine/reasons.ts";
import { SharedDecider } from "../src/engine/shared-decide.ts";
import type { Signal } from "../src/engine/signal.ts";
import { SharedRiskState } from "../src/risk/shared-state.ts";
import { Generation } from "../src/workers/generation.ts";
import { benchSignals, RING, STEP_MS, TIMED_T0, WARM, type BenchJob } from "./workers-cases.ts";

declare const self: Worker;

/** decide() for `n` signals from clock `t`: the clock after. */
function runShared(d: SharedDecider, signals: Signal[], n: number, t: number, codes: Int32Array): number {
  for (let k = 0; k < n; k++) {
    const s = signals[k & (RING - 1)]!;
    s.ts = t += STEP_MS;
    codes[d.decide(s)]!++;
  }
  return t;
}

function runPrivate(d: Decider, signals: Signal[], n: number, t: number, codes: Int32Array): number {
  for (let k = 0; k < n; k++) {
    const s = signals[k & (RING - 1)]!;
    s.ts = t += STEP_MS;
    const c = d.decide(s);
    if (c === ACCEPTED) d.fill(d.symbolIndex, d.side, d.qty, d.price);
    codes[c]!++;
  }
  return t;
}

self.onmessage = (e: MessageEvent<BenchJob | { spin: number }>) => {
  if ("spin" in e.data) {
    // Arithmetic with no memory traffic at all.
    const t0 = performance.now();
    let x = 0;
    for (let k = 0; k < e.data.spin; k++) x = (x + k * 7) | 0;
    self.postMessage({ ms: performance.now() - t0, x });
    return;
  }
  const j = e.data;
  const gen = Generation.fromParts(j.gen);
  const signals = benchSignals(gen.snap, new Map(j.refs), j.seed, j.own ?? undefined);
  const shared = j.engine === "shared" ? new SharedDecider(gen, new SharedRiskState(gen.snap.symbolCount, j.sectors, j.state)) : null;
  const plain = j.engine === "private" ? new Decider(gen.snap, 1) : null;
  const run = (n: number, t: number, codes: Int32Array) => (shared !== null ? runShared(shared, signals, n, t, codes) : runPrivate(plain!, signals, n, t, codes));
  // Warm up the JIT on the same path before the clock starts (WARM: why so many).
  run(WARM, Date.UTC(2026, 10, 25, 14, 30) + j.seed * 1_000_000, new Int32Array(REASONS.length));
  shared?.returnLeases();
  self.postMessage({ ready: true });
  Atomics.wait(j.go, 0, 0);
  const t0 = performance.now();
  const codes = new Int32Array(REASONS.length);
  run(j.decisions, TIMED_T0 + j.seed * 1_000_000, codes);
  const ms = performance.now() - t0;
  shared?.returnLeases();
  const rejects: Record<string, number> = {};
  for (let c = 1; c < codes.length; c++) if (codes[c]! > 0) rejects[REASONS[c]!] = codes[c]!;
  self.postMessage({ ms, accepted: codes[ACCEPTED]!, rejects, retries: shared?.retries ?? 0 });
};
