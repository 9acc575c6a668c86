/**
 * Where accepted orders go. The paper simulator fills them at once; the FIX gateway
 * (fix/fix-venue.ts) sends them to a counterparty and reports fills as execution reports come
 * back. One contract test (test/venue/venue.contract.ts) runs against both.
 *
 * Besides fills, a live venue has orders working at the market and a session that can be lost,
 * so the interface also has the kill switch (`cancelAll`, which the engine calls on every move to
 * HALTED), the working orders, whether the venue can take orders (`down`), and events about
 * itself (session up/down, rejects) for the operator.
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
  /** Time in force: an index into TIF_NAMES (config/snapshot.ts). */
  readonly tif: number;
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

/** What `cancelAll` did. */
export interface CancelAll {
  /** Cancel requests sent (or queued until the session is back). */
  readonly requested: number;
  /** One line for the log: what happened and why. */
  readonly note: string;
}

/** Something a venue tells the operator: its session, or an order it refused. */
export type VenueEvent =
  | { readonly kind: "up"; readonly text: string }
  | { readonly kind: "down"; readonly text: string }
  | {
      readonly kind: "rejected" | "business_reject" | "cancel_rejected" | "canceled" | "problem";
      /** The order's id (the signal id), when the event is about one. */
      readonly orderId?: string;
      readonly text: string;
    };

export interface Venue {
  readonly name: string;
  /** Hand an accepted order to the venue; fills come back through `onFill`. */
  submit(order: VenueOrder): void;
  /** The kill switch: ask the venue to cancel every working order. Never throws. */
  cancelAll(reason: string): CancelAll;
  /** Ids of the orders sent and not yet filled, cancelled or rejected. */
  workingOrders(): string[];
  /** Why the venue cannot take orders now (its session is down), or null when it can. */
  readonly down: string | null;
  /** Stop: log out, release sockets and timers. */
  close(): Promise<void>;
}

export type FillListener = (fill: Fill) => void;
export type VenueListener = (e: VenueEvent) => void;
