/**
 * The last decision's outcome, written by a decider instead of allocating an order. Both deciders
 * (decide.ts on one thread, shared-decide.ts on engine Workers) extend it, so the edge reads one
 * shape whichever of them decided.
 */
export class DecisionSlots {
  // The accepted order: its symbol (dense index), side, quantity, price, type, time in force,
  // slippage bound and time.
  symbolIndex = -1;
  side = 0;
  qty = 0;
  price = 0;
  orderType = 0;
  tif = 0;
  slippageBps = 0;
  ts = 0;
  /** The symbol whose mark the last decision moved (it passed the collar), or -1: the edge journals marks from it. */
  marked = -1;
}
