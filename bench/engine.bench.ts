/**
 * The hot path against its baselines, measured in one run (mitata):
 *   bun bench/engine.bench.ts
 * Prints mitata's table, then the ratios the project is judged by, and the heap growth per
 * decision in the steady state.
 */
import { heapStats } from "bun:jsc";
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { ACCEPTED } from "../src/engine/reasons.ts";
import { engineCases, type EngineCases } from "./engine-cases.ts";

const SIZES = [500, 100_000];
const cases = new Map<number, EngineCases>();
for (const n of SIZES) cases.set(n, engineCases(n));

for (const n of SIZES) {
  const c = cases.get(n)!;
  if (c.decide() !== ACCEPTED) throw new Error("bench signals must travel the whole path to acceptance");
  group(`${n} symbols`, () => {
    summary(() => {
      bench(`floor: Map.get + compare (${n})`, () => do_not_optimize(c.floor())).baseline(true);
      bench(`decide() (${n})`, () => do_not_optimize(c.decide()));
      bench(`validate-on-access (${n})`, () => do_not_optimize(c.validateOnAccess()));
    });
  });
}

const { benchmarks } = await run();
const avg = (name: string) => benchmarks.find((b) => b.alias === name)?.runs[0]?.stats?.avg ?? Number.NaN;

console.log("\nratios (mean ns per operation, this run):");
for (const n of SIZES) {
  const floor = avg(`floor: Map.get + compare (${n})`);
  const decide = avg(`decide() (${n})`);
  const old = avg(`validate-on-access (${n})`);
  console.log(
    `  ${String(n).padStart(6)} symbols: floor ${floor.toFixed(1)} ns, decide ${decide.toFixed(1)} ns, validate-on-access ${old.toFixed(0)} ns` +
      ` | decide/floor ${(decide / floor).toFixed(2)}x (target <= 3x), validate/decide ${(old / decide).toFixed(0)}x (target >= 30x)`,
  );
}
const d500 = avg("decide() (500)");
const d100k = avg("decide() (100000)");
console.log(`  decide at 100,000 vs 500 symbols: ${(d100k / d500).toFixed(2)}x (target: the same cost, ~1x)`);

// Allocation in the steady state: heap growth over a million decisions, after a GC.
const c = cases.get(500)!;
for (let k = 0; k < 200_000; k++) c.decide();
Bun.gc(true);
const before = heapStats().heapSize;
const N = 1_000_000;
for (let k = 0; k < N; k++) c.decide();
Bun.gc(true);
const grown = heapStats().heapSize - before;
console.log(`  heap growth over ${N.toLocaleString()} decisions: ${grown} bytes (${(grown / N).toFixed(3)} bytes/decision; target 0 beyond the order)`);
