/**
 * The engine: the decider (hot path) wired to a venue, with fills flowing back into the risk
 * state. Every entry point (TCP ingest, POST /signals, replay) calls process(), so a signal is
 * decided the same way wherever it comes from.
 */
import type { Snapshot } from "../config/snapshot.ts";
import type { Fill, Venue } from "../venue/venue.ts";
import { PaperVenue } from "../venue/paper.ts";
import { Decider } from "./decide.ts";
import { makeOrder, type Reply } from "./order.ts";
import { ACCEPTED, REASONS, reasonName, type RejectReason } from "./reasons.ts";
import type { Signal } from "./signal.ts";

export class Engine {
  readonly decider: Decider;
  readonly venue: Venue;
  /** Decisions since start by reason code (index 0 = accepted). */
  readonly outcomes = new Float64Array(REASONS.length);

  constructor(snap: Snapshot, version: number, venue?: (onFill: (f: Fill) => void) => Venue) {
    this.decider = new Decider(snap, version);
    const onFill = (f: Fill) => this.applyFill(f);
    this.venue = venue ? venue(onFill) : new PaperVenue(onFill);
  }

  get version(): number {
    return this.decider.version;
  }

  get snapshot(): Snapshot {
    return this.decider.snap;
  }

  /** Swap in a new config version between two decisions. */
  load(snap: Snapshot, version: number): void {
    this.decider.load(snap, version);
  }

  /** Decide one signal, send an accepted order to the venue, and return the reply. */
  process(s: Signal): Reply {
    const d = this.decider;
    const code = d.decide(s);
    this.outcomes[code]!++;
    const config_version = d.version;
    if (code !== ACCEPTED) return { id: s.id, status: "rejected", reason: reasonName(code) as RejectReason, config_version };
    const symbol = d.snap.symbols[d.symbolIndex]!;
    const order = makeOrder(symbol, d.side, d.qty, d.price, d.orderType, d.tif);
    this.venue.submit({
      id: s.id,
      symbolIndex: d.symbolIndex,
      symbol,
      side: d.side,
      qty: d.qty,
      price: d.price,
      orderType: d.orderType,
      slippageBps: d.slippageBps,
      ts: d.ts,
    });
    return { id: s.id, status: "accepted", order, config_version };
  }

  /** A fill from the venue; looked up by name, since a reload may have re-indexed symbols. */
  private applyFill(f: Fill): void {
    const snap = this.decider.snap;
    const i = snap.symbols[f.symbolIndex] === f.symbol ? f.symbolIndex : snap.index.get(f.symbol);
    if (i !== undefined) this.decider.fill(i, f.side, f.qty, f.price);
  }
}
