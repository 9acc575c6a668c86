/**
 * Why a signal did not become an order. Every denial is a coded reason: a small integer on the
 * hot path (no strings, no exceptions), its snake_case name at the edge.
 */
export const REASONS = [
  "accepted", // 0: not a reject; keeps the codes aligned with their index
  "unknown_symbol",
  "invalid_signal",
  "trading_halted",
  "reduce_only",
  "max_daily_trades",
  "max_orders_per_second",
  "max_position_size",
  "max_positions",
  "max_order_notional",
  "price_collar",
  "max_gross_exposure",
  "sector_exposure",
  "max_daily_loss",
  "duplicate_order",
  "zero_quantity",
  "wrong_shard",
] as const;

export type ReasonName = (typeof REASONS)[number];
/** A reject reason's name: every code but `accepted`. */
export type RejectReason = Exclude<ReasonName, "accepted">;

export const ACCEPTED = 0;
export const UNKNOWN_SYMBOL = 1;
export const INVALID_SIGNAL = 2;
export const TRADING_HALTED = 3;
export const REDUCE_ONLY = 4;
export const MAX_DAILY_TRADES = 5;
export const MAX_ORDERS_PER_SECOND = 6;
export const MAX_POSITION_SIZE = 7;
export const MAX_POSITIONS = 8;
export const MAX_ORDER_NOTIONAL = 9;
export const PRICE_COLLAR = 10;
export const MAX_GROSS_EXPOSURE = 11;
export const SECTOR_EXPOSURE = 12;
export const MAX_DAILY_LOSS = 13;
export const DUPLICATE_ORDER = 14;
/** Sizing rounded down to zero lots (a very weak signal on a large lot). */
export const ZERO_QUANTITY = 15;
/** Reserved for sharding: the symbol belongs to another host. */
export const WRONG_SHARD = 16;

/** The name of a reason code. */
export function reasonName(code: number): ReasonName {
  return REASONS[code] ?? "invalid_signal";
}
