/**
 * Trading states, after NautilusTrader's risk engine: ACTIVE trades normally, REDUCING accepts
 * only orders that shrink a position, HALTED accepts nothing.
 */
export const ACTIVE = 0;
export const REDUCING = 1;
export const HALTED = 2;

export const TRADING_STATES = ["ACTIVE", "REDUCING", "HALTED"] as const;
export type TradingStateName = (typeof TRADING_STATES)[number];

/** A change of trading state, with who or what caused it. */
export interface TradingStateChange {
  readonly from: TradingStateName;
  readonly to: TradingStateName;
  readonly reason: string;
  /** Signal-clock time for automatic changes, wall clock for an operator's. */
  readonly ts: number;
}
