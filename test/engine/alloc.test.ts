/**
 * The hot path's promise: decide() allocates nothing in the steady state. A behaviour check on
 * the heap, not a timing, measured in a fresh process (see alloc-probe.ts for why).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";

const BOUND = 4 << 20; // 4 MiB over 1,000,000 decisions (alloc-probe.ts): 4.2 bytes a decision would cross it
type M = { grown: number; retained: number };
let r: { n: number; calibration: M; rejected: M & { warm: number; count: number }; accepted: M & { warm: number; count: number; position: number } };

beforeAll(async () => {
  const p = Bun.spawn([process.execPath, join(import.meta.dir, "alloc-probe.ts")], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`alloc-probe exited ${code}: ${err}`);
  r = JSON.parse(out);
});

describe("decide() allocates nothing in the steady state", () => {
  test("the probe sees allocation: an allocating loop of the same length grows memory past the bound", () => {
    // Calibration, so that the checks below cannot pass merely because the probe is blind.
    expect(r.calibration.grown).toBeGreaterThan(BOUND);
  });

  test("rejected decisions (max_daily_trades) after warm-up", () => {
    expect(r.rejected.warm).toBe(2 * r.n);
    expect(r.rejected.count).toBe(r.n);
    expect(r.rejected.grown).toBeLessThan(BOUND);
    expect(r.rejected.retained).toBeLessThan(BOUND);
  });

  test("accepted decisions with fills after warm-up", () => {
    expect(r.accepted.warm).toBe(2 * r.n);
    expect(r.accepted.count).toBe(r.n);
    expect(r.accepted.position).toBe(0);
    expect(r.accepted.grown).toBeLessThan(BOUND);
    expect(r.accepted.retained).toBeLessThan(BOUND);
  });
});
