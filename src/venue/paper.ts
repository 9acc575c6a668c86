/**
 * The paper venue: every accepted order fills at once and in full. A limit order fills at its
 * limit price; a market order at the signal price moved against it by max_slippage_bps, the
 * worst fill the config allows.
 */
import { ORDER_MARKET } from "../config/snapshot.ts";
import type { CancelAll, FillListener, Venue, VenueOrder } from "./venue.ts";

export class PaperVenue implements Venue {
  readonly name = "paper";
  /** The simulator has no session to lose. */
  readonly down = null;
  constructor(private readonly onFill: FillListener) {}

  /** Nothing to cancel: every order filled in full when it was submitted. */
  cancelAll(reason: string): CancelAll {
    return { requested: 0, note: `paper venue: no working orders to cancel (${reason}); paper orders fill at once` };
  }

  workingOrders(): string[] {
    return [];
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  submit(o: VenueOrder): void {
    const price = o.orderType === ORDER_MARKET ? o.price * (1 + (o.side * o.slippageBps) / 10_000) : o.price;
    this.onFill({ orderId: o.id, symbolIndex: o.symbolIndex, symbol: o.symbol, side: o.side, qty: o.qty, price, ts: o.ts });
  }
}
