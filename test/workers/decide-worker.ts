/**
 * A test Worker: decides a seeded stream of signals with the shared decider against the shared
 * state it is given, starting when the test releases the barrier, and after every accepted order
 * checks that no shared counter is over its limit. Posts its order log (symbol index and signed
 * quantity of every accepted order) and what it saw. With `turn`, it gives its leases back every
 * 1..turn decisions (seeded), as an engine Worker does at the end of each event-loop turn.
 */
/// <reference lib="webworker" />
import { ACCEPTED, REASONS } from "../../src/engine/reasons.ts";
import { SharedDecider } from "../../src/engine/shared-decide.ts";
import { SharedRiskState } from "../../src/risk/shared-state.ts";
import { Generation, type GenerationParts } from "../../src/workers/generation.ts";
import { rng } from "../../bench/gen-config.ts";
import { signals } from "./fixtures.ts";

declare const self: Worker;

export interface DecideJob {
  readonly gen: GenerationParts;
  readonly state: SharedArrayBuffer;
  readonly symbols: number;
  readonly sectors: number;
  readonly seed: number;
  readonly count: number;
  readonly go: Int32Array;
  readonly limits: { maxSize: number; maxPositions: number; maxGross: number; sectorLimit: number; maxTrades: number };
  readonly turn: number;
}

self.onmessage = (e: MessageEvent<DecideJob>) => {
  const j = e.data;
  const gen = Generation.fromParts(j.gen);
  const state = new SharedRiskState(j.symbols, j.sectors, j.state);
  const d = new SharedDecider(gen, state);
  const stream = signals(j.symbols, j.count, j.seed);
  const log = new Int32Array(j.count * 2);
  let n = 0;
  const violations: string[] = [];
  const reasons: Record<string, number> = {};
  self.postMessage({ ready: true });
  Atomics.wait(j.go, 0, 0);
  const L = j.limits;
  const rand = rng(j.seed * 7);
  let untilReturn = 0;
  for (const s of stream) {
    if (j.turn > 0 && --untilReturn <= 0) {
      d.returnLeases();
      untilReturn = 1 + Math.floor(rand() * j.turn);
    }
    const code = d.decide(s);
    reasons[REASONS[code]!] = (reasons[REASONS[code]!] ?? 0) + 1;
    if (code !== ACCEPTED) continue;
    log[n++] = d.symbolIndex;
    log[n++] = d.side * d.qty;
    // Nothing over its limit, ever: read right after this order's own reservations. The shared
    // totals include the leases Workers hold, so usage is below them: this bounds usage too.
    const pos = Math.abs(state.position(d.symbolIndex));
    if (pos > L.maxSize) violations.push(`position ${pos}`);
    if (state.openPositions() > L.maxPositions) violations.push(`open ${state.openPositions()}`);
    if (state.gross() > L.maxGross) violations.push(`gross ${state.gross()}`);
    for (let k = 0; k < j.sectors; k++) if (state.sectorExposure(k) > L.sectorLimit) violations.push(`sector ${k} ${state.sectorExposure(k)}`);
    if (state.dailyTrades() > L.maxTrades) violations.push(`trades ${state.dailyTrades()}`);
  }
  d.returnLeases();
  self.postMessage({ log: log.subarray(0, n), violations: violations.slice(0, 20), reasons, retries: d.retries });
};
