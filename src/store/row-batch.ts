/**
 * One journal batch as the writer buffers it: column arrays reused from batch to batch (numbers in
 * typed arrays, strings in plain arrays), only the first N rows of each kind counting. Plain data,
 * so the same batch can be encoded (batch-body.ts), written (row-writer.ts) or built from rows
 * read back (a prune's rewrite, the migration of old tables).
 */

// Numeric columns per kind, in this order.
export const O_W = 10; // seq, side, qty, price, orderType, tif, configVersion, signalPrice, ts, day
export const F_W = 6; // seq, side, qty, price, ts, day
export const S_W = 3; // seq, ts, day
export const M_W = 3; // price, ts, seq

export interface RowBatch {
  readonly oN: number;
  readonly oNum: Float64Array;
  readonly oId: readonly string[];
  readonly oSym: readonly string[];
  readonly fN: number;
  readonly fNum: Float64Array;
  readonly fId: readonly string[];
  readonly fSym: readonly string[];
  readonly sN: number;
  readonly sNum: Float64Array;
  readonly sFrom: readonly string[];
  readonly sTo: readonly string[];
  readonly sReason: readonly string[];
  readonly mN: number;
  readonly mSym: readonly string[];
  readonly mNum: Float64Array;
  readonly dayKeys: readonly number[];
  readonly dayVals: readonly number[];
}
