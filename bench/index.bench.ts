/**
 * The symbol index: a Map against config/symbol-index.ts (a null-prototype dictionary object).
 *   bun bench/index.bench.ts
 * 1. Look-ups of names parsed off the wire, each string used once, as ingest gives them: a pass
 *    over 2,000,000 freshly parsed signals per side, sides alternated over 5 rounds, medians.
 *    (A mitata loop would reuse its strings, and a reused string can carry what the engine
 *    learned about it on its last look-up, which no real signal does.)
 * 2. The same look-ups in mitata over a ring of 4096 parsed signals, as engine.bench.ts runs them.
 * 3. Memory per entry at 100,000 symbols: the heap's growth for the index alone, the names kept
 *    alive elsewhere.
 */
import { heapStats } from "bun:jsc";
import { bench, do_not_optimize, run, summary } from "mitata";
import { SymbolIndex } from "../src/config/symbol-index.ts";
import { rng } from "./gen-config.ts";

const SIZES = [500, 100_000];
const PASS = 2_000_000;
const ROUNDS = 5;

function universe(n: number): string[] {
  // As compile() gets them: the keys of a parsed document.
  const doc: Record<string, number> = {};
  for (let i = 0; i < n; i++) doc[`S${String(i).padStart(6, "0")}`] = i;
  return Object.keys(JSON.parse(JSON.stringify(doc)));
}

/** `count` signals' symbols, each its own string from JSON.parse, as the ingest parser leaves them. */
function wire(names: readonly string[], count: number, seed: number): { symbol: string }[] {
  const rand = rng(seed);
  const rows = Array.from({ length: count }, () => ({ symbol: names[Math.floor(rand() * names.length)]! }));
  return JSON.parse(JSON.stringify(rows)) as { symbol: string }[];
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;

console.log("1. look-ups of freshly parsed names, each string used once (ns per look-up, median of 5 passes)");
for (const n of SIZES) {
  const names = universe(n);
  const map = new Map(names.map((name, i) => [name, i] as const));
  const dict = SymbolIndex.of(names);
  const t = { map: [] as number[], dict: [] as number[] };
  let found = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of round % 2 === 0 ? (["map", "dict"] as const) : (["dict", "map"] as const)) {
      const signals = wire(names, PASS, round * 2 + (side === "map" ? 1 : 2));
      Bun.gc(true);
      const t0 = performance.now();
      if (side === "map") for (let k = 0; k < PASS; k++) found += map.get(signals[k]!.symbol) === undefined ? 0 : 1;
      else for (let k = 0; k < PASS; k++) found += dict.get(signals[k]!.symbol) === undefined ? 0 : 1;
      t[side].push(((performance.now() - t0) * 1e6) / PASS);
    }
  }
  if (found !== PASS * ROUNDS * 2) throw new Error("a look-up missed");
  const m = median(t.map);
  const d = median(t.dict);
  console.log(`  ${String(n).padStart(6)} symbols: Map.get ${m.toFixed(1)} ns, SymbolIndex.get ${d.toFixed(1)} ns: ${(m / d).toFixed(2)}x`);
}

console.log("\n2. the same in mitata over a ring of 4096 parsed signals");
for (const n of SIZES) {
  const names = universe(n);
  const map = new Map(names.map((name, i) => [name, i] as const));
  const dict = SymbolIndex.of(names);
  const ringA = wire(names, 4096, 1);
  const ringB = wire(names, 4096, 1);
  let a = 0;
  let b = 0;
  summary(() => {
    bench(`Map.get (${n})`, () => do_not_optimize(map.get(ringA[a++ & 4095]!.symbol))).baseline(true);
    bench(`SymbolIndex.get (${n})`, () => do_not_optimize(dict.get(ringB[b++ & 4095]!.symbol)));
  });
}
await run();

console.log("\n3. memory per entry, 100,000 symbols (the names themselves not counted)");
const names = universe(100_000);
const heap = () => {
  Bun.gc(true);
  return heapStats().heapSize;
};
// Each built twice, the first copy dropped, so neither is measured against a heap the other grew.
function grows(build: () => unknown): number {
  build();
  const before = heap();
  const kept = build();
  const grown = heap() - before;
  do_not_optimize(kept);
  return grown;
}
const mapBytes = grows(() => {
  const m = new Map<string, number>();
  for (let i = 0; i < names.length; i++) m.set(names[i]!, i);
  return m;
});
const dictBytes = grows(() => SymbolIndex.of(names));
console.log(`  Map ${(mapBytes / names.length).toFixed(0)} bytes per entry, SymbolIndex ${(dictBytes / names.length).toFixed(0)} bytes per entry`);
