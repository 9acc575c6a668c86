/**
 * Positions from the journal. Positions carry over trading days, so a rebuild needs every fill
 * ever made, and retention deletes old fills: before it does, it folds them into a per-symbol
 * carry (position, average price, realised P&L) in the same transaction. A rebuild is then the
 * carry followed by the remaining fills in seq order, and gives bit-identical numbers to folding
 * every fill from the start, because the fold is sequential and the carry stores its exact state
 * (REAL columns are IEEE doubles).
 *
 * Choice: an iterator over fills plus the carry, not an SQL aggregate. Average price and realised
 * P&L depend on the order of fills (a flip re-opens at the fill price), which a GROUP BY cannot
 * express, and the engine must land on exactly the floats it had before a crash.
 */

import { applyFill, type PositionState } from "../risk/position.ts";

/** A symbol's carried position: the fold of every pruned fill. */
export interface PositionCarry extends PositionState {
  readonly symbol: string;
  /** Seq of the last fill folded in. */
  readonly throughSeq: number;
}

/** A rebuilt position. */
export interface Position extends PositionState {
  readonly symbol: string;
}

/** The fill fields the fold reads. */
export interface FoldableFill {
  readonly symbol: string;
  readonly side: number;
  readonly qty: number;
  readonly price: number;
}

/**
 * Every symbol's position: the carry, then each fill in order. Symbols appear in first-seen order.
 * @example rebuildPositions(store.positionCarry(), store.fills())
 */
export function rebuildPositions(carry: Iterable<PositionCarry>, fills: Iterable<FoldableFill>): Map<string, Position> {
  const out = new Map<string, Position>();
  for (const c of carry) out.set(c.symbol, { symbol: c.symbol, position: c.position, avgPrice: c.avgPrice, realized: c.realized });
  for (const f of fills) {
    let p = out.get(f.symbol);
    if (p === undefined) {
      p = { symbol: f.symbol, position: 0, avgPrice: 0, realized: 0 };
      out.set(f.symbol, p);
    }
    applyFill(p, f.side, f.qty, f.price);
  }
  return out;
}
