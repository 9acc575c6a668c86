import { expect, test } from "bun:test";
import { prepareValue } from "../../src/config/prepare.ts";
import { SharedRiskState } from "../../src/risk/shared-state.ts";
import { Generation, patchInPlace } from "../../src/workers/generation.ts";
import type { TornMessage } from "./torn-worker.ts";

const WORKERS = 2;
const PER_WORKER = 500_000;
const SYMBOLS = 16;

/** Version v: every symbol's tick size and the default max_position_size carry v. */
function versionDoc(v: number) {
  const symbols: Record<string, unknown> = {};
  for (let i = 0; i < SYMBOLS; i++) symbols[`S${i}`] = { sector: i % 2 ? "a" : "b", reference_price: 100, tick_size: ((v % 1000) + 1) / 1000, lot_size: 1 };
  return {
    trading: { position_sizing: { method: "fixed", default_position_size: 1, max_position_size: 1e6 + v } },
    risk: {
      limits: { max_daily_trades: 1_000_000, max_positions: 1000, max_order_notional: 1e9, max_gross_exposure: 1e12, max_orders_per_second: 1_000_000, duplicate_window_ms: 0, price_collar_bps: 100 },
      sectors: { a: { max_gross_exposure: 1e12 }, b: { max_gross_exposure: 1e12 } },
    },
    symbols,
  };
}

function compileVersion(v: number) {
  const p = prepareValue(versionDoc(v));
  if (!p.ok) throw new Error(JSON.stringify(p.issues));
  return p.snapshot;
}

test(
  "Workers deciding while this thread reloads and patches as fast as it can: every decision saw one whole version",
  async () => {
    let version = 1;
    let gen = Generation.create(compileVersion(version), version);
    const state = new SharedRiskState(SYMBOLS, 2);
    const workers = Array.from({ length: WORKERS }, () => new Worker(new URL("./torn-worker.ts", import.meta.url)));
    try {
      const results = workers.map(
        (w) => new Promise<any>((ok, fail) => {
          w.onmessage = (e) => ok(e.data);
          w.onerror = (e) => fail(new Error(e.message));
        }),
      );
      let finished = 0;
      for (const r of results) void r.then(() => finished++);
      workers.forEach((w, k) => {
        const m: TornMessage = { kind: "start", gen: gen.toParts(), state: state.buffer, symbols: SYMBOLS, sectors: 2, decisions: PER_WORKER, seed: k + 1 };
        w.postMessage(m);
      });
      const patched = new Set<number>();
      const reloaded = new Set<number>();
      while (finished < WORKERS) {
        for (let k = 0; k < 20; k++) {
          version++;
          const next = compileVersion(version);
          if (patchInPlace(gen, next, version)) patched.add(version);
          else {
            // The headroom is used up: a new generation, as a full reload sends it.
            gen = Generation.create(next, version);
            reloaded.add(version);
            for (const w of workers) w.postMessage({ kind: "load", gen: gen.toParts() } satisfies TornMessage);
          }
        }
        await Bun.sleep(0);
      }
      const all = await Promise.all(results);
      const seen = new Set<number>(all.flatMap((r) => r.seen as number[]));
      const decisions = all.reduce((n, r) => n + r.done, 0);
      console.log(
        `torn reads: ${decisions} decisions on ${WORKERS} workers, ${all.reduce((n, r) => n + r.torn, 0)} torn; ` +
          `${version} versions written (${patched.size} in place, ${reloaded.size} as new generations), ${seen.size} seen`,
      );
      for (const r of all) {
        expect(r.failures).toEqual([]);
        expect(r.torn).toBe(0);
        expect(r.backwards).toBe(0);
      }
      expect(decisions).toBeGreaterThanOrEqual(1_000_000);
      // Both paths really ran under the deciders: versions from patches and from reloads were decided on.
      expect([...seen].some((v) => patched.has(v))).toBe(true);
      expect([...seen].some((v) => reloaded.has(v))).toBe(true);
    } finally {
      for (const w of workers) w.terminate();
    }
  },
  30_000,
);
