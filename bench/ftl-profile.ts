/**
 * Where decide() spends its time, node by node of the optimizing JIT's code:
 *   npx bun bench/ftl-profile.ts [SYMBOLS] [--top N]        (Linux, needs `perf` on PATH)
 *
 * A child decides the engine bench's signals (engine-cases.ts) in a loop under
 * `perf record -e cpu-clock` (a timer, so it works where a VM hides the hardware counters), with
 * BUN_JSC_dumpFTLDisassembly=1 printing the address range of every instruction of the FTL code
 * it compiles. Each sample's address is then mapped to the DFG node that instruction belongs to:
 * the table says which JavaScript operation (a property load, a Math.floor, a typed-array read)
 * the CPU was waiting on. A sample lands on the instruction that could not retire, so a slow
 * load shows on the first instruction that needs its value.
 * This is how the division in sizing was found (docs/architecture.md, "The Snapshot").
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

if (process.argv[2] === "--loop") {
  const { engineCases } = await import("./engine-cases.ts");
  const c = engineCases(Number(process.argv[3]));
  let accepted = 0;
  for (let k = 0; k < 30_000_000; k++) if (c.decide() === 0) accepted++;
  console.error(`decided 30,000,000 signals, ${accepted} accepted`);
  process.exit(0);
}

const args = process.argv.slice(2);
const topAt = args.indexOf("--top");
const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
const symbols = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== "--top") ?? 500);
if (!(symbols > 0) || !(top > 0)) {
  console.error("usage: bun bench/ftl-profile.ts [SYMBOLS] [--top N]");
  process.exit(2);
}
if (spawnSync("perf", ["--version"]).status !== 0) {
  console.error("ftl-profile: `perf` is not on PATH (Debian: apt-get install linux-perf)");
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), "keel-ftl-"));
try {
  const data = join(dir, "perf.data");
  console.error(`profiling decide() over ${symbols} symbols (30,000,000 decisions)...`);
  const rec = spawnSync("perf", ["record", "-q", "-e", "cpu-clock", "-F", "10000", "-o", data, process.execPath, import.meta.path, "--loop", String(symbols)], {
    env: { ...process.env, BUN_JSC_dumpFTLDisassembly: "1" },
    maxBuffer: 1 << 30,
    encoding: "utf8",
  });
  if (rec.status !== 0) throw new Error(`perf record failed: ${rec.stderr}`);
  const dump = `${rec.stdout}\n${rec.stderr}`.split("\n");
  const rep = spawnSync("perf", ["report", "-i", data, "--stdio", "--sort", "sym"], { maxBuffer: 1 << 28, encoding: "utf8" });
  // JIT code has no symbols, so perf names each sample by its address: "  3.68%  [.] 0x00007f...".
  const samples = [...rep.stdout.matchAll(/^\s*([\d.]+)%\s+\[\.\]\s+0x([0-9a-f]+)\s*$/gm)].map((m) => ({ pct: Number(m[1]), at: BigInt(`0x${m[2]}`) }));

  // Address ranges of the dumped FTL code, each with its function and the DFG node it belongs to.
  const ranges: { from: bigint; to: bigint; fn: string; node: string }[] = [];
  let fn = "";
  let node = "";
  for (const line of dump) {
    const head = /^Generated FTL code for (\S+?)#/.exec(line);
    if (head) fn = head[1]!;
    else if (line.startsWith("DFG ")) node = line.slice(4).trim().replace(/\s+/g, " ");
    else {
      const r = /range (0x[0-9a-f]+)\.\.\.(0x[0-9a-f]+)/.exec(line);
      if (r && fn !== "") ranges.push({ from: BigInt(r[1]!), to: BigInt(r[2]!), fn, node });
    }
  }
  ranges.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const find = (at: bigint) => {
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = ranges[mid]!;
      if (at < r.from) hi = mid - 1;
      else if (at >= r.to) lo = mid + 1;
      else return r;
    }
    return undefined;
  };

  const byFn = new Map<string, number>();
  const byNode = new Map<string, number>();
  for (const s of samples) {
    const r = find(s.at);
    if (r === undefined) continue;
    byFn.set(r.fn, (byFn.get(r.fn) ?? 0) + s.pct);
    if (r.fn === "decide") byNode.set(r.node, (byNode.get(r.node) ?? 0) + s.pct);
  }
  const sorted = <K>(m: Map<K, number>) => [...m].sort((a, b) => b[1] - a[1]);
  console.log(`share of all samples by FTL function: ${sorted(byFn).slice(0, 6).map(([f, p]) => `${f} ${p.toFixed(1)}%`).join(", ")}`);
  console.log(`decide(), by DFG node (% of all samples; the node's bytecode index bc#N locates it in the source):`);
  for (const [n, p] of sorted(byNode).slice(0, top)) console.log(`${p.toFixed(2).padStart(6)}  ${n.slice(0, 180)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
