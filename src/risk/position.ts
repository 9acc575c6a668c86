/**
 * One fill applied to one position: the arithmetic of average price and realised P&L, in one
 * place. The engine applies live fills with it (engine/decide.ts Decider.fill) and the store folds
 * journaled fills with it (store/positions.ts, retention), so a rebuild lands on exactly the
 * floats the engine had.
 */

/** One symbol's position state as the fill fold keeps it. */
export interface PositionState {
  /** Signed: positive long, negative short. */
  position: number;
  /** Average entry price of the open position; 0 when flat. */
  avgPrice: number;
  /** Realised P&L accumulated by reducing, closing and flipping. */
  realized: number;
}

/**
 * Apply one fill to a position, in place: adding averages the entry price; reducing, closing or
 * flipping realises P&L on the part closed, and a flip re-opens the remainder at the fill price.
 */
export function applyFill(p: PositionState, side: number, qty: number, price: number): void {
  const pos = p.position;
  const absPos = Math.abs(pos);
  const avg = p.avgPrice;
  const next = pos + side * qty;
  let nextAvg = avg;
  if (pos === 0 || pos > 0 === side > 0) {
    nextAvg = (avg * absPos + price * qty) / Math.abs(next);
  } else {
    const closed = qty < absPos ? qty : absPos;
    p.realized = p.realized + closed * (price - avg) * (pos > 0 ? 1 : -1);
    if (qty > absPos) nextAvg = price; // flipped: the remainder opens at the fill price
    else if (next === 0) nextAvg = 0;
  }
  p.position = next;
  p.avgPrice = nextAvg;
}

