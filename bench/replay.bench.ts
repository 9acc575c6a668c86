/**
 * Replay throughput, end to end: generate a 1,000,000-signal file (CSV and JSONL) into a temp
 * dir, run `keel replay FILE --out DECISIONS --json` on it as a child process a few times, and
 * print signals per second: the command's own figure (read + parse + decide + write the decision
 * file, from its summary) and the process wall time including start-up and config compile.
 * The decision files of every run are compared byte for byte, so the bench also checks determinism.
 *
 *   bun bench/replay.bench.ts
 *   bun bench/replay.bench.ts --signals 200000 --runs 5 --config config/examples/universe-500.toml
 *
 * A whole-command figure, so a plain script rather than mitata: one run takes a second or more,
 * and what matters is the rate of the command a user runs, not a micro-benchmark's.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "../src/cli/args.ts";
import { readSource } from "../src/cli/source.ts";
import { prepareText } from "../src/config/prepare.ts";
import { writeSignals } from "./gen-signals.ts";

const MAIN = join(import.meta.dir, "../src/main.ts");

const { values } = parse(process.argv.slice(2), { signals: { type: "string" }, runs: { type: "string" }, config: { type: "string" }, seed: { type: "string" } }, 0);
const n = Number(values.signals ?? 1_000_000);
const runs = Number(values.runs ?? 3);
const seed = Number(values.seed ?? 42);
const source = await readSource(values.config);
const prepared = prepareText(source.text, source.format);
if (!prepared.ok) throw new Error(`${source.name} is invalid`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number) => Math.round(x).toLocaleString("en-US");

const dir = mkdtempSync(join(tmpdir(), "keel-replay-bench-"));
try {
  console.log(`replay bench: ${fmt(n)} signals, ${source.name} (${prepared.snapshot.symbolCount} symbols), ${runs} runs per format, bun ${Bun.version}`);
  for (const format of ["csv", "jsonl"] as const) {
    const file = join(dir, `signals.${format}`);
    const g0 = Bun.nanoseconds();
    await writeSignals(file, prepared.snapshot, n, { seed, format });
    const genS = (Bun.nanoseconds() - g0) / 1e9;
    const mb = statSync(file).size / 1e6;

    const inner: number[] = [];
    const outer: number[] = [];
    let first: bigint | number | undefined;
    let mix = "";
    let p99 = 0;
    for (let k = 0; k < runs; k++) {
      const out = join(dir, `decisions-${k}.jsonl`);
      const args = [process.execPath, MAIN, "replay", file, "--out", out, "--json", ...(values.config ? ["--config", values.config] : [])];
      const t0 = Bun.nanoseconds();
      const p = Bun.spawnSync(args, { stdout: "pipe", stderr: "pipe" });
      const wallS = (Bun.nanoseconds() - t0) / 1e9;
      if (p.exitCode !== 0) throw new Error(`replay failed (${p.exitCode}): ${p.stderr.toString()}`);
      const s = JSON.parse(p.stdout.toString());
      if (s.signals !== n || s.errors !== 0) throw new Error(`expected ${n} signals and no errors, got ${s.signals} and ${s.errors}`);
      inner.push(s.signals_per_sec);
      outer.push(n / wallS);
      p99 = s.latency_ns.p99;
      mix = `${fmt(s.orders)} orders, ${fmt(s.rejected)} rejects`;
      const hash = Bun.hash(await Bun.file(out).bytes());
      if (first === undefined) first = hash;
      else if (hash !== first) throw new Error(`run ${k} wrote a different decision file: replay is not deterministic`);
      rmSync(out);
    }
    console.log(
      `  ${format.padEnd(5)} ${mb.toFixed(1)} MB (generated in ${genS.toFixed(2)} s): ` +
        `${fmt(median(inner))} signals/s in the command, ${fmt(median(outer))} signals/s process wall (median of ${runs}); ` +
        `${mix}; decision p99 ${p99} ns; decision files identical across runs`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
