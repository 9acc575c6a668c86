import { afterEach, describe, expect, test } from "bun:test";
import { closeSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from "node:fs";
import { crc32 } from "node:zlib";
import { generateDocument } from "../../bench/gen-config.ts";
import { EMBEDDED_DEFAULT } from "../../src/cli/source.ts";
import { prepareText } from "../../src/config/prepare.ts";
import { SnapshotFileWriter } from "../../src/export/snapshot-file.ts";
import { B_CRC, encodeBuffer, H_ACTIVE, H_SEQ, PAGE, RECORD_F64_COUNT } from "../../src/export/snapshot-layout.ts";
import { Patchable } from "../../src/config/patchable.ts";
import { SnapshotWriter } from "../../src/config/snapshot-writer.ts";
import { rng } from "../../bench/gen-config.ts";
import { SnapshotFileError, SnapshotReader } from "../../src/export/snapshot-reader.ts";
import { comparable, expectedRecord, freshWriter, prepared, randomDocument } from "./fixtures.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A writer on a fresh temp path, closed and removed after the test. */
const fresh = () => freshWriter(cleanups);

const embedded = () => {
  const p = prepareText(EMBEDDED_DEFAULT.text, "toml");
  if (!p.ok) throw new Error("embedded config invalid");
  return p;
};

/** Every symbol of `p` read back from `reader` equals its effective config and instrument. */
function expectAllSymbols(reader: SnapshotReader, p: ReturnType<typeof prepared>, version: number): void {
  expect(reader.symbols()).toEqual([...p.snapshot.symbols]);
  const out = new Float64Array(RECORD_F64_COUNT);
  for (const symbol of p.snapshot.symbols) {
    const r = reader.read(symbol);
    if (r === undefined) throw new Error(`${symbol} not found in the file`);
    expect(comparable(r)).toEqual(expectedRecord(p, symbol, version));
    expect(p.snapshot.sectors[r.sectorId]).toBe(r.sector);
    expect(r.strategyId).toBe(r.strategy === null ? -1 : p.snapshot.strategies.indexOf(r.strategy));
    expect(reader.readInto(symbol, out)).toBe(version);
    expect(Array.from(out)).toEqual([...r.values]);
  }
}

describe("snapshot file: round trip", () => {
  test("random configs: every symbol reads back as effectiveOf() and its instrument", () => {
    for (let seed = 1; seed <= 16; seed++) {
      const { path, writer } = fresh();
      const p = prepared(randomDocument(seed, [1, 2, 7, 60, 300][seed % 5]!));
      writer.write(p.snapshot, seed);
      const reader = SnapshotReader.open(path);
      const info = reader.info();
      expect(info).toMatchObject({ configVersion: seed, symbols: p.snapshot.symbolCount, profiles: p.snapshot.profileCount, hash: p.hash, mode: 0, dayResetMinute: p.snapshot.dayResetMinute });
      expect(info.sectors).toEqual(p.snapshot.sectors.map((name, k) => ({ name, maxGrossExposure: p.snapshot.sectorLimit[k]! })));
      expect(info.strategies).toEqual([...p.snapshot.strategies]);
      expectAllSymbols(reader, p, seed);
    }
  });

  test("a generated 2,000-symbol universe with overrides round-trips too", () => {
    const { path, writer } = fresh();
    const p = prepared(generateDocument(2000, { seed: 7, overrideEvery: 3 }));
    writer.write(p.snapshot, 3);
    expectAllSymbols(SnapshotReader.open(path), p, 3);
  });

  test("names that are not symbols of the version are not found", () => {
    const { path, writer } = fresh();
    const p = embedded();
    writer.write(p.snapshot, 1);
    const reader = SnapshotReader.open(path);
    for (const name of ["", "AAP", "AAPLX", "aapl", "BRK", "BRK.B ", "X".repeat(33), "NOPE"]) expect(reader.read(name)).toBeUndefined();
    expect(reader.readInto("NOPE", new Float64Array(RECORD_F64_COUNT))).toBe(-1);
    expect(reader.read("BRK.B")?.symbol).toBe("BRK.B");
  });
});

describe("snapshot file: the documented layout", () => {
  // Offsets written out as numbers from docs/snapshot-format.md, not imported: a reader in another
  // language has only the document, and this catches the constants drifting from it.
  test("a reader with only the document's offsets finds NVDA's effective values", () => {
    const { path, writer } = fresh();
    const p = embedded();
    writer.write(p.snapshot, 1);
    writer.write(p.snapshot, 2);
    const file = readFileSync(path);
    const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
    const u32 = (at: number) => dv.getUint32(at, true);
    const u64 = (at: number) => Number(dv.getBigUint64(at, true));
    expect(file.subarray(0, 8).toString("latin1")).toBe("KEELSNAP");
    expect([u32(8), u32(12), u32(16), u32(20), u32(24), u32(28)]).toEqual([1, 64, 4, 1, 0, process.pid]);
    const capacity = u64(32);
    expect(capacity % 4096).toBe(0);
    expect([u64(40), u64(48), u32(56), u32(60)]).toEqual([4096, 4096 + capacity, 160, 128]);
    expect(file.byteLength).toBe(4096 + 2 * capacity);

    const b = u64(48); // buffer 1 is active after the second write
    const used = u64(b + 8);
    expect(u32(b)).toBe(crc32(file.subarray(b + 4, b + used)));
    expect([u32(b + 4), u32(b + 16), u32(b + 20), u32(b + 24), u32(b + 28), u32(b + 36), u32(b + 40), u32(b + 44)]).toEqual([4, 2, 28, 5, 2, 0, 21 * 60, 5]);
    expect(file.subarray(b + 96, b + 128).toString("hex")).toBe(p.hash);
    const [names, index, records, sectors, strategies] = [48, 56, 64, 72, 80].map((o) => b + u64(b + o));

    // FNV-1a 32 over the name's bytes, linear probing over a power-of-two table of u32 slots.
    const slots = u32(b + 32);
    let h = 0x811c9dc5;
    for (const c of Buffer.from("NVDA")) h = Math.imul(h ^ c, 0x01000193) >>> 0;
    let i = -1;
    for (let s = h & (slots - 1); u32(index! + 4 * s) !== 0; s = (s + 1) & (slots - 1)) {
      const k = u32(index! + 4 * s) - 1;
      if (file.subarray(names! + 32 * k, names! + 32 * k + 32).toString("latin1").replace(/\0+$/, "") === "NVDA") i = k;
    }
    expect(i).toBe(p.snapshot.index.get("NVDA")!);
    const r = records! + 160 * i;
    const f = (k: number) => dv.getFloat64(r + 8 * k, true);
    // reference_price, tick, lot, default/max size, offset, slippage, trades, positions, notional,
    // gross exposure, orders/s, collar, daily loss, duplicate window: NVDA in config/default.toml.
    expect(Array.from({ length: 15 }, (_, k) => f(k))).toEqual([122.4, 0.01, 1, 200, 800, 2, 10, 150, 20, 250000, 2000000, 50, 300, 25000, 1000]);
    expect([dv.getInt32(r + 120, true), dv.getInt32(r + 124, true), file[r + 128], file[r + 129], file[r + 130]]).toEqual([0, 0, 1, 0, 0]);
    expect(file.subarray(sectors!, sectors! + 4).toString("latin1")).toBe("tech");
    expect(dv.getFloat64(sectors! + 64, true)).toBe(800_000);
    expect(file.subarray(strategies! + 64, strategies! + 64 + 14).toString("latin1")).toBe("mean_reversion");
    // LLY: market orders (its own override), ioc (its strategy's), fixed sizing.
    const lly = records! + 160 * p.snapshot.index.get("LLY")!;
    expect([file[lly + 128], file[lly + 129], file[lly + 130]]).toEqual([0, 1, 1]);
  });
});

describe("snapshot file: updates", () => {
  test("an update that fits flips buffers in the same file, and an open reader sees it", () => {
    const { path, writer } = fresh();
    const p = embedded();
    expect(writer.write(p.snapshot, 1)).toMatchObject({ seq: 2, created: true });
    const ino = statSync(path).ino;
    const reader = SnapshotReader.open(path);
    const q = prepared(generateDocument(20, { seed: 3 }));
    expect(writer.write(q.snapshot, 2)).toMatchObject({ seq: 4, created: false });
    expect(statSync(path).ino).toBe(ino);
    expect(reader.sequence).toBe(4);
    expectAllSymbols(reader, q, 2);
    expect(reader.read("AAPL")).toBeUndefined();
    expect(writer.write(p.snapshot, 3)).toMatchObject({ seq: 6, created: false });
    expectAllSymbols(reader, p, 3);
    expect(reader.superseded).toBe(false);
  });

  test("a version that does not fit is a new file renamed over the path; a reader of the old one keeps the old version", () => {
    const { path, writer } = fresh();
    const small = embedded();
    writer.write(small.snapshot, 1);
    const before = statSync(path);
    const old = SnapshotReader.open(path);

    const big = prepared(generateDocument(500, { seed: 11 }));
    const grown = writer.write(big.snapshot, 2);
    expect(grown).toMatchObject({ seq: 4, created: true });
    const after = statSync(path);
    expect(after.ino).not.toBe(before.ino);
    expect(after.size).toBeGreaterThan(before.size);

    // The old mapping: still the old, complete version, told that it has been replaced.
    expect(old.superseded).toBe(true);
    expect(old.info().configVersion).toBe(1);
    expect(old.sequence).toBe(2);
    expectAllSymbols(old, small, 1);

    const fresh2 = SnapshotReader.open(path);
    expect(fresh2.superseded).toBe(false);
    expect(fresh2.sequence).toBe(4);
    expectAllSymbols(fresh2, big, 2);

    // The next update fits the grown file: in place again.
    expect(writer.write(small.snapshot, 3)).toMatchObject({ seq: 6, created: false });
    expect(statSync(path).ino).toBe(after.ino);
    expectAllSymbols(fresh2, small, 3);
  });

  test("a new writer (a restart) replaces the file, continues its seq and marks the old one superseded", () => {
    const { path, writer } = fresh();
    const p = embedded();
    writer.write(p.snapshot, 1);
    writer.write(p.snapshot, 2);
    writer.close();
    const old = SnapshotReader.open(path);
    const again = new SnapshotFileWriter(path);
    cleanups.push(() => again.close());
    expect(again.write(p.snapshot, 2)).toMatchObject({ seq: 6, created: true });
    expect(old.superseded).toBe(true);
    expect(old.info().configVersion).toBe(2);
    expect(SnapshotReader.open(path).sequence).toBe(6);
  });

  test("a file at the path that is not a snapshot is replaced, the seq starting afresh", () => {
    const { path, writer } = fresh();
    writeFileSync(path, "not a snapshot at all, but long enough to have a header of sixty-four bytes");
    expect(writer.write(embedded().snapshot, 1)).toMatchObject({ seq: 2, created: true });
    expect(SnapshotReader.open(path).info().configVersion).toBe(1);
  });
});

describe("snapshot file: what a reader refuses", () => {
  test("a damaged buffer fails its CRC and is reported corrupt, not returned", () => {
    const { path, writer } = fresh();
    writer.write(embedded().snapshot, 1);
    const reader = SnapshotReader.open(path);
    const base = reader.activeBuffer();
    expect(reader.checksumOk(base)).toBe(true);
    const fd = openSync(path, "r+");
    try {
      // One bit of one record's reference price, where no writer would put it.
      writeSync(fd, new Uint8Array([reader.bytes[base + 2000]! ^ 1]), 0, 1, base + 2000);
    } finally {
      closeSync(fd);
    }
    expect(reader.checksumOk(base)).toBe(false);
    expect(() => reader.read("AAPL")).toThrow(SnapshotFileError);
    expect(() => reader.info()).toThrow(/CRC-32/);
  });

  test("missing, empty, foreign and other-layout files are refused with their reason", () => {
    const { path, writer } = fresh();
    const problem = (p: string) => {
      try {
        SnapshotReader.open(p);
        return "opened";
      } catch (err) {
        if (!(err instanceof SnapshotFileError)) throw err;
        return err.problem;
      }
    };
    expect(problem(path)).toBe("missing");
    writeFileSync(path, "");
    expect(problem(path)).toBe("too_small");
    writeFileSync(path, "x".repeat(4096));
    expect(problem(path)).toBe("bad_magic");
    writer.write(embedded().snapshot, 1);
    expect(problem(path)).toBe("opened");
    const fd = openSync(path, "r+");
    writeSync(fd, new Uint8Array([2]), 0, 1, 8);
    closeSync(fd);
    expect(problem(path)).toBe("bad_layout");
  });
});

describe("snapshot file: one-symbol patches", () => {
  test("published record by record, the file equals a whole write of every version (CRC included), reader consistent", () => {
    const { path, writer } = fresh();
    const p = prepared(generateDocument(3000, { seed: 9, overrideEvery: 4 }));
    const patchable = new Patchable(p);
    const slotWriter = new SnapshotWriter(p.snapshot);
    const rand = rng(5);
    writer.write(p.snapshot, 1, 1000);
    const size = statSync(path).size;
    let snap = p.snapshot;
    let patched = 0;
    let whole = 0;
    for (let v = 2; v < 60; v++) {
      const names = snap.symbols;
      const symbol = names[Math.floor(rand() * names.length)]!;
      // Mostly updates (the record-by-record path); now and then an add or a delete (a whole write).
      const r = rand();
      const plan = r < 0.08 ? patchable.plan(`NEW${v}`, { sector: snap.sectors[0]!, reference_price: 5, tick_size: 0.01, lot_size: 1 })
        : r < 0.14 ? patchable.plan(symbol, null)
        : patchable.plan(symbol, rand() < 0.5 ? { reference_price: 1 + v } : { limits: { max_positions: 1 + (v % 7) } });
      if (!plan.ok) throw new Error(JSON.stringify(plan.issues));
      plan.commit();
      const { snapshot: next, change } = slotWriter.apply(plan.plan.slots, plan.plan.hash);
      snap = next;
      const changed = change.kind === "update" ? [change.index] : change.kind === "none" ? [] : undefined;
      if (changed === undefined) whole++;
      else patched++;
      writer.write(snap, v, 1000 + v, changed);
      // The active buffer, byte for byte, is what a whole write of this version would be.
      const bytes = readFileSync(path);
      expect(statSync(path).size).toBe(size);
      const view = new DataView(bytes.buffer, bytes.byteOffset);
      const active = view.getUint32(H_ACTIVE, true);
      const seq = view.getUint32(H_SEQ, true);
      const expected = encodeBuffer(snap, v, seq, 1000 + v);
      const base = PAGE + active * ((size - PAGE) / 2);
      expect(Buffer.compare(bytes.subarray(base, base + expected.length), Buffer.from(expected))).toBe(0);
      expect(crc32(bytes.subarray(base + 4, base + expected.length)) >>> 0).toBe(view.getUint32(base + B_CRC, true));
      if (v % 10 === 0) expectAllSymbols(SnapshotReader.open(path), { ...p, snapshot: snap } as ReturnType<typeof prepared>, v);
    }
    expect(patched).toBeGreaterThan(40);
    expect(whole).toBeGreaterThan(2);
  });
});
