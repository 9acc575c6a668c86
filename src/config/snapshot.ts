/**
 * The Snapshot: the immutable compiled form of one config version, the only thing the hot path
 * reads. Strings and objects stay at the edge (the symbol index and the name tables);
 * everything a decision needs is a number in a typed array backed by a SharedArrayBuffer, so
 * Workers and other readers can share it without copying.
 *
 * Layout, per symbol i:
 *   row[i]   -> r, the symbol's instrument row (Int32, so a one-symbol patch can publish a new
 *               row with one Atomics.store)
 *   instrument row r: 16 bytes, seen through two views of one buffer:
 *     inst[r*INST_WIDTH + I_REFERENCE_PRICE]   float64: the only value no other symbol shares
 *     instI32[r*INST_I32_WIDTH + J_CLASS]      int32: the symbol's class id
 *   classes[c*CLASS_WIDTH + K_*] -> a class: a profile plus the instrument fields symbols share
 *               (sector, strategy, tick size, lot size), interned like profiles are
 *   profiles[p*PROFILE_WIDTH + P_*] -> the effective sizing, execution and limits, shared by every
 *               symbol whose effective values are identical (interned)
 * Why classes: a universe has few sectors, strategies, tick sizes and lot sizes (ticks follow
 * price bands, lots follow the market), so the symbols share a few hundred classes at most and a
 * symbol's own row is 16 bytes where it was 64 (with tick, lot, their inverses, sector, strategy
 * and profile in it). 100,000 symbols' rows are 1.6 MB, which stays in a core's L2 cache, and
 * the hot path reads its per-class values from one flat object (HotProfile). The worst case, a
 * universe where every symbol has a tick or lot of its own, costs one class per symbol (about
 * 260 bytes more each): correct, only larger.
 * Keeping the class id inside the row (not beside it) is what makes a patch atomic: a reader
 * sees the old row with the old class or the new row with the new one, never a mixture.
 */
import type { ExecutionConfig, LimitsConfig, SizingConfig } from "./schema.ts";
import type { ReadonlySymbolIndex } from "./symbol-index.ts";

// Profile fields. Enums are small integers; every field is a float64 slot.
export const P_METHOD = 0;
export const P_DEFAULT_SIZE = 1;
export const P_MAX_SIZE = 2;
export const P_ORDER_TYPE = 3;
export const P_TIF = 4;
export const P_LIMIT_OFFSET_BPS = 5;
export const P_MAX_SLIPPAGE_BPS = 6;
export const P_MAX_DAILY_TRADES = 7;
export const P_MAX_POSITIONS = 8;
export const P_MAX_ORDER_NOTIONAL = 9;
export const P_MAX_GROSS_EXPOSURE = 10;
export const P_MAX_ORDERS_PER_SECOND = 11;
export const P_PRICE_COLLAR_BPS = 12;
export const P_MAX_DAILY_LOSS = 13;
export const P_DUPLICATE_WINDOW_MS = 14;
// Derived once at compile time so the hot path multiplies instead of dividing:
/** 1 + limit_offset_bps / 1e4: a buy's limit price factor. */
export const P_BUY_FACTOR = 15;
/** 1 - limit_offset_bps / 1e4: a sell's limit price factor. */
export const P_SELL_FACTOR = 16;
/**
 * max_orders_per_second * 1000: the token bucket's capacity in thousandths of a token. The bucket
 * counts in thousandths so that refill (elapsed ms * rate) is exact integer arithmetic: a float
 * refill of rate/1000 per ms drifts (500 ms * 0.002 < 1) and would refuse an order that is due.
 */
export const P_BUCKET_MILLI = 17;
/** 18 fields padded to 24: a profile row is 192 bytes, three cache lines. */
export const PROFILE_WIDTH = 24;

/** Bytes per instrument row: 4 rows to a cache line, none straddling one. */
export const INST_BYTES = 16;
export const INST_WIDTH = INST_BYTES / 8;
export const INST_I32_WIDTH = INST_BYTES / 4;
/** float64 slot: reference_price. */
export const I_REFERENCE_PRICE = 0;
/** int32 slot (bytes 8..11 of the row): the class id (index into `classes` and `hot`). */
export const J_CLASS = 2;

// Class fields: float64 slots of the class table (ids are small integers, exact as float64).
/** The profile id (index into `profiles` and `profileObjects`). */
export const K_PROFILE = 0;
/** Sector id (index into Snapshot.sectors). */
export const K_SECTOR = 1;
/** Strategy id (index into Snapshot.strategies), -1 for none. */
export const K_STRATEGY = 2;
export const K_TICK_SIZE = 3;
/** 1/tick_size when that is an integer (0.01 -> 100), else 0: exact tick rounding by division. */
export const K_TICK_INV = 4;
export const K_LOT_SIZE = 5;
/**
 * 1/lot_size: sizing multiplies by it instead of dividing by the lot. A division is ~13 cycles on
 * the decision's critical path (qty feeds every later check; measured with perf over the FTL
 * code), the multiply 4. Rounding down carries a 1e-9 tolerance already (risk/checks.ts:
 * roundToLots), far wider than the multiply's one-ulp difference from the quotient.
 */
export const K_LOT_INV = 6;
/** 7 fields padded to 8: a class row is 64 bytes, one cache line. */
export const CLASS_WIDTH = 8;

/**
 * Spare instrument rows, profile rows and class rows compile() leaves after the live ones, for
 * one-symbol patches (config/snapshot-writer.ts: a patch writes its new row there and publishes it
 * with one Atomics.store, and rows are recycled, so updates never run out). 1 KiB, 3 KiB and
 * 1 KiB per version.
 */
export const SPARE_ROWS = 64;
export const SPARE_PROFILES = 16;
export const SPARE_CLASSES = 16;

export const METHOD_FIXED = 0;
export const METHOD_SCALED = 1;
export const ORDER_LIMIT = 0;
export const ORDER_MARKET = 1;
export const TIF_DAY = 0;
export const TIF_IOC = 1;
export const TIF_GTC = 2;
export const MODE_PAPER = 0;
export const MODE_LIVE = 1;

/** Enum names by their integer code, for turning slots back into text at the edge. */
export const METHOD_NAMES = ["fixed", "scaled"] as const;
export const ORDER_TYPE_NAMES = ["limit", "market"] as const;
export const TIF_NAMES = ["day", "ioc", "gtc"] as const;

/**
 * A class as the hot path reads it: its profile's values and its instrument fields in one flat
 * object of numbers per class, built from the shared `classes` and `profiles` tables (each Worker
 * can rebuild its own from the tables). One hidden class, so a decision pays one shape check and
 * then plain fixed-offset loads, where a typed array would bounds-check every field.
 */
export class HotProfile {
  readonly method: number;
  readonly defaultSize: number;
  readonly maxSize: number;
  readonly orderType: number;
  readonly tif: number;
  readonly maxSlippageBps: number;
  readonly maxDailyTrades: number;
  readonly maxPositions: number;
  readonly maxOrderNotional: number;
  readonly maxGrossExposure: number;
  readonly maxOrdersPerSecond: number;
  readonly priceCollarBps: number;
  readonly maxDailyLoss: number;
  readonly duplicateWindowMs: number;
  readonly buyFactor: number;
  readonly sellFactor: number;
  readonly bucketMilli: number;
  readonly profile: number;
  readonly sector: number;
  readonly strategy: number;
  readonly tickSize: number;
  readonly tickInv: number;
  readonly lotSize: number;
  readonly lotInv: number;

  /** Class `id` of `classes`, with its profile's values from `profiles`. */
  constructor(profiles: Float64Array, classes: Float64Array, id: number) {
    const c = id * CLASS_WIDTH;
    const p = classes[c + K_PROFILE]!;
    const t = profiles;
    const o = p * PROFILE_WIDTH;
    this.method = t[o + P_METHOD]!;
    this.defaultSize = t[o + P_DEFAULT_SIZE]!;
    this.maxSize = t[o + P_MAX_SIZE]!;
    this.orderType = t[o + P_ORDER_TYPE]!;
    this.tif = t[o + P_TIF]!;
    this.maxSlippageBps = t[o + P_MAX_SLIPPAGE_BPS]!;
    this.maxDailyTrades = t[o + P_MAX_DAILY_TRADES]!;
    this.maxPositions = t[o + P_MAX_POSITIONS]!;
    this.maxOrderNotional = t[o + P_MAX_ORDER_NOTIONAL]!;
    this.maxGrossExposure = t[o + P_MAX_GROSS_EXPOSURE]!;
    this.maxOrdersPerSecond = t[o + P_MAX_ORDERS_PER_SECOND]!;
    this.priceCollarBps = t[o + P_PRICE_COLLAR_BPS]!;
    this.maxDailyLoss = t[o + P_MAX_DAILY_LOSS]!;
    this.duplicateWindowMs = t[o + P_DUPLICATE_WINDOW_MS]!;
    this.buyFactor = t[o + P_BUY_FACTOR]!;
    this.sellFactor = t[o + P_SELL_FACTOR]!;
    this.bucketMilli = t[o + P_BUCKET_MILLI]!;
    this.profile = p;
    this.sector = classes[c + K_SECTOR]!;
    this.strategy = classes[c + K_STRATEGY]!;
    this.tickSize = classes[c + K_TICK_SIZE]!;
    this.tickInv = classes[c + K_TICK_INV]!;
    this.lotSize = classes[c + K_LOT_SIZE]!;
    this.lotInv = classes[c + K_LOT_INV]!;
    Object.freeze(this);
  }
}

/** One HotProfile per class of `classes` (the first `count`). */
export function hotClasses(profiles: Float64Array, classes: Float64Array, count: number): HotProfile[] {
  const out: HotProfile[] = [];
  for (let c = 0; c < count; c++) out.push(new HotProfile(profiles, classes, c));
  return out;
}

/** An effective config: what applies to one symbol after inheritance. */
export interface Effective {
  readonly position_sizing: SizingConfig;
  readonly execution: ExecutionConfig;
  readonly limits: LimitsConfig;
}

/** A frozen, interned profile: one object shared by every symbol with these effective values. */
export interface Profile extends Effective {
  readonly id: number;
}

export interface Snapshot {
  /** The version hash (canonical.ts: sha256 over the canonical document with its symbol trie). */
  readonly hash: string;
  readonly mode: number;
  /** The venue section as JSON ("" when absent): restart-only, so compared, never read, on a reload. */
  readonly venue: string;
  /** Minutes after 00:00 UTC at which the trading day rolls over. */
  readonly dayResetMinute: number;
  readonly symbolCount: number;
  /** Symbol -> dense index (config/symbol-index.ts). The one string look-up a decision makes. */
  readonly index: ReadonlySymbolIndex;
  readonly symbols: readonly string[];
  readonly row: Int32Array;
  readonly inst: Float64Array;
  /** The same buffer as `inst`, as int32. */
  readonly instI32: Int32Array;
  readonly profiles: Float64Array;
  readonly profileCount: number;
  /** The class table (CLASS_WIDTH float64 per class) and its live length. */
  readonly classes: Float64Array;
  readonly classCount: number;
  /** The classes as flat frozen objects, indexed by class id: what decide() reads. */
  readonly hot: readonly HotProfile[];
  /** The same profiles as frozen objects, for the edge (API, CLI, tests), never the hot path. */
  readonly profileObjects: readonly Profile[];
  readonly sectors: readonly string[];
  /** Per sector id: its max_gross_exposure. */
  readonly sectorLimit: Float64Array;
  readonly strategies: readonly string[];
}

/** Symbol i's class id (edge use; the hot path inlines it). */
export function classOf(snap: Snapshot, i: number): number {
  return snap.instI32[snap.row[i]! * INST_I32_WIDTH + J_CLASS]!;
}

/** A field of symbol i's class (K_SECTOR, K_TICK_SIZE, ...), edge use. */
export function classField(snap: Snapshot, i: number, field: number): number {
  return snap.classes[classOf(snap, i) * CLASS_WIDTH + field]!;
}

/** Symbol i's sector id. */
export function sectorOf(snap: Snapshot, i: number): number {
  return classField(snap, i, K_SECTOR);
}

/** Symbol i's reference price. */
export function referenceOf(snap: Snapshot, i: number): number {
  return snap.inst[snap.row[i]! * INST_WIDTH + I_REFERENCE_PRICE]!;
}

/** The effective config of one symbol, read back from the slots (edge use only). */
export function effectiveOf(snap: Snapshot, symbol: string): Profile | undefined {
  const i = snap.index.get(symbol);
  if (i === undefined) return undefined;
  return snap.profileObjects[classField(snap, i, K_PROFILE)];
}
