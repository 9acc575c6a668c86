/**
 * Prices in a stored body as int32s at a power-of-ten scale, whenever that is exact. Why:
 * JSON.stringify in JavaScriptCore writes an array on its fast path only while every number in it
 * is an int32; one double sends the whole array to the general path (for a batch's orders about
 * 2x slower), and formatting a double's shortest digits costs ~27 ns against a few for an int.
 *
 * A price p is written as x = round(p * scale) when x is an int32 >= 1 and x / scale === p in
 * IEEE doubles: then JS's x / scale and SQLite's `x * 1.0 / scale` give back p bit for bit (both
 * are one correctly rounded division of exact operands). A price that no scale writes exactly
 * (a market fill's slippage product, 180.32007500000003) goes to the row's side list of doubles
 * and is written as -(1 + its index there): a coded price is never 0 or negative otherwise.
 */

/** The widest scale tried: six decimals. Higher scales overflow int32 for ordinary prices. */
export const MAX_SCALE = 1_000_000;
const INT32_MAX = 0x7fffffff;

/** round(p * scale) as an int32 when it gives p back exactly and is at least 1; otherwise 0. */
export function scaled(p: number, scale: number): number {
  const x = Math.round(p * scale);
  // `| 0`: an int32-typed value, which JSC stores unboxed as an int (a whole double would not be).
  return x >= 1 && x <= INT32_MAX && x / scale === p ? x | 0 : 0;
}

/** The scale a row needs so far, raised when p needs a larger power of ten (and one up to MAX_SCALE has it). */
export function widen(p: number, scale: number): number {
  if (scaled(p, scale) !== 0) return scale;
  for (let s = scale * 10; s <= MAX_SCALE; s *= 10) if (scaled(p, s) !== 0) return s;
  return scale;
}

/** Coding one row's prices: ints at `scale`, the rest in `side`. */
export class PriceCoder {
  readonly side: number[] = [];
  constructor(readonly scale: number) {}

  code(p: number): number {
    const x = scaled(p, this.scale);
    if (x !== 0) return x;
    this.side.push(p);
    return -this.side.length;
  }
}

/** A coded price back (`side` the row's side list, parsed). */
export function decodePrice(x: number, scale: number, side: readonly number[]): number {
  return x > 0 ? x / scale : side[-x - 1]!;
}
