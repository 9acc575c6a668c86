/**
 * The Snapshot: the immutable compiled form of one config version, the only thing the hot path
 * reads. Strings and objects stay at the edge (the symbol index and the name tables);
 * everything a decision needs is a number in a typed array backed by a SharedArrayBuffer, so
 * Workers and other readers can share it without copying.
 *
 * Layout, per symbol i:
 *   row[i]   -> r, the symbol's instrument row (Int32, so a one-symbol patch can publish a new
 *               row with one Atomics.store)
 *   instrument row r: 64 bytes, one cache line, seen through two views of one buffer:
 *     inst[r*INST_WIDTH + I_*]          float64: reference_price, tick_size, lot_size, 1/tick
 *     instI32[r*INST_I32_WIDTH + J_*]   int32: sector id, strategy id, profile id
 *   profiles[p*PROFILE_WIDTH + P_*] -> the effective sizing, execution and limits, shared by every
 *               symbol whose effective values are identical (interned)
 * One cache line per symbol means a decision over 100,000 symbols touches one line of config,
 * not one per field; ids are read as int32 so they index arrays without a float conversion.
 * Keeping the profile id inside the row (not beside it) is what makes a patch atomic: a reader
 * sees the old row with the old profile or the new row with the new one, never a mixture.
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

/** Bytes per instrument row: one cache line. */
export const INST_BYTES = 64;
export const INST_WIDTH = INST_BYTES / 8;
export const INST_I32_WIDTH = INST_BYTES / 4;
// float64 slots
export const I_REFERENCE_PRICE = 0;
export const I_TICK_SIZE = 1;
export const I_LOT_SIZE = 2;
/** 1/tick_size when that is an integer (0.01 -> 100), else 0: exact tick rounding by division. */
export const I_TICK_INV = 3;
/**
 * 1/lot_size: sizing multiplies by it instead of dividing by the lot. A division is ~13 cycles on
 * the decision's critical path (qty feeds every later check; measured with perf over the FTL
 * code), the multiply 4. Rounding down carries a 1e-9 tolerance already (risk/checks.ts:
 * roundToLots), far wider than the multiply's one-ulp difference from the quotient.
 */
export const I_LOT_INV = 4;
// int32 slots (bytes 48..63 of the row)
/** Sector id (index into Snapshot.sectors). */
export const J_SECTOR = 12;
/** Strategy id (index into Snapshot.strategies), -1 for none. */
export const J_STRATEGY = 13;
export const J_PROFILE = 14;

/**
 * Spare instrument rows and profile rows compile() leaves after the live ones, for one-symbol
 * patches (config/snapshot-writer.ts: a patch writes its new row there and publishes it with one
 * Atomics.store, and rows are recycled, so updates never run out). 4 KiB and 3 KiB per version.
 */
export const SPARE_ROWS = 64;
export const SPARE_PROFILES = 16;

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
 * A profile as the hot path reads it: one flat object of numbers per distinct profile, built from
 * the shared `profiles` table (each Worker can rebuild its own from the table). One hidden class,
 * so a decision pays one shape check and then plain fixed-offset loads, where a typed array would
 * bounds-check every field.
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

  constructor(t: Float64Array, id: number) {
    const o = id * PROFILE_WIDTH;
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
    Object.freeze(this);
  }
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
  /** The table as flat frozen objects, indexed by profile id: what decide() reads. */
  readonly hot: readonly HotProfile[];
  /** The same profiles as frozen objects, for the edge (API, CLI, tests), never the hot path. */
  readonly profileObjects: readonly Profile[];
  readonly sectors: readonly string[];
  /** Per sector id: its max_gross_exposure. */
  readonly sectorLimit: Float64Array;
  readonly strategies: readonly string[];
}

/** The effective config of one symbol, read back from the slots (edge use only). */
export function effectiveOf(snap: Snapshot, symbol: string): Profile | undefined {
  const i = snap.index.get(symbol);
  if (i === undefined) return undefined;
  return snap.profileObjects[snap.instI32[snap.row[i]! * INST_I32_WIDTH + J_PROFILE]!];
}
