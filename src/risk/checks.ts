/**
 * Pure arithmetic shared by the hot path and the tests: tick rounding. Kept free of state so it
 * can be checked exhaustively on its own.
 */

/**
 * Round a price onto the tick grid towards the passive side: down for a buy (side 1), up for a
 * sell (side -1). When 1/tick is an integer (0.01, 0.05, 0.25 ...), dividing by it gives the
 * double nearest the decimal price (190.53, not 190.53000000000003).
 * @example roundToTick(190.5381, 0.01, 1) === 190.53
 */
export function roundToTick(price: number, tick: number, side: number): number {
  const steps = price / tick;
  const n = side > 0 ? Math.floor(steps + 1e-9) : Math.ceil(steps - 1e-9);
  const inv = 1 / tick;
  const invInt = Math.round(inv);
  return Math.abs(inv - invInt) < 1e-9 * invInt ? n / invInt : n * tick;
}
