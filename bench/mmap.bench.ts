/**
 * Reading one symbol's record from the memory-mapped snapshot (issue #6), in another process
 * than the writer, against a plain in-process typed-array read of the same fields:
 *   bun bench/mmap.bench.ts
 * The writer is a child process (this file with --client, bench/child.ts's channel): it compiles
 * a generated universe, writes the snapshot file, and on request rewrites it continuously. This
 * process maps the file with the project's reader and measures, at 500 and 100,000 symbols:
 *   - by record index: the 15 float64 fields into a scratch array, under the seqlock, against
 *     the same copy from an ordinary Float64Array with the same layout (the floor);
 *   - by symbol name: the file's FNV-1a hash index plus the read, against Map.get plus the copy;
 *   - by name again while the writer rewrites the file as fast as it can (every write flips the
 *     buffer, so reads retry and the record's cache lines move between cores).
 * Prints mitata's table, then each mmap read as a ratio to its in-process floor.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { prepareValue } from "../src/config/prepare.ts";
import type { Snapshot } from "../src/config/snapshot.ts";
import { SnapshotFileWriter } from "../src/export/snapshot-file.ts";
import { RECORD_BYTES, RECORD_F64_COUNT } from "../src/export/snapshot-layout.ts";
import { SnapshotReader } from "../src/export/snapshot-reader.ts";
import { ChildClient, serveCommands } from "./child.ts";
import { generateDocument } from "./gen-config.ts";

const SIZES = [500, 100_000];

type Cmd = { op: "write"; path: string; n: number } | { op: "flip"; path: string; on: boolean };

/** Child side: one writer per file; "flip" rewrites it in batches between reads of stdin. */
async function writerMain(): Promise<void> {
  const files = new Map<string, { writer: SnapshotFileWriter; snap: Snapshot; version: number; flipping: boolean; writes: number }>();
  const flip = (path: string) => {
    const f = files.get(path)!;
    if (!f.flipping) return;
    for (let k = 0; k < 20; k++) f.writer.write(f.snap, ++f.version);
    f.writes += 20;
    setImmediate(() => flip(path));
  };
  await serveCommands(async (raw) => {
    const cmd = raw as Cmd;
    if (cmd.op === "write") {
      const p = prepareValue(generateDocument(cmd.n));
      if (!p.ok) throw new Error("generated config invalid");
      const writer = new SnapshotFileWriter(cmd.path);
      writer.write(p.snapshot, 1);
      files.set(cmd.path, { writer, snap: p.snapshot, version: 1, flipping: false, writes: 0 });
      return { ok: true };
    }
    const f = files.get(cmd.path)!;
    f.flipping = cmd.on;
    if (cmd.on) setImmediate(() => flip(cmd.path));
    return { writes: f.writes };
  });
}

interface Case {
  readonly n: number;
  readonly path: string;
  readonly reader: SnapshotReader;
  /** The same records in ordinary memory: the floor. */
  readonly local: Float64Array;
  readonly localIndex: Map<string, number>;
  /** Symbol names as fresh strings (as a signal's would be), not the Map's own key objects. */
  readonly names: string[];
}

async function parentMain(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "keel-mmap-bench-"));
  const child = new ChildClient(import.meta.path);
  try {
    const cases: Case[] = [];
    for (const n of SIZES) {
      const path = join(dir, `snapshot-${n}.bin`);
      await child.ask({ op: "write", path, n });
      const reader = SnapshotReader.open(path);
      const symbols = reader.symbols();
      const local = new Float64Array((n * RECORD_BYTES) / 8);
      const base = reader.activeBuffer();
      for (let i = 0; i < n; i++) reader.copyRecord(base, i, local.subarray((i * RECORD_BYTES) / 8));
      const names = JSON.parse(JSON.stringify(symbols)) as string[];
      cases.push({ n, path, reader, local, localIndex: new Map(symbols.map((s, i) => [s, i])), names });
    }

    const out = new Float64Array(RECORD_F64_COUNT);
    // A computed walk over the symbols (a prime stride), so no read is a constant the JIT can fold.
    const walker = (n: number) => {
      let k = 0;
      return () => (k = (k + 7919) % n);
    };
    const floorByIndex = (c: Case) => {
      const next = walker(c.n);
      return () => {
        const at = (next() * RECORD_BYTES) / 8;
        for (let f = 0; f < RECORD_F64_COUNT; f++) out[f] = c.local[at + f]!;
        return out[0]!;
      };
    };
    const mmapByIndex = (c: Case) => {
      const next = walker(c.n);
      const r = c.reader;
      return () => {
        const i = next();
        for (;;) {
          const s1 = r.sequence;
          r.copyRecord(r.activeBuffer(), i, out);
          if (r.sequence === s1) return out[0]!;
        }
      };
    };
    const floorByName = (c: Case) => {
      const next = walker(c.n);
      return () => {
        const at = (c.localIndex.get(c.names[next()]!)! * RECORD_BYTES) / 8;
        for (let f = 0; f < RECORD_F64_COUNT; f++) out[f] = c.local[at + f]!;
        return out[0]!;
      };
    };
    const mmapByName = (c: Case) => {
      const next = walker(c.n);
      return () => c.reader.readInto(c.names[next()]!, out);
    };

    for (const c of cases) {
      const [fi, mi, fn, mn] = [floorByIndex(c), mmapByIndex(c), floorByName(c), mmapByName(c)];
      group(`${c.n} symbols, writer idle`, () => {
        summary(() => {
          bench(`typed array, record i (${c.n})`, () => do_not_optimize(fi())).baseline(true);
          bench(`mmap, record i (${c.n})`, () => do_not_optimize(mi()));
          bench(`Map.get + typed array (${c.n})`, () => do_not_optimize(fn()));
          bench(`mmap, by name (${c.n})`, () => do_not_optimize(mn()));
        });
      });
    }
    const idle = (await run()).benchmarks;

    const flipping = [];
    for (const c of cases) {
      const [fn, mn] = [floorByName(c), mmapByName(c)];
      await child.ask({ op: "flip", path: c.path, on: true });
      group(`${c.n} symbols, writer rewriting the file continuously`, () => {
        summary(() => {
          bench(`Map.get + typed array, flipping (${c.n})`, () => do_not_optimize(fn())).baseline(true);
          bench(`mmap, by name, flipping (${c.n})`, () => do_not_optimize(mn()));
        });
      });
      flipping.push(...(await run()).benchmarks);
      const { writes } = await child.ask<{ writes: number }>({ op: "flip", path: c.path, on: false });
      console.log(`  (${c.n} symbols: the writer published ${writes} versions during that run)`);
    }

    const all = [...idle, ...flipping];
    const avg = (name: string) => all.find((b) => b.alias === name)?.runs[0]?.stats?.avg ?? Number.NaN;
    console.log("\nratios (mean ns per read, this run; mmap read in this process, file written by another):");
    for (const { n } of cases) {
      const fi = avg(`typed array, record i (${n})`);
      const mi = avg(`mmap, record i (${n})`);
      const fn = avg(`Map.get + typed array (${n})`);
      const mn = avg(`mmap, by name (${n})`);
      const ff = avg(`Map.get + typed array, flipping (${n})`);
      const mf = avg(`mmap, by name, flipping (${n})`);
      console.log(
        `  ${String(n).padStart(6)} symbols: by index ${mi.toFixed(1)} vs ${fi.toFixed(1)} ns = ${(mi / fi).toFixed(2)}x | ` +
          `by name ${mn.toFixed(1)} vs ${fn.toFixed(1)} ns = ${(mn / fn).toFixed(2)}x | ` +
          `by name, writer flipping ${mf.toFixed(1)} vs ${ff.toFixed(1)} ns = ${(mf / ff).toFixed(2)}x`,
      );
    }
  } finally {
    await child.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes("--client")) await writerMain();
else await parentMain();
