/**
 * A session's two sequence numbers and how they are kept (seq-store.ts), so the session can
 * never send a number it sent before, even after a crash.
 *
 * The outgoing number is persisted as a high-water mark reserved `OUT_BLOCK` ahead: sending an
 * order costs a database write once in OUT_BLOCK orders, and a crash can make the next run skip
 * numbers but never reuse one (a reused number would be taken for a duplicate, or rejected as too
 * low). Skipped numbers are what ResendRequest + SequenceReset-GapFill exist for. The incoming
 * number is persisted once per event-loop turn after it moves, and exactly at every disconnect.
 */
import type { SeqStore } from "./seq-store.ts";

/** Outgoing sequence numbers reserved per database write. */
export const OUT_BLOCK = 64;

export class Sequences {
  /** The next number this side sends. */
  nextOut: number;
  /** The next number expected from the counterparty. */
  private nextInValue: number;
  /** Persisted high-water mark of nextOut. */
  private reservedOut: number;
  private inDirty = false;
  private persistQueued = false;

  constructor(
    private readonly store: SeqStore,
    private readonly session: string,
  ) {
    const saved = store.load(session);
    this.nextOut = saved?.nextOut ?? 1;
    this.nextInValue = saved?.nextIn ?? 1;
    this.reservedOut = this.nextOut;
  }

  get nextIn(): number {
    return this.nextInValue;
  }

  /** Move the expected incoming number (a message taken, or a SequenceReset); persisted this turn. */
  set nextIn(v: number) {
    this.nextInValue = v;
    this.inDirty = true;
    if (!this.persistQueued) {
      this.persistQueued = true;
      setImmediate(() => {
        this.persistQueued = false;
        if (this.inDirty) this.save();
      });
    }
  }

  /** The next outgoing number; reserves another block in the store when the reserved range runs out. */
  take(): number {
    const seq = this.nextOut++;
    if (this.nextOut > this.reservedOut) {
      this.reservedOut = seq + OUT_BLOCK;
      this.save();
    }
    return seq;
  }

  /** Store the exact numbers (stopped or disconnected: nothing is in flight). */
  persistExact(): void {
    this.reservedOut = this.nextOut;
    this.save();
  }

  private save(): void {
    this.inDirty = false;
    this.store.save(this.session, this.reservedOut, this.nextInValue);
  }
}
