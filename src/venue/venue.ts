/**
 * Where accepted orders go. The paper simulator fills them at once; a live gateway (FIX) will
 * sit behind the same interface and report fills asynchronously. One contract test runs against
 * every implementation.
 */

/** An order as the engine hands it to a venue. */
export interface VenueOrder {
  readonly id: string;
  /** Dense symbol index in the Snapshot it was decided under. */
  readonly symbolIndex: number;
  readonly symbol: string;
  /** 1 buy, -1 sell. */
  readonly side: number;
  readonly qty: number;
  /** Limit price, or the reference (signal) price of a market order. */
  readonly price: number;
  /** ORDER_LIMIT or ORDER_MARKET. */
  readonly orderType: number;
  readonly slippageBps: number;
  readonly ts: number;
}

export interface Fill {
  readonly orderId: string;
  readonly symbolIndex: number;
  readonly symbol: string;
  readonly side: number;
  readonly qty: number;
  readonly price: number;
  readonly ts: number;
}

export interface Venue {
  readonly name: string;
  /** Hand an accepted order to the venue; fills come back through `onFill`. */
  submit(order: VenueOrder): void;
}

export type FillListener = (fill: Fill) => void;
