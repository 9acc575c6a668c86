/**
 * The event bus: typed publish-subscribe for the changes that matter, so subscribers (the SSE
 * stream, metrics, later the cross-process snapshot export) are told, never poll. Publishing is
 * synchronous and in order; a subscriber that throws is reported and does not stop the others.
 */
import type { Change } from "../config/diff.ts";

export interface ConfigChanged {
  readonly type: "config_changed";
  readonly version: number;
  readonly previous: number;
  readonly hash: string;
  readonly author: string;
  /** startup, activate, rollback, patch. */
  readonly action: string;
  readonly changes: readonly Change[];
  readonly ts: number;
}

export interface TradingStateChanged {
  readonly type: "trading_state_changed";
  readonly from: string;
  readonly to: string;
  readonly reason: string;
  readonly author: string;
  readonly ts: number;
}

/** A halt caused by a limit (max_daily_loss), not by an operator. */
export interface RiskBreach {
  readonly type: "risk_breach";
  readonly limit: string;
  readonly to: string;
  readonly reason: string;
  readonly ts: number;
}

/** What a venue reports about itself: its session up or down, an order it rejected or cancelled. */
export interface VenueReported {
  readonly type: "venue";
  readonly venue: string;
  /** up, down, rejected, business_reject, cancel_rejected, canceled, problem (venue/venue.ts). */
  readonly kind: string;
  readonly order_id?: string;
  readonly text: string;
  readonly ts: number;
}

export type KeelEvent = ConfigChanged | TradingStateChanged | RiskBreach | VenueReported;
export type EventType = KeelEvent["type"];
type Listener = (e: KeelEvent) => void;

export class EventBus {
  private readonly listeners = new Set<Listener>();

  constructor(private readonly onError: (err: unknown) => void = () => {}) {}

  /** Subscribe to every event; returns the unsubscribe. */
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  publish(e: KeelEvent): void {
    for (const fn of this.listeners) {
      try {
        fn(e);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  get subscribers(): number {
    return this.listeners.size;
  }
}
