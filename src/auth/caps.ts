/**
 * Caps: limits a live authorisation sets above the config. The limit in force is the tighter of
 * the two, whatever a config edit says, for as long as the process runs on that authorisation.
 *
 * Caps are a property of the running process (its authorisation), not of a config version: the
 * stored document, its hash and its history stay exactly what the operator wrote. They are
 * applied where a Snapshot enters the engine (Engine's constructor and Engine.load, see
 * engine/engine.ts), the one place every version passes through whoever prepared it: start-up,
 * PUT, PATCH, DELETE, rollback, inline or on the config Worker. capSnapshot() derives a new
 * Snapshot (a copy of the small profile table with the capped slots lowered) and never writes
 * into the one it was given, which the Worker and Control may still hold.
 */
import { freezeProfile } from "../config/resolve.ts";
import type { LimitsConfig } from "../config/schema.ts";
import { hotClasses, PROFILE_WIDTH, P_MAX_DAILY_LOSS, P_MAX_GROSS_EXPOSURE, P_MAX_ORDER_NOTIONAL, type Snapshot } from "../config/snapshot.ts";

/** The limits a token may cap: each is a plain slot where a smaller number is stricter. */
export const CAP_FIELDS = ["max_order_notional", "max_gross_exposure", "max_daily_loss"] as const;
export type CapField = (typeof CAP_FIELDS)[number];
export type LimitCaps = { readonly [K in CapField]?: number };

const SLOT: Record<CapField, number> = {
  max_order_notional: P_MAX_ORDER_NOTIONAL,
  max_gross_exposure: P_MAX_GROSS_EXPOSURE,
  max_daily_loss: P_MAX_DAILY_LOSS,
};

/** Whether any cap is set. */
export function hasCaps(caps: LimitCaps): boolean {
  return CAP_FIELDS.some((f) => caps[f] !== undefined);
}

/** A limits section with the caps applied: each capped field is the smaller of the two. */
export function capLimits<L extends LimitsConfig>(limits: L, caps: LimitCaps): L {
  let out: L | null = null;
  for (const f of CAP_FIELDS) {
    const cap = caps[f];
    if (cap !== undefined && cap < limits[f]) (out ??= { ...limits })[f] = cap;
  }
  return out ?? limits;
}

/**
 * The Snapshot with every profile's capped limits lowered to the cap; the same object when no
 * profile exceeds a cap. Costs one copy of the profile table and one HotProfile per class
 * (classes are interned, so usually a few dozen), never anything per symbol: the symbol index,
 * rows and instrument table are shared with the original.
 */
export function capSnapshot(snap: Snapshot, caps: LimitCaps): Snapshot {
  const capped = snap.profileObjects.map((p) => capLimits(p.limits, caps));
  if (capped.every((l, k) => l === snap.profileObjects[k]!.limits)) return snap;
  const profiles = new Float64Array(new SharedArrayBuffer(snap.profiles.byteLength));
  profiles.set(snap.profiles);
  for (const p of snap.profileObjects) {
    for (const f of CAP_FIELDS) {
      const cap = caps[f];
      const at = p.id * PROFILE_WIDTH + SLOT[f];
      if (cap !== undefined && cap < profiles[at]!) profiles[at] = cap;
    }
  }
  const profileObjects = snap.profileObjects.map((p, k) => (capped[k] === p.limits ? p : freezeProfile(p.id, { ...p, limits: capped[k]! })));
  // The same keys in the same order as compile() writes them: one shape for the hot path.
  return Object.freeze({ ...snap, profiles, hot: hotClasses(profiles, snap.classes, snap.classCount), profileObjects });
}
