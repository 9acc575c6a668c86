/**
 * The snapshot file's layout (docs/snapshot-format.md is the reference; these constants are its
 * source of truth, and a test reads a file with the documented offsets written out as numbers)
 * and the encoders that lay a Snapshot out in it. The writer is snapshot-file.ts, the reader
 * snapshot-reader.ts.
 */
import {
  CLASS_WIDTH, I_REFERENCE_PRICE, INST_I32_WIDTH, INST_WIDTH, J_CLASS, K_LOT_SIZE, K_PROFILE, K_SECTOR, K_STRATEGY, K_TICK_SIZE, PROFILE_WIDTH,
  P_DEFAULT_SIZE, P_DUPLICATE_WINDOW_MS, P_LIMIT_OFFSET_BPS, P_MAX_DAILY_LOSS, P_MAX_DAILY_TRADES, P_MAX_GROSS_EXPOSURE,
  P_MAX_ORDERS_PER_SECOND, P_MAX_ORDER_NOTIONAL, P_MAX_POSITIONS, P_MAX_SIZE, P_MAX_SLIPPAGE_BPS, P_METHOD, P_ORDER_TYPE,
  P_PRICE_COLLAR_BPS, P_TIF, type Snapshot,
} from "../config/snapshot.ts";

/** The file name inside the data directory (paper mode; see snapshotFileFor). */
export const SNAPSHOT_FILE = "snapshot.bin";
/** Live mode's file: paper and live may run on one data directory, as paper.db and live.db do. */
export const LIVE_SNAPSHOT_FILE = "snapshot-live.bin";

/** The snapshot file of a trading mode: never the same file for paper and live. */
export function snapshotFileFor(mode: "paper" | "live"): string {
  return mode === "live" ? LIVE_SNAPSHOT_FILE : SNAPSHOT_FILE;
}
/** "KEELSNAP" in ASCII: the first 8 bytes of every layout version. */
export const MAGIC = "KEELSNAP";
export const LAYOUT_VERSION = 1;
/** Buffers start on page boundaries, so writing one never dirties a page of the other or the header. */
export const PAGE = 4096;

// File header: bytes 0..63 of the file (the rest of the first page is zero).
export const FILE_HEADER_BYTES = 64;
export const H_MAGIC = 0;
export const H_LAYOUT = 8;
export const H_HEADER_BYTES = 12;
/** u32 seqlock counter: odd while a write into the inactive buffer is under way. */
export const H_SEQ = 16;
/** u32 index (0 or 1) of the buffer readers should read. */
export const H_ACTIVE = 20;
export const H_FLAGS = 24;
export const H_WRITER_PID = 28;
/** u64 bytes per buffer, a multiple of PAGE. */
export const H_CAPACITY = 32;
export const H_BUFFER0_AT = 40;
export const H_BUFFER1_AT = 48;
export const H_RECORD_BYTES = 56;
export const H_BUFFER_HEADER_BYTES = 60;
/** A newer file has been renamed over this one's path: reopen it to see later versions. */
export const FLAG_SUPERSEDED = 1;

// Buffer header: offsets from the buffer's first byte.
export const BUFFER_HEADER_BYTES = 128;
/** u32 CRC-32 (IEEE 802.3, zlib's crc32) of the buffer's bytes [4, used). */
export const B_CRC = 0;
/** u32 the (even) seq value this buffer was published under. */
export const B_PUBLISH_SEQ = 4;
/** u64 bytes of this buffer in use, from its first byte. */
export const B_USED = 8;
export const B_CONFIG_VERSION = 16;
export const B_SYMBOLS = 20;
export const B_SECTORS = 24;
export const B_STRATEGIES = 28;
/** u32 slots in the symbol hash index, a power of two. */
export const B_HASH_SLOTS = 32;
export const B_MODE = 36;
export const B_DAY_RESET_MINUTE = 40;
export const B_PROFILES = 44;
export const B_NAMES_AT = 48;
export const B_INDEX_AT = 56;
export const B_RECORDS_AT = 64;
export const B_SECTORS_AT = 72;
export const B_STRATEGIES_AT = 80;
/** f64 epoch milliseconds at which the buffer was written. */
export const B_WRITTEN_AT = 88;
/** 32 raw bytes: the version hash (config/canonical.ts; the hex string `keel versions` shows). */
export const B_SHA256 = 96;

/** Symbols are 1-32 ASCII characters (schema.ts SYMBOL_PATTERN): NUL-padded to 32 bytes. */
export const SYMBOL_NAME_BYTES = 32;
/** Sector and strategy names are 1-64 ASCII characters (NAME_PATTERN): NUL-padded to 64 bytes. */
export const TABLE_NAME_BYTES = 64;
/** A sector entry: its name, then f64 max_gross_exposure. */
export const SECTOR_ENTRY_BYTES = 72;
export const STRATEGY_ENTRY_BYTES = 64;

// Per-symbol record: 15 float64 values, then int32 ids and uint8 enums. Integers are float64 too:
// exact to 2^53, the range a JavaScript number (and so the config) holds, and one type to read.
export const RECORD_BYTES = 160;
/** The float64 fields of a record, in order: field k is at byte 8*k. */
export const RECORD_F64_FIELDS = [
  "reference_price", "tick_size", "lot_size",
  "default_position_size", "max_position_size",
  "limit_offset_bps", "max_slippage_bps",
  "max_daily_trades", "max_positions", "max_order_notional", "max_gross_exposure", "max_orders_per_second",
  "price_collar_bps", "max_daily_loss", "duplicate_window_ms",
] as const;
export const RECORD_F64_COUNT = RECORD_F64_FIELDS.length;
/** int32 sector id (index into the sector table). */
export const R_SECTOR = 120;
/** int32 strategy id (index into the strategy table), -1 for none. */
export const R_STRATEGY = 124;
/** uint8 codes, as in config/snapshot.ts: method 0 fixed 1 scaled; order type 0 limit 1 market; tif 0 day 1 ioc 2 gtc. */
export const R_METHOD = 128;
export const R_ORDER_TYPE = 129;
export const R_TIF = 130;
/** u32 interned profile id: symbols with the same id have identical sizing, execution and limits. */
export const R_PROFILE = 132;

/** FNV-1a 32 of an ASCII name: the symbol hash index's hash (short to write in any language). */
export function fnv1a(name: string): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < name.length; k++) h = Math.imul(h ^ name.charCodeAt(k), 0x01000193);
  return h >>> 0;
}

/** Slots in the hash index for n symbols: a power of two at least 2n, so probes stay short. */
export function hashSlots(n: number): number {
  let m = 2;
  while (m < 2 * n) m *= 2;
  return m;
}

/** x rounded up to a multiple of `to`. */
export const align = (x: number, to: number) => Math.ceil(x / to) * to;

// The file is little-endian; the typed-array views used to write and read it are host-endian.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error("keel's snapshot export needs a little-endian host");

function putName(bytes: Uint8Array, at: number, name: string, width: number): void {
  if (name.length > width) throw new Error(`name '${name}' is longer than ${width} bytes`);
  for (let k = 0; k < name.length; k++) bytes[at + k] = name.charCodeAt(k);
}

function putU64(dv: DataView, at: number, v: number): void {
  dv.setUint32(at, v >>> 0, true);
  dv.setUint32(at + 4, Math.floor(v / 2 ** 32), true);
}

/**
 * Symbol i's record at byte `o` of the records region (`recordsAt` into `bytes`; `f64`/`i32` are
 * views of the same region).
 */
function writeRecord(snap: Snapshot, i: number, bytes: Uint8Array, f64: Float64Array, i32: Int32Array, recordsAt: number, o: number): void {
  const { row, inst, instI32, classes, profiles } = snap;
  const r = row[i]!;
  const d = o / 8;
  const c = instI32[r * INST_I32_WIDTH + J_CLASS]! * CLASS_WIDTH;
  const p = classes[c + K_PROFILE]!;
  const q = p * PROFILE_WIDTH;
  f64[d] = inst[r * INST_WIDTH + I_REFERENCE_PRICE]!;
  f64[d + 1] = classes[c + K_TICK_SIZE]!;
  f64[d + 2] = classes[c + K_LOT_SIZE]!;
  f64[d + 3] = profiles[q + P_DEFAULT_SIZE]!;
  f64[d + 4] = profiles[q + P_MAX_SIZE]!;
  f64[d + 5] = profiles[q + P_LIMIT_OFFSET_BPS]!;
  f64[d + 6] = profiles[q + P_MAX_SLIPPAGE_BPS]!;
  f64[d + 7] = profiles[q + P_MAX_DAILY_TRADES]!;
  f64[d + 8] = profiles[q + P_MAX_POSITIONS]!;
  f64[d + 9] = profiles[q + P_MAX_ORDER_NOTIONAL]!;
  f64[d + 10] = profiles[q + P_MAX_GROSS_EXPOSURE]!;
  f64[d + 11] = profiles[q + P_MAX_ORDERS_PER_SECOND]!;
  f64[d + 12] = profiles[q + P_PRICE_COLLAR_BPS]!;
  f64[d + 13] = profiles[q + P_MAX_DAILY_LOSS]!;
  f64[d + 14] = profiles[q + P_DUPLICATE_WINDOW_MS]!;
  i32[(o + R_SECTOR) / 4] = classes[c + K_SECTOR]!;
  i32[(o + R_STRATEGY) / 4] = classes[c + K_STRATEGY]!;
  i32[(o + R_PROFILE) / 4] = p;
  bytes[recordsAt + o + R_METHOD] = profiles[q + P_METHOD]!;
  bytes[recordsAt + o + R_ORDER_TYPE] = profiles[q + P_ORDER_TYPE]!;
  bytes[recordsAt + o + R_TIF] = profiles[q + P_TIF]!;
}

/** Symbol i's record on its own (a one-symbol patch rewrites just this). */
export function recordBytes(snap: Snapshot, i: number): Uint8Array {
  const bytes = new Uint8Array(RECORD_BYTES);
  writeRecord(snap, i, bytes, new Float64Array(bytes.buffer), new Int32Array(bytes.buffer), 0, 0);
  return bytes;
}

/**
 * A buffer header moved to a later version of the same layout (same symbols, sectors and
 * strategies): the fields a one-symbol patch changes. The CRC field is left to the caller.
 */
export function advanceBufferHeader(header: Uint8Array, snap: Snapshot, version: number, publishSeq: number, writtenAt: number): Uint8Array {
  const out = header.slice(0, BUFFER_HEADER_BYTES);
  const dv = new DataView(out.buffer);
  dv.setUint32(B_PUBLISH_SEQ, publishSeq >>> 0, true);
  dv.setUint32(B_CONFIG_VERSION, version, true);
  dv.setUint32(B_PROFILES, snap.profileCount, true);
  dv.setFloat64(B_WRITTEN_AT, writtenAt, true);
  out.fill(0, B_SHA256, B_SHA256 + 32);
  if (/^[0-9a-f]{64}$/.test(snap.hash)) out.set(Buffer.from(snap.hash, "hex"), B_SHA256);
  return out;
}

/** u64 field of a buffer header. */
export function getU64(bytes: Uint8Array, at: number): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return dv.getUint32(at, true) + dv.getUint32(at + 4, true) * 2 ** 32;
}

/** One buffer's bytes for a Snapshot: header, names, hash index, records, sectors, strategies. */
export function encodeBuffer(snap: Snapshot, version: number, publishSeq: number, writtenAt: number): Uint8Array {
  const n = snap.symbolCount;
  const slots = hashSlots(n);
  const namesAt = BUFFER_HEADER_BYTES;
  const indexAt = align(namesAt + n * SYMBOL_NAME_BYTES, 8);
  // Records on 64-byte boundaries (buffers are page-aligned), so a record spans the fewest lines.
  const recordsAt = align(indexAt + slots * 4, 64);
  const sectorsAt = recordsAt + n * RECORD_BYTES;
  const strategiesAt = sectorsAt + snap.sectors.length * SECTOR_ENTRY_BYTES;
  const used = strategiesAt + snap.strategies.length * STRATEGY_ENTRY_BYTES;

  const bytes = new Uint8Array(used);
  const dv = new DataView(bytes.buffer);
  dv.setUint32(B_PUBLISH_SEQ, publishSeq >>> 0, true);
  putU64(dv, B_USED, used);
  dv.setUint32(B_CONFIG_VERSION, version, true);
  dv.setUint32(B_SYMBOLS, n, true);
  dv.setUint32(B_SECTORS, snap.sectors.length, true);
  dv.setUint32(B_STRATEGIES, snap.strategies.length, true);
  dv.setUint32(B_HASH_SLOTS, slots, true);
  dv.setUint32(B_MODE, snap.mode, true);
  dv.setUint32(B_DAY_RESET_MINUTE, snap.dayResetMinute, true);
  dv.setUint32(B_PROFILES, snap.profileCount, true);
  putU64(dv, B_NAMES_AT, namesAt);
  putU64(dv, B_INDEX_AT, indexAt);
  putU64(dv, B_RECORDS_AT, recordsAt);
  putU64(dv, B_SECTORS_AT, sectorsAt);
  putU64(dv, B_STRATEGIES_AT, strategiesAt);
  dv.setFloat64(B_WRITTEN_AT, writtenAt, true);
  if (/^[0-9a-f]{64}$/.test(snap.hash)) bytes.set(Buffer.from(snap.hash, "hex"), B_SHA256);

  // Typed-array views rather than DataView calls: 100,000 symbols encode several times faster.
  // Both are little-endian on every host Bun runs on (checked once, at the top of this module).
  const index = new Uint32Array(bytes.buffer, indexAt, slots);
  const f64 = new Float64Array(bytes.buffer, recordsAt, (n * RECORD_BYTES) / 8);
  const i32 = new Int32Array(bytes.buffer, recordsAt, (n * RECORD_BYTES) / 4);
  for (let i = 0; i < n; i++) {
    const name = snap.symbols[i]!;
    putName(bytes, namesAt + i * SYMBOL_NAME_BYTES, name, SYMBOL_NAME_BYTES);
    let h = fnv1a(name) & (slots - 1);
    while (index[h] !== 0) h = (h + 1) & (slots - 1);
    index[h] = i + 1;
    writeRecord(snap, i, bytes, f64, i32, recordsAt, i * RECORD_BYTES);
  }
  for (let s = 0; s < snap.sectors.length; s++) {
    putName(bytes, sectorsAt + s * SECTOR_ENTRY_BYTES, snap.sectors[s]!, TABLE_NAME_BYTES);
    dv.setFloat64(sectorsAt + s * SECTOR_ENTRY_BYTES + TABLE_NAME_BYTES, snap.sectorLimit[s]!, true);
  }
  for (let s = 0; s < snap.strategies.length; s++) putName(bytes, strategiesAt + s * STRATEGY_ENTRY_BYTES, snap.strategies[s]!, TABLE_NAME_BYTES);
  // Last: the CRC covers every byte after itself, the publish seq included.
  dv.setUint32(B_CRC, Bun.hash.crc32(bytes.subarray(4)), true);
  return bytes;
}

/** The file header for a new file whose buffer 0 is active and published under `seq`. */
export function encodeHeader(seq: number, capacity: number): Uint8Array {
  const bytes = new Uint8Array(PAGE);
  const dv = new DataView(bytes.buffer);
  putName(bytes, H_MAGIC, MAGIC, 8);
  dv.setUint32(H_LAYOUT, LAYOUT_VERSION, true);
  dv.setUint32(H_HEADER_BYTES, FILE_HEADER_BYTES, true);
  dv.setUint32(H_SEQ, seq >>> 0, true);
  dv.setUint32(H_ACTIVE, 0, true);
  dv.setUint32(H_FLAGS, 0, true);
  dv.setUint32(H_WRITER_PID, process.pid, true);
  putU64(dv, H_CAPACITY, capacity);
  putU64(dv, H_BUFFER0_AT, PAGE);
  putU64(dv, H_BUFFER1_AT, PAGE + capacity);
  dv.setUint32(H_RECORD_BYTES, RECORD_BYTES, true);
  dv.setUint32(H_BUFFER_HEADER_BYTES, BUFFER_HEADER_BYTES, true);
  return bytes;
}

