/**
 * The Snapshot: the immutable compiled form of one config version, the only thing the hot path
 * reads. Strings and objects stay at the edge (the symbol -> index Map and the name tables);
 * everything a decision needs is a number in a typed array backed by a SharedArrayBuffer, so
 * Workers and other readers can share it without copying.
 *
 * Layout, per symbol i:
 *   row[i]                          -> r, the symbol's instrument row (Int32, so a one-symbol patch
 *                                      can publish a new row with one Atomics.store)
 *   instF64[r*INST_F64 + IF_*]      -> reference_price, tick_size, lot_size
 *   instI32[r*INST_I32 + II_*]      -> sector id, strategy id (-1 for none), profile id
 *   profiles[p*PROFILE_WIDTH + P_*] -> the effective sizing, execution and limits, shared by every
 *                                      symbol whose effective values are identical (interned)
 * Keeping the profile id inside the row (not beside it) is what makes a patch atomic: a reader
 * either sees the old row with the old profile or the new row with the new one.
 */
import type { ExecutionConfig, LimitsConfig, SizingConfig } from "./schema.ts";

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
/** 15 fields padded to 16 so a profile row is 128 bytes, two cache lines. */
export const PROFILE_WIDTH = 16;

export const IF_REFERENCE_PRICE = 0;
export const IF_TICK_SIZE = 1;
export const IF_LOT_SIZE = 2;
export const INST_F64 = 3;

export const II_SECTOR = 0;
export const II_STRATEGY = 1;
export const II_PROFILE = 2;
export const INST_I32 = 3;

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
  /** sha256 of the canonical document. */
  readonly hash: string;
  readonly mode: number;
  /** Minutes after 00:00 UTC at which the trading day rolls over. */
  readonly dayResetMinute: number;
  readonly symbolCount: number;
  /** Symbol -> dense index. The one string look-up a decision makes. */
  readonly index: ReadonlyMap<string, number>;
  readonly symbols: readonly string[];
  readonly row: Int32Array;
  readonly instF64: Float64Array;
  readonly instI32: Int32Array;
  readonly profiles: Float64Array;
  readonly profileCount: number;
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
  const r = snap.row[i]!;
  return snap.profileObjects[snap.instI32[r * INST_I32 + II_PROFILE]!];
}
