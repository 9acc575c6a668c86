/**
 * The CI benchmark gate: the engine's comparisons, short, as ratios measured in one process.
 *   bun bench/ci.ts        (npm run bench:ci; .ci/run runs it)
 * Exits 1, printing the figures, when decide() loses its lead: over MAX_FLOOR_RATIO times the
 * floor (a Map.get and one comparison), or under MIN_OLD_RATIO times faster than
 * validate-on-access (the old system's pattern). Ratios, not wall-clock times, so a noisy shared
 * machine moves both sides of each comparison together.
 */
import { do_not_optimize, measure } from "mitata";
import { ACCEPTED } from "../src/engine/reasons.ts";
import { engineCases } from "./engine-cases.ts";

/**
 * Issue #3 asks for decide() within 3x of the floor and a gate at 4x. Since the symbol index
 * became a dictionary object (config/symbol-index.ts) this measures 3.49-3.58x here (five runs,
 * 2026-11-25, with other work on the machine); the retry below covers a burst of noise. Lower it
 * as decide() improves; never raise it to pass a regression.
 */
export const MAX_FLOOR_RATIO = 4;
export const MIN_OLD_RATIO = 20;

const opts = { min_cpu_time: 150 * 1e6, max_samples: 1e6 }; // ~150 ms of samples per case

const mean = async (fn: () => void) => (await measure(fn, opts)).avg;

const c = engineCases(500);
if (c.decide() !== ACCEPTED) throw new Error("bench signals must travel the whole path to acceptance");
/** Interleave the cases and keep the best of three rounds of each: a burst of noise from another
 * process then cannot land on one side of a ratio only. */
async function ratios() {
  const best = { floor: Infinity, decide: Infinity, old: Infinity };
  for (let round = 0; round < 3; round++) {
    // One arrow per case, so each call site stays monomorphic, as in engine.bench.ts.
    best.floor = Math.min(best.floor, await mean(() => do_not_optimize(c.floor())));
    best.decide = Math.min(best.decide, await mean(() => do_not_optimize(c.decide())));
    best.old = Math.min(best.old, await mean(() => do_not_optimize(c.validateOnAccess())));
  }
  const floorRatio = best.decide / best.floor;
  const oldRatio = best.old / best.decide;
  console.log(`bench:ci (500 symbols): floor ${best.floor.toFixed(1)} ns, decide ${best.decide.toFixed(1)} ns, validate-on-access ${best.old.toFixed(0)} ns`);
  console.log(`  decide/floor ${floorRatio.toFixed(2)}x (gate <= ${MAX_FLOOR_RATIO}x, target <= 3x)`);
  console.log(`  validate-on-access/decide ${oldRatio.toFixed(1)}x (gate >= ${MIN_OLD_RATIO}x, target >= 30x)`);
  const failures: string[] = [];
  if (!(floorRatio <= MAX_FLOOR_RATIO)) failures.push(`decide() is ${floorRatio.toFixed(2)}x the floor (limit ${MAX_FLOOR_RATIO}x)`);
  if (!(oldRatio >= MIN_OLD_RATIO)) failures.push(`decide() is only ${oldRatio.toFixed(1)}x faster than validate-on-access (needs ${MIN_OLD_RATIO}x)`);
  return failures;
}

// A failure is measured once more before it fails the run: on a shared machine one burst of
// noise can cost a ratio its margin, while a real regression fails both measurements.
let failures = await ratios();
if (failures.length > 0) {
  for (const f of failures) console.error(`bench:ci: ${f}; measuring again`);
  failures = await ratios();
}
if (failures.length > 0) {
  for (const f of failures) console.error(`bench:ci FAILED: ${f}`);
  process.exit(1);
}
console.log("bench:ci passed");
