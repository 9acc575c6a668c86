/**
 * The project's own reader of `snapshot.bin` (docs/snapshot-format.md), over Bun.mmap: nothing is
 * copied, a read is a few loads from the page cache the writer's pwrite filled.
 *
 * Consistency is the seqlock of the format: read seq, read the active index and the buffer, read
 * seq again, and retry when it changed. An odd seq alone is no reason to wait: the writer is then
 * filling the inactive buffer, and the active one stays complete until a later write bumps the
 * seq again. The seq loads are Atomics.load (never torn, and a fence for the JIT, which may not
 * move the buffer's loads across them). On a weakly ordered CPU (arm64) that is not a hardware
 * load barrier, which is what the per-buffer CRC is for: `verify` reads check it.
 */
import { statSync } from "node:fs";
import {
  BUFFER_HEADER_BYTES, B_CONFIG_VERSION, B_CRC, B_DAY_RESET_MINUTE, B_HASH_SLOTS, B_INDEX_AT, B_MODE, B_NAMES_AT, B_PROFILES,
  B_PUBLISH_SEQ, B_RECORDS_AT, B_SECTORS, B_SECTORS_AT, B_SHA256, B_STRATEGIES, B_STRATEGIES_AT, B_SYMBOLS, B_USED,
  B_WRITTEN_AT, FILE_HEADER_BYTES, FLAG_SUPERSEDED, H_ACTIVE, H_BUFFER0_AT, H_BUFFER1_AT, H_BUFFER_HEADER_BYTES, H_CAPACITY,
  H_FLAGS, H_LAYOUT, H_RECORD_BYTES, H_SEQ, H_WRITER_PID, LAYOUT_VERSION, MAGIC, RECORD_BYTES, RECORD_F64_COUNT, R_METHOD,
  R_ORDER_TYPE, R_PROFILE, R_SECTOR, R_STRATEGY, R_TIF, SECTOR_ENTRY_BYTES, STRATEGY_ENTRY_BYTES, SYMBOL_NAME_BYTES,
  TABLE_NAME_BYTES, fnv1a, RECORD_F64_FIELDS,
} from "./snapshot-layout.ts";
import { METHOD_NAMES, ORDER_TYPE_NAMES, TIF_NAMES } from "../config/snapshot.ts";

export type SnapshotFileProblem = "missing" | "too_small" | "bad_magic" | "bad_layout" | "corrupt";

/** Why a file cannot be read as a snapshot; `problem` lets the CLI pick its hint. */
export class SnapshotFileError extends Error {
  constructor(readonly problem: SnapshotFileProblem, message: string) {
    super(message);
  }
}

/** One buffer's header, as read consistently. */
export interface BufferInfo {
  readonly configVersion: number;
  readonly publishSeq: number;
  readonly used: number;
  readonly symbols: number;
  readonly profiles: number;
  readonly mode: number;
  readonly dayResetMinute: number;
  /** The config version hash, hex (docs/architecture.md, "The config hash"). */
  readonly hash: string;
  readonly writtenAt: number;
  readonly sectors: readonly { readonly name: string; readonly maxGrossExposure: number }[];
  readonly strategies: readonly string[];
}

/** A symbol's record, decoded: numbers as stored, enums and ids as their codes. */
export interface SymbolRecord {
  readonly symbol: string;
  readonly configVersion: number;
  /** The float64 fields in RECORD_F64_FIELDS order. */
  readonly values: readonly number[];
  readonly sectorId: number;
  readonly strategyId: number;
  readonly method: number;
  readonly orderType: number;
  readonly tif: number;
  readonly profileId: number;
  readonly sector: string;
  readonly strategy: string | null;
}

/** Retries before a read that keeps failing its CRC with no writer in between is called corrupt. */
const MAX_BAD_READS = 1000;

export class SnapshotReader {
  readonly bytes: Uint8Array;
  readonly fileSize: number;
  readonly layoutVersion: number;
  readonly capacity: number;
  readonly writerPid: number;
  private readonly i32: Int32Array;
  private readonly u32: Uint32Array;
  private readonly f64: Float64Array;
  private readonly bufferAt: readonly [number, number];

  private constructor(readonly path: string, bytes: Uint8Array) {
    this.bytes = bytes;
    this.fileSize = bytes.length;
    // The mapping starts on a page boundary and every offset in the format is aligned to its
    // width, so whole-file views index any field directly.
    this.i32 = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
    this.u32 = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
    this.f64 = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 3);
    this.layoutVersion = this.u32[H_LAYOUT / 4]!;
    this.capacity = this.u64(H_CAPACITY);
    this.writerPid = this.u32[H_WRITER_PID / 4]!;
    this.bufferAt = [this.u64(H_BUFFER0_AT), this.u64(H_BUFFER1_AT)];
  }

  /** Map the file at `path`; throws SnapshotFileError when it is not a readable snapshot. */
  static open(path: string): SnapshotReader {
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      throw new SnapshotFileError("missing", `no snapshot at ${path}`);
    }
    // Bun.mmap refuses an empty file, and a header cut short is not one we wrote.
    if (size < FILE_HEADER_BYTES) throw new SnapshotFileError("too_small", `${path} is ${size} bytes, too small to be a keel snapshot`);
    const bytes = Bun.mmap(path, { shared: true });
    if (new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
      throw new SnapshotFileError("bad_magic", `${path} is not a keel snapshot (its first bytes are not "${MAGIC}")`);
    }
    const r = new SnapshotReader(path, bytes);
    if (r.layoutVersion !== LAYOUT_VERSION) {
      throw new SnapshotFileError("bad_layout", `${path} has layout version ${r.layoutVersion}; this keel reads layout version ${LAYOUT_VERSION}`);
    }
    const u32 = r.u32;
    if (u32[H_RECORD_BYTES / 4] !== RECORD_BYTES || u32[H_BUFFER_HEADER_BYTES / 4] !== BUFFER_HEADER_BYTES) {
      throw new SnapshotFileError("bad_layout", `${path} declares record or header sizes that layout version ${LAYOUT_VERSION} does not have`);
    }
    if (r.bufferAt[0] % 8 !== 0 || r.bufferAt[1] % 8 !== 0 || Math.max(...r.bufferAt) + r.capacity > size) {
      throw new SnapshotFileError("corrupt", `${path}: its buffers lie outside the file (${size} bytes)`);
    }
    return r;
  }

  /** The seqlock counter now (odd while a write is under way). */
  get sequence(): number {
    return Atomics.load(this.i32, H_SEQ / 4) >>> 0;
  }

  /** A newer file has replaced this one at its path: open the path again to follow it. */
  get superseded(): boolean {
    return (Atomics.load(this.i32, H_FLAGS / 4) & FLAG_SUPERSEDED) !== 0;
  }

  /** The byte offset of the active buffer now (read it inside a seqlock section). */
  activeBuffer(): number {
    // A plain load: an aligned 32-bit load never tears, and the Atomics.load of the seq around
    // it keeps the JIT from moving it out of the section. In Bun an Atomics.load costs ~5 ns and a
    // plain load under 1, on a read of ~30 ns (bench/mmap.bench.ts).
    return this.bufferAt[this.i32[H_ACTIVE / 4]! & 1]!;
  }

  /** Whether the buffer at `base` matches its CRC. */
  checksumOk(base: number): boolean {
    const used = this.u64(base + B_USED);
    if (used < BUFFER_HEADER_BYTES || used > this.capacity) return false;
    return Bun.hash.crc32(this.bytes.subarray(base + 4, base + used)) === this.u32[(base + B_CRC) / 4];
  }

  configVersionAt(base: number): number {
    return this.u32[(base + B_CONFIG_VERSION) / 4]!;
  }

  /**
   * Run `fn` on the active buffer until it ran with no write in between (and, with `verify`,
   * the buffer matched its CRC). `fn` must tolerate garbage: it may run on a buffer being written.
   */
  consistent<T>(fn: (base: number) => T, verify = false): T {
    let bad = 0;
    for (;;) {
      const s1 = Atomics.load(this.i32, H_SEQ / 4);
      const base = this.activeBuffer();
      const value = fn(base);
      const ok = !verify || this.checksumOk(base);
      if (Atomics.load(this.i32, H_SEQ / 4) === s1) {
        if (ok) return value;
        if (++bad >= MAX_BAD_READS) throw new SnapshotFileError("corrupt", `${this.path}: the active buffer fails its CRC-32`);
      }
    }
  }

  /** The active buffer's header and name tables, CRC-checked. */
  info(): BufferInfo {
    return this.consistent((b) => this.infoAt(b), true);
  }

  /** The record index of `symbol` in the buffer at `base`, or -1. */
  indexOf(base: number, symbol: string): number {
    const slots = this.u32[(base + B_HASH_SLOTS) / 4]!;
    const n = this.u32[(base + B_SYMBOLS) / 4]!;
    const index = base + this.u64(base + B_INDEX_AT);
    const names = base + this.u64(base + B_NAMES_AT);
    // Bounds against garbage read mid-write: a probe never leaves the buffer.
    if (symbol.length === 0 || symbol.length > SYMBOL_NAME_BYTES || slots === 0 || (slots & (slots - 1)) !== 0 || index + slots * 4 > base + this.capacity) return -1;
    const bytes = this.bytes;
    let h = fnv1a(symbol) & (slots - 1);
    for (let probes = 0; probes < slots; probes++) {
      const slot = this.u32[index / 4 + h]!;
      if (slot === 0 || slot > n) return -1;
      const at = names + (slot - 1) * SYMBOL_NAME_BYTES;
      let k = 0;
      while (k < symbol.length && bytes[at + k] === symbol.charCodeAt(k)) k++;
      if (k === symbol.length && (k === SYMBOL_NAME_BYTES || bytes[at + k] === 0)) return slot - 1;
      h = (h + 1) & (slots - 1);
    }
    return -1;
  }

  /**
   * The hot read: `symbol`'s float64 fields into `out` (RECORD_F64_COUNT slots), consistently;
   * returns the config version they belong to, or -1 for an unknown symbol. No allocation, no CRC.
   */
  readInto(symbol: string, out: Float64Array): number {
    for (;;) {
      const s1 = Atomics.load(this.i32, H_SEQ / 4);
      const base = this.activeBuffer();
      const i = this.indexOf(base, symbol);
      const version = i < 0 ? -1 : this.copyRecord(base, i, out);
      if (Atomics.load(this.i32, H_SEQ / 4) === s1) return version;
    }
  }

  /** Record `i`'s float64 fields of the buffer at `base` into `out`; returns the buffer's config version. */
  copyRecord(base: number, i: number, out: Float64Array): number {
    const n = this.u32[(base + B_SYMBOLS) / 4]!;
    if (i >= n) return -1;
    const o = base + this.u64(base + B_RECORDS_AT) + i * RECORD_BYTES;
    if (o + RECORD_BYTES > base + this.capacity) return -1;
    const at = o / 8;
    const f = this.f64;
    for (let k = 0; k < RECORD_F64_COUNT; k++) out[k] = f[at + k]!;
    return this.u32[(base + B_CONFIG_VERSION) / 4]!;
  }

  /** One symbol's whole record with its names, CRC-checked; undefined when the symbol is not there. */
  read(symbol: string): SymbolRecord | undefined {
    return this.consistent((b) => {
      const i = this.indexOf(b, symbol);
      return i < 0 ? undefined : this.recordAt(b, i);
    }, true);
  }

  /** Every symbol name of the active version, in record order. */
  symbols(): string[] {
    return this.consistent((b) => {
      const n = Math.min(this.u32[(b + B_SYMBOLS) / 4]!, Math.floor(this.capacity / SYMBOL_NAME_BYTES));
      const at = b + this.u64(b + B_NAMES_AT);
      return Array.from({ length: n }, (_, i) => this.name(at + i * SYMBOL_NAME_BYTES, SYMBOL_NAME_BYTES));
    }, true);
  }

  private recordAt(b: number, i: number): SymbolRecord {
    const values = new Float64Array(RECORD_F64_COUNT);
    const configVersion = this.copyRecord(b, i, values);
    const o = b + this.u64(b + B_RECORDS_AT) + i * RECORD_BYTES;
    const sectorId = this.i32[(o + R_SECTOR) / 4]!;
    const strategyId = this.i32[(o + R_STRATEGY) / 4]!;
    const sectorsAt = b + this.u64(b + B_SECTORS_AT);
    const strategiesAt = b + this.u64(b + B_STRATEGIES_AT);
    const sectorCount = this.u32[(b + B_SECTORS) / 4]!;
    const strategyCount = this.u32[(b + B_STRATEGIES) / 4]!;
    return {
      symbol: this.name(b + this.u64(b + B_NAMES_AT) + i * SYMBOL_NAME_BYTES, SYMBOL_NAME_BYTES),
      configVersion,
      values: Array.from(values),
      sectorId,
      strategyId,
      method: this.bytes[o + R_METHOD]!,
      orderType: this.bytes[o + R_ORDER_TYPE]!,
      tif: this.bytes[o + R_TIF]!,
      profileId: this.u32[(o + R_PROFILE) / 4]!,
      sector: sectorId >= 0 && sectorId < sectorCount ? this.name(sectorsAt + sectorId * SECTOR_ENTRY_BYTES, TABLE_NAME_BYTES) : "",
      strategy: strategyId >= 0 && strategyId < strategyCount ? this.name(strategiesAt + strategyId * STRATEGY_ENTRY_BYTES, TABLE_NAME_BYTES) : null,
    };
  }

  private infoAt(b: number): BufferInfo {
    const u = (off: number) => this.u32[(b + off) / 4]!;
    // Counts are capped by what fits in a buffer, so garbage read mid-write cannot allocate wildly.
    const sectorCount = Math.min(u(B_SECTORS), Math.floor(this.capacity / SECTOR_ENTRY_BYTES));
    const strategyCount = Math.min(u(B_STRATEGIES), Math.floor(this.capacity / STRATEGY_ENTRY_BYTES));
    const sectorsAt = b + this.u64(b + B_SECTORS_AT);
    const strategiesAt = b + this.u64(b + B_STRATEGIES_AT);
    const sectors = [];
    for (let s = 0; s < sectorCount && sectorsAt + (s + 1) * SECTOR_ENTRY_BYTES <= this.fileSize; s++) {
      const at = sectorsAt + s * SECTOR_ENTRY_BYTES;
      sectors.push({ name: this.name(at, TABLE_NAME_BYTES), maxGrossExposure: this.f64[(at + TABLE_NAME_BYTES) / 8]! });
    }
    const strategies = [];
    for (let s = 0; s < strategyCount && strategiesAt + (s + 1) * STRATEGY_ENTRY_BYTES <= this.fileSize; s++) {
      strategies.push(this.name(strategiesAt + s * STRATEGY_ENTRY_BYTES, TABLE_NAME_BYTES));
    }
    return {
      configVersion: u(B_CONFIG_VERSION),
      publishSeq: u(B_PUBLISH_SEQ),
      used: this.u64(b + B_USED),
      symbols: u(B_SYMBOLS),
      profiles: u(B_PROFILES),
      mode: u(B_MODE),
      dayResetMinute: u(B_DAY_RESET_MINUTE),
      hash: Buffer.from(this.bytes.subarray(b + B_SHA256, b + B_SHA256 + 32)).toString("hex"),
      writtenAt: this.f64[(b + B_WRITTEN_AT) / 8]!,
      sectors,
      strategies,
    };
  }

  /** A NUL-padded ASCII name. */
  private name(at: number, width: number): string {
    if (at < 0 || at + width > this.fileSize) return "";
    let end = at;
    while (end < at + width && this.bytes[end] !== 0) end++;
    return String.fromCharCode(...this.bytes.subarray(at, end));
  }

  private u64(at: number): number {
    return this.u32[at / 4]! + this.u32[at / 4 + 1]! * 2 ** 32;
  }
}

/** An enum code as its name, or `unknown(code)` for a code this build does not know. */
function enumName(names: readonly string[], code: number): string {
  return names[code] ?? `unknown(${code})`;
}

/** A record in the config document's own shape (section and key names, enums as names). */
export function recordJson(r: SymbolRecord) {
  const v = (field: (typeof RECORD_F64_FIELDS)[number]) => r.values[RECORD_F64_FIELDS.indexOf(field)]!;
  return {
    symbol: r.symbol,
    config_version: r.configVersion,
    sector: r.sector,
    sector_id: r.sectorId,
    strategy: r.strategy,
    strategy_id: r.strategyId,
    profile_id: r.profileId,
    reference_price: v("reference_price"),
    tick_size: v("tick_size"),
    lot_size: v("lot_size"),
    position_sizing: {
      method: enumName(METHOD_NAMES, r.method),
      default_position_size: v("default_position_size"),
      max_position_size: v("max_position_size"),
    },
    execution: {
      order_type: enumName(ORDER_TYPE_NAMES, r.orderType),
      time_in_force: enumName(TIF_NAMES, r.tif),
      limit_offset_bps: v("limit_offset_bps"),
      max_slippage_bps: v("max_slippage_bps"),
    },
    limits: {
      max_daily_trades: v("max_daily_trades"),
      max_positions: v("max_positions"),
      max_order_notional: v("max_order_notional"),
      max_gross_exposure: v("max_gross_exposure"),
      max_orders_per_second: v("max_orders_per_second"),
      price_collar_bps: v("price_collar_bps"),
      max_daily_loss: v("max_daily_loss"),
      duplicate_window_ms: v("duplicate_window_ms"),
    },
  };
}
