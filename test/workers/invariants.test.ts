import { expect, test } from "bun:test";
import { exposureUnits, SharedRiskState } from "../../src/risk/shared-state.ts";
import { I_REFERENCE_PRICE, INST_I32_WIDTH, INST_WIDTH, J_SECTOR } from "../../src/config/snapshot.ts";
import { Generation } from "../../src/workers/generation.ts";
import type { DecideJob } from "./decide-worker.ts";
import { compileDoc, tightDoc } from "./fixtures.ts";

const WORKERS = 4;
const SIGNALS = 60_000;
const SYMBOLS = 6;

test(
  "many Workers on one shared state, random signals, tight limits: no limit ever exceeded, counters equal the order log",
  async () => {
    const limits = { maxSize: 300, maxPositions: 4, maxGross: 9_000, sectorLimit: 5_000, maxTrades: 20_000 };
    const doc = tightDoc(SYMBOLS, {
      maxSize: limits.maxSize, sectorLimit: limits.sectorLimit,
      limits: { max_positions: limits.maxPositions, max_gross_exposure: limits.maxGross, max_daily_trades: limits.maxTrades, max_orders_per_second: 1_000_000 },
    });
    const snap = compileDoc(doc);
    const gen = Generation.create(snap, 1);
    const state = new SharedRiskState(snap.symbolCount, snap.sectors.length);
    const go = new Int32Array(new SharedArrayBuffer(4));
    const workers = Array.from({ length: WORKERS }, () => new Worker(new URL("./decide-worker.ts", import.meta.url)));
    try {
      const ready = workers.map((w) => new Promise((ok) => w.addEventListener("message", ok, { once: true })));
      const done = workers.map(
        (w) => new Promise<any>((ok, fail) => {
          w.addEventListener("message", (e: MessageEvent) => e.data.log !== undefined && ok(e.data));
          w.addEventListener("error", (e) => fail(new Error(e.message)));
        }),
      );
      workers.forEach((w, k) => {
        const job: DecideJob = { gen: gen.toParts(), state: state.buffer, symbols: snap.symbolCount, sectors: snap.sectors.length, seed: 100 + k, count: SIGNALS, go, limits };
        w.postMessage(job);
      });
      await Promise.all(ready);
      Atomics.store(go, 0, 1);
      Atomics.notify(go, 0);
      const results = await Promise.all(done);

      for (const r of results) expect(r.violations).toEqual([]);
      // Replay the order log: the shared counters are exactly what it implies.
      const pos = new Array<number>(SYMBOLS).fill(0);
      let orders = 0;
      for (const r of results) {
        const log = r.log as Int32Array;
        for (let k = 0; k < log.length; k += 2) pos[log[k]!] = pos[log[k]!]! + log[k + 1]!;
        orders += log.length / 2;
      }
      const sectors = new Array<number>(snap.sectors.length).fill(0);
      let gross = 0;
      for (let i = 0; i < SYMBOLS; i++) {
        expect(state.position(i)).toBe(pos[i]!);
        expect(Math.abs(pos[i]!)).toBeLessThanOrEqual(limits.maxSize);
        const r = snap.row[i]!;
        const e = exposureUnits(pos[i]!, snap.inst[r * INST_WIDTH + I_REFERENCE_PRICE]!);
        gross += e;
        { const sec = snap.instI32[r * INST_I32_WIDTH + J_SECTOR]!; sectors[sec] = sectors[sec]! + e; }
      }
      expect(state.dailyTrades()).toBe(orders);
      expect(state.openPositions()).toBe(pos.filter((p) => p !== 0).length);
      expect(state.gross()).toBe(gross);
      for (let k = 0; k < sectors.length; k++) expect(state.sectorExposure(k)).toBe(sectors[k]!);

      // The limits were really contended: each of them turned signals away.
      const reasons: Record<string, number> = {};
      let retries = 0;
      for (const r of results) {
        retries += r.retries;
        for (const [k, v] of Object.entries(r.reasons as Record<string, number>)) reasons[k] = (reasons[k] ?? 0) + v;
      }
      console.log(`invariants: ${WORKERS} workers x ${SIGNALS} signals, ${orders} orders, ${retries} position CAS retries`, reasons);
      for (const r of ["accepted", "max_position_size", "max_positions", "max_gross_exposure", "sector_exposure", "max_daily_trades"]) expect(reasons[r] ?? 0).toBeGreaterThan(0);
    } finally {
      for (const w of workers) w.terminate();
    }
  },
  30_000,
);
