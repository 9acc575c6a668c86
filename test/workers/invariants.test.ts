import { expect, test } from "bun:test";
import { exposureUnits, SharedRiskState } from "../../src/risk/shared-state.ts";
import { referenceOf, sectorOf } from "../../src/config/snapshot.ts";
import { Generation } from "../../src/workers/generation.ts";
import type { DecideJob } from "./decide-worker.ts";
import { compileDoc, tightDoc } from "./fixtures.ts";

interface Case {
  readonly name: string;
  readonly workers: number;
  readonly signals: number;
  readonly symbols: number;
  /** Leases given back every 1..turn decisions (0: only at the end), as engine Workers do per turn. */
  readonly turn: number;
  readonly limits: DecideJob["limits"];
}

const CASES: Case[] = [
  {
    name: "4 Workers, 6 symbols, tight limits, leases held to the end",
    workers: 4, signals: 60_000, symbols: 6, turn: 0,
    limits: { maxSize: 300, maxPositions: 4, maxGross: 9_000, sectorLimit: 5_000, maxTrades: 20_000 },
  },
  {
    // Headroom enough for chunks of many units, so leases are really held while others run into the limits.
    name: "8 Workers, 24 symbols, leases of many units given back every few decisions",
    workers: 8, signals: 30_000, symbols: 24, turn: 40,
    limits: { maxSize: 300, maxPositions: 14, maxGross: 60_000, sectorLimit: 25_000, maxTrades: 60_000 },
  },
];

for (const c of CASES) {
  test(
    `many Workers on one shared state, random signals, tight limits: no limit ever exceeded, counters equal the order log (${c.name})`,
    async () => {
      const { limits } = c;
      const doc = tightDoc(c.symbols, {
        maxSize: limits.maxSize, sectorLimit: limits.sectorLimit,
        limits: { max_positions: limits.maxPositions, max_gross_exposure: limits.maxGross, max_daily_trades: limits.maxTrades, max_orders_per_second: 1_000_000 },
      });
      const snap = compileDoc(doc);
      const gen = Generation.create(snap, 1);
      const state = new SharedRiskState(snap.symbolCount, snap.sectors.length);
      const go = new Int32Array(new SharedArrayBuffer(4));
      const workers = Array.from({ length: c.workers }, () => new Worker(new URL("./decide-worker.ts", import.meta.url)));
      try {
        const ready = workers.map((w) => new Promise((ok) => w.addEventListener("message", ok, { once: true })));
        const done = workers.map(
          (w) => new Promise<any>((ok, fail) => {
            w.addEventListener("message", (e: MessageEvent) => e.data.log !== undefined && ok(e.data));
            w.addEventListener("error", (e) => fail(new Error(e.message)));
          }),
        );
        workers.forEach((w, k) => {
          const job: DecideJob = {
            gen: gen.toParts(), state: state.buffer, symbols: snap.symbolCount, sectors: snap.sectors.length, seed: 100 + k, count: c.signals, go, limits, turn: c.turn,
          };
          w.postMessage(job);
        });
        await Promise.all(ready);
        Atomics.store(go, 0, 1);
        Atomics.notify(go, 0);
        const results = await Promise.all(done);

        for (const r of results) expect(r.violations).toEqual([]);
        // Replay the order log: with every lease given back, the shared counters are exactly what it implies.
        const pos = new Array<number>(c.symbols).fill(0);
        let orders = 0;
        for (const r of results) {
          const log = r.log as Int32Array;
          for (let k = 0; k < log.length; k += 2) pos[log[k]!] = pos[log[k]!]! + log[k + 1]!;
          orders += log.length / 2;
        }
        const sectors = new Array<number>(snap.sectors.length).fill(0);
        let gross = 0;
        for (let i = 0; i < c.symbols; i++) {
          expect(state.position(i)).toBe(pos[i]!);
          expect(Math.abs(pos[i]!)).toBeLessThanOrEqual(limits.maxSize);
          const e = exposureUnits(pos[i]!, referenceOf(snap, i));
          gross += e;
          { const sec = sectorOf(snap, i); sectors[sec] = sectors[sec]! + e; }
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
        console.log(`invariants (${c.name}): ${c.workers} workers x ${c.signals} signals, ${orders} orders, ${retries} position CAS retries`, reasons);
        for (const r of ["accepted", "max_position_size", "max_positions", "max_gross_exposure", "sector_exposure", "max_daily_trades"]) expect(reasons[r] ?? 0).toBeGreaterThan(0);
      } finally {
        for (const w of workers) w.terminate();
      }
    },
    30_000,
  );
}
