/**
 * Pure arithmetic shared by the hot path and the tests: tick rounding. Kept free of state so it
 * can be checked exhaustively on its own.
 */

/**
 * The largest multiple of `lot` at or below `x` (x >= 0), with `lotInv` = 1/lot from the
 * Snapshot: a multiply, because a division sat on the decision's critical path. A quotient within
 * 1e-9 below a whole number of lots counts as that number, so float noise does not cost a lot
 * (0.29 * 100 = 28.999999999999996 is 29 lots); that tolerance is far wider than the multiply's
 * one-ulp difference from the true quotient.
 * @example roundToLots(29, 100, 0.01) === 0; roundToLots(0.29 * 100 * 100, 100, 0.01) === 2900
 */
export function roundToLots(x: number, lot: number, lotInv: number): number {
  return Math.floor(x * lotInv + 1e-9) * lot;
}

/**
 * Round a price onto the tick grid towards the passive side: down for a buy (side 1), up for a
 * sell (side -1). `tickInv` is 1/tick when that is an integer (precomputed in the Snapshot), 0
 * otherwise: multiplying by it avoids a division, and dividing the step count by it gives the
 * double nearest the decimal price (190.53, not 190.53000000000003). A price within 1e-9 ticks of a
 * grid point, or within the float error of `steps` (16 units in its last place, which matters past
 * ~2^18 steps: 262144.03 at tick 0.01), counts as on the grid and is not moved.
 * @example roundToTick(190.5381, 0.01, 100, 1) === 190.53
 */
export function roundToTick(price: number, tick: number, tickInv: number, side: number): number {
  const steps = tickInv > 0 ? price * tickInv : price / tick;
  // side * floor(side * x): floor for a buy, ceil for a sell, without a branch on the side.
  const n = side * Math.floor(side * steps + Math.max(1e-9, steps * 4e-15));
  return tickInv > 0 ? n / tickInv : n * tick;
}
