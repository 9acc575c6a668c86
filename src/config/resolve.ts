/**
 * Inheritance: the effective config of a symbol is defaults <- its strategy <- its own override.
 *
 * Resolution interns as it goes: the defaults and each strategy are resolved once, a symbol with
 * no override of its own points at its parent's profile, and a symbol with an override is merged
 * and looked up by value, so ten thousand symbols with the same effective limits share one frozen
 * profile. The cross-field rules (rules.ts) then run once per distinct profile, not per symbol.
 */
import type { ConfigDocument, StrategyEntry, SymbolEntry } from "./schema.ts";
import type { Effective, Profile } from "./snapshot.ts";

export interface Resolution {
  /** Distinct effective configs, frozen; index = profile id. */
  readonly profiles: readonly Profile[];
  readonly defaultsProfile: number;
  /** Strategy names in document order, each one's profile (defaults <- strategy). */
  readonly strategyNames: readonly string[];
  readonly strategyProfile: Int32Array;
  /** Symbol names in document order, each one's profile and the profile it inherits from. */
  readonly symbolNames: readonly string[];
  readonly symbolProfile: Int32Array;
  /** The parent's profile (its strategy's, or the defaults'): where a rule broken here is first broken. */
  readonly symbolParent: Int32Array;
}

/** Merge one override layer over an effective config; untouched sections keep their identity. */
export function applyOverride(base: Effective, layer: StrategyEntry | SymbolEntry | undefined): Effective {
  if (layer === undefined) return base;
  const { position_sizing: ps, execution: ex, limits: li } = layer;
  if (ps === undefined && ex === undefined && li === undefined) return base;
  return {
    position_sizing: ps === undefined ? base.position_sizing : { ...base.position_sizing, ...ps },
    execution: ex === undefined ? base.execution : { ...base.execution, ...ex },
    limits: li === undefined ? base.limits : { ...base.limits, ...li },
  };
}

/** The defaults layer of a document as an effective config. */
export function defaultsOf(doc: ConfigDocument): Effective {
  return { position_sizing: doc.trading.position_sizing, execution: doc.trading.execution, limits: doc.risk.limits };
}

/** True when a symbol or strategy entry overrides at least one section. */
export function hasOverride(entry: StrategyEntry | SymbolEntry): boolean {
  return entry.position_sizing !== undefined || entry.execution !== undefined || entry.limits !== undefined;
}

/** The interning key: every effective value in a fixed order. */
export function profileKey(e: Effective): string {
  const s = e.position_sizing;
  const x = e.execution;
  const l = e.limits;
  return `${s.method}|${s.default_position_size}|${s.max_position_size}|${x.order_type}|${x.time_in_force}|${x.limit_offset_bps}|${x.max_slippage_bps}|${l.max_daily_trades}|${l.max_positions}|${l.max_order_notional}|${l.max_gross_exposure}|${l.max_orders_per_second}|${l.price_collar_bps}|${l.max_daily_loss}|${l.duplicate_window_ms}`;
}

/** Resolve every symbol's effective config, interning identical ones. Assumes a parsed document. */
export function resolve(doc: ConfigDocument): Resolution {
  const profiles: Profile[] = [];
  const byKey = new Map<string, number>();
  const intern = (e: Effective): number => {
    const key = profileKey(e);
    let id = byKey.get(key);
    if (id === undefined) {
      id = profiles.length;
      byKey.set(key, id);
      profiles.push(freezeProfile(id, e));
    }
    return id;
  };

  const defaults = defaultsOf(doc);
  const defaultsProfile = intern(defaults);

  const strategyNames = Object.keys(doc.strategies);
  const strategyProfile = new Int32Array(strategyNames.length);
  const strategyIndex = new Map<string, number>();
  const strategyEffective: Effective[] = [];
  for (let s = 0; s < strategyNames.length; s++) {
    const name = strategyNames[s]!;
    const entry = doc.strategies[name]!;
    const eff = applyOverride(defaults, entry);
    strategyIndex.set(name, s);
    strategyEffective.push(eff);
    strategyProfile[s] = eff === defaults ? defaultsProfile : intern(eff);
  }

  const symbolNames = Object.keys(doc.symbols);
  const n = symbolNames.length;
  const symbolProfile = new Int32Array(n);
  const symbolParent = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const entry = doc.symbols[symbolNames[i]!]!;
    // An unknown strategy is reported by rules.ts; resolve against the defaults meanwhile so that
    // resolution itself never fails.
    const s = entry.strategy === undefined ? undefined : strategyIndex.get(entry.strategy);
    const parent = s === undefined ? defaultsProfile : strategyProfile[s]!;
    symbolParent[i] = parent;
    symbolProfile[i] = hasOverride(entry) ? intern(applyOverride(s === undefined ? defaults : strategyEffective[s]!, entry)) : parent;
  }

  return { profiles, defaultsProfile, strategyNames, strategyProfile, symbolNames, symbolProfile, symbolParent };
}

/** A profile as an immutable object (its sections frozen too). */
export function freezeProfile(id: number, e: Effective): Profile {
  return Object.freeze({
    id,
    position_sizing: Object.freeze({ ...e.position_sizing }),
    execution: Object.freeze({ ...e.execution }),
    limits: Object.freeze({ ...e.limits }),
  });
}
