/**
 * The other process of the concurrency test: maps a snapshot file that the test's process keeps
 * rewriting, and reads it as fast as it can with the format's seqlock, checking every read that
 * the seqlock accepts:
 *   - the active buffer's CRC-32 matches its bytes;
 *   - the symbol's record, found through the file's hash index, holds exactly the values of the
 *     variant its buffer header names (version v is variant v % VARIANTS), so a record of one
 *     version under another version's header is caught without the CRC;
 *   - the version is one the writer can have written (1 .. the writer's latest, checked by the test).
 *
 *   bun test/export/mmap-reader.ts FILE MIN_READS MAX_MS
 * Prints one JSON line: reads, inconsistent, retries, caught (reads the seqlock refused whose CRC
 * had also failed: torn buffers the protocol kept away), versions seen, and the first failures.
 */
import { RECORD_F64_COUNT } from "../../src/export/snapshot-layout.ts";
import { SnapshotReader } from "../../src/export/snapshot-reader.ts";
import { FLIP_SYMBOLS, VARIANTS, variantValues } from "./fixtures.ts";

const [path, minText, maxText] = process.argv.slice(2);
const minReads = Number(minText);
const maxMs = Number(maxText);
const expected = Array.from({ length: VARIANTS }, (_, k) => FLIP_SYMBOLS.map((s) => variantValues(k, s)));

const reader = SnapshotReader.open(path!);
const out = new Float64Array(RECORD_F64_COUNT);
let reads = 0;
let inconsistent = 0;
let retries = 0;
let caught = 0;
let minVersion = Number.POSITIVE_INFINITY;
let maxVersion = 0;
const seen = new Set<number>();
const failures: string[] = [];
const t0 = performance.now();

while (reads < minReads && ((reads & 0xfff) !== 0 || performance.now() - t0 < maxMs)) {
  const s1 = reader.sequence;
  const base = reader.activeBuffer();
  const version = reader.configVersionAt(base);
  const want = reads % FLIP_SYMBOLS.length;
  const i = reader.indexOf(base, FLIP_SYMBOLS[want]!);
  if (i >= 0) reader.copyRecord(base, i, out);
  const crcOk = reader.checksumOk(base);
  if (reader.sequence !== s1) {
    retries++;
    if (!crcOk) caught++;
    continue;
  }
  reads++;
  const values = expected[version % VARIANTS]![want]!;
  let same = i === want && version >= 1;
  for (let k = 0; k < RECORD_F64_COUNT && same; k++) same = out[k] === values[k];
  if (!crcOk || !same) {
    inconsistent++;
    if (failures.length < 5) failures.push(`seq ${s1} v${version} crc ${crcOk} index ${i}/${want} values ${Array.from(out).join(",")}`);
  }
  if (version < minVersion) minVersion = version;
  if (version > maxVersion) maxVersion = version;
  if (seen.size < 100_000) seen.add(version);
}

console.log(JSON.stringify({ reads, inconsistent, retries, caught, minVersion, maxVersion, distinct: seen.size, ms: Math.round(performance.now() - t0), failures }));
