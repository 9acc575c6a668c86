/**
 * From the config document's `[venue]` section to a running FixVenue: the session's settings, and
 * the engine's venue factory over the engine's own database (sequence numbers in `fix_sessions`).
 * `keel serve` calls this in live mode; paper mode never opens a FIX session.
 */
import { Database } from "bun:sqlite";
import type { VenueConfig } from "../../config/schema.ts";
import type { VenueFactory } from "../../engine/engine.ts";
import { FixVenue } from "./fix-venue.ts";
import { SqliteSeqStore, type SeqStore } from "./seq-store.ts";
import type { SessionConfig } from "./session.ts";

/** The session's settings from the config section. */
export function sessionConfigOf(v: VenueConfig): SessionConfig {
  return {
    host: v.host,
    port: v.port,
    senderCompId: v.sender_comp_id,
    targetCompId: v.target_comp_id,
    heartbeatS: v.heartbeat_interval_s,
    reconnectInitialMs: v.reconnect_initial_ms,
    reconnectMaxMs: v.reconnect_max_ms,
  };
}

/** The engine's venue factory: a FixVenue that starts connecting as soon as it is built. */
export function fixVenueFactory(v: VenueConfig, seqs: Database | SeqStore, now?: () => number): VenueFactory {
  const store = seqs instanceof Database ? new SqliteSeqStore(seqs) : seqs;
  return (onFill, onEvent) => new FixVenue({ session: sessionConfigOf(v), store, onFill, onEvent, ...(now ? { now } : {}) });
}
