import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { freshWriter, VARIANTS, variants } from "./fixtures.ts";

const READER = join(import.meta.dir, "mmap-reader.ts");
const MIN_READS = 5_000_000;
/** A bound for a slow machine, not an expectation: the reads are what is asserted. */
const MAX_MS = 12_000;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

test(
  "a reader in another process, while this one flips versions continuously: every accepted read is consistent",
  async () => {
    const { path, writer } = freshWriter(cleanups);
    const snaps = variants().map((p) => p.snapshot);
    let version = 1;
    writer.write(snaps[version % VARIANTS]!, version);

    const proc = Bun.spawn([process.execPath, READER, path, String(MIN_READS), String(MAX_MS)], { stdout: "pipe", stderr: "pipe" });
    cleanups.unshift(() => {
      if (proc.exitCode === null) proc.kill("SIGKILL");
    });
    const output = new Response(proc.stdout).text();
    // Write as fast as this thread can, yielding now and then so the child's exit is noticed.
    while (proc.exitCode === null) {
      for (let k = 0; k < 200; k++) {
        version++;
        writer.write(snaps[version % VARIANTS]!, version);
      }
      await Bun.sleep(0);
    }
    const code = await proc.exited;
    const stderr = await new Response(proc.stderr).text();
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const r = JSON.parse(await output);
    console.log(
      `mmap reader: ${r.reads} reads in ${r.ms} ms, ${r.inconsistent} inconsistent, ${r.retries} retried (${r.caught} of them torn and caught), ` +
        `${r.distinct} distinct versions seen of ${version} written`,
    );
    expect(r.failures).toEqual([]);
    expect(r.inconsistent).toBe(0);
    expect(r.reads).toBeGreaterThanOrEqual(MIN_READS);
    // The writer really was flipping under the reader, and nothing it saw was invented.
    expect(r.distinct).toBeGreaterThan(1);
    expect(r.minVersion).toBeGreaterThanOrEqual(1);
    expect(r.maxVersion).toBeLessThanOrEqual(version);
  },
  30_000,
);
