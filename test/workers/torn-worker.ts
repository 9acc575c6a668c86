/**
 * A torn-read test Worker: decides signals continuously with the shared decider, taking new
 * generations from messages between chunks, and checks every decision: the instrument row and the
 * profile it read must both carry the version the decision reports (the test encodes the version
 * in every symbol's tick size and in max_position_size).
 */
/// <reference lib="webworker" />
import { INST_I32_WIDTH, J_CLASS } from "../../src/config/snapshot.ts";
import { SharedDecider } from "../../src/engine/shared-decide.ts";
import type { Signal } from "../../src/engine/signal.ts";
import { SharedRiskState } from "../../src/risk/shared-state.ts";
import { Generation, type GenerationParts } from "../../src/workers/generation.ts";

declare const self: Worker;

export type TornMessage =
  | { kind: "start"; gen: GenerationParts; state: SharedArrayBuffer; symbols: number; sectors: number; decisions: number; seed: number }
  | { kind: "load"; gen: GenerationParts };

/** Encoded by the test: tick = (v % 1000 + 1) / 1000, max_position_size = 1e6 + v. */
export function tickCode(v: number): number {
  return v % 1000;
}

let d: SharedDecider | null = null;

self.onmessage = (e: MessageEvent<TornMessage>) => {
  const m = e.data;
  if (m.kind === "load") {
    if (d !== null) d.gen = Generation.fromParts(m.gen);
    return;
  }
  const state = new SharedRiskState(m.symbols, m.sectors, m.state);
  d = new SharedDecider(Generation.fromParts(m.gen), state);
  const signal: Signal = { id: "t", symbol: "", side: 1, strength: 1, price: 100, ts: 1_800_000_000_000, strategy: "" };
  const names = Array.from({ length: m.symbols }, (_, i) => `S${i}`);
  let done = 0;
  let torn = 0;
  let last = 0;
  let backwards = 0;
  const seen = new Set<number>();
  const failures: string[] = [];
  let x = m.seed;
  const chunk = () => {
    const dd = d!;
    for (let k = 0; k < 5000; k++) {
      x = (Math.imul(x, 1103515245) + 12345) | 0;
      signal.symbol = names[(x >>> 8) % names.length]!;
      signal.side = x & 1 ? 1 : -1;
      signal.ts++;
      dd.decide(signal);
      const snap = dd.gen.snap;
      const r = dd.row;
      const v = dd.version;
      // The row's class (tick size) and the class's profile (max size) both encode the version.
      const cls = dd.gen.hotClass(snap.instI32[r * INST_I32_WIDTH + J_CLASS]!);
      const rowCode = Math.round(cls.tickSize * 1000) - 1;
      const profileVersion = cls.maxSize - 1e6;
      if (rowCode !== tickCode(v) || profileVersion !== v) {
        torn++;
        if (failures.length < 10) failures.push(`version ${v}: row says ${rowCode}, profile says ${profileVersion}`);
      }
      if (v < last) backwards++;
      last = v;
      seen.add(v);
    }
    done += 5000;
    if (done < m.decisions) setImmediate(chunk);
    else self.postMessage({ done, torn, backwards, failures, seen: [...seen] });
  };
  chunk();
};
