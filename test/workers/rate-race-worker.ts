/**
 * A test Worker for rate-race.test.ts: decides, for every symbol in turn, one buy stamped with
 * this Worker's own offset on the signal clock, starting at the barrier, and counts the reasons.
 */
/// <reference lib="webworker" />
import { REASONS } from "../../src/engine/reasons.ts";
import { SharedDecider } from "../../src/engine/shared-decide.ts";
import { SharedRiskState } from "../../src/risk/shared-state.ts";
import { Generation, type GenerationParts } from "../../src/workers/generation.ts";

declare const self: Worker;

export interface RaceJob {
  readonly gen: GenerationParts;
  readonly state: SharedArrayBuffer;
  readonly symbols: number;
  readonly sectors: number;
  readonly t0: number;
  readonly rounds: number;
  readonly go: Int32Array;
}

self.onmessage = (e: MessageEvent<RaceJob>) => {
  const j = e.data;
  const gen = Generation.fromParts(j.gen);
  const d = new SharedDecider(gen, new SharedRiskState(j.symbols, j.sectors, j.state));
  const s = { id: "r", symbol: "", side: 1, strength: 0.1, price: 15, ts: j.t0, strategy: "" };
  const names = gen.snap.symbols;
  const reasons: Record<string, number> = {};
  self.postMessage({ ready: true });
  Atomics.wait(j.go, 0, 0);
  for (let r = 0; r < j.rounds; r++) {
    for (let i = 0; i < names.length; i++) {
      s.symbol = names[i]!;
      s.price = 10 + (Number(s.symbol.slice(1)) % 7) * 5; // at the reference price (fixtures.ts)
      s.ts = j.t0 + r * 1500;
      const name = REASONS[d.decide(s)]!;
      reasons[name] = (reasons[name] ?? 0) + 1;
    }
  }
  self.postMessage({ reasons });
};
