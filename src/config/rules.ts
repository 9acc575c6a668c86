/**
 * Cross-field rules, checked once per version on the effective config of every symbol.
 *
 * A rule is evaluated once per distinct profile (see resolve.ts), and reported at the layer that
 * first breaks it: the defaults, a strategy, or a symbol's own override. A symbol that merely
 * inherits a broken strategy is covered by the strategy's issue, so one bad default does not
 * become a hundred thousand lines. A layer that sets one of the rule's fields itself and is still
 * broken is reported too, so fixing the parent does not reveal a second round of issues.
 * Warnings are collected here and returned, never logged.
 */
import { formatPath, type ConfigIssue, type ConfigWarning, type IssueCode, type WarningCode } from "./errors.ts";
import type { Resolution } from "./resolve.ts";
import type { ConfigDocument, Section, StrategyEntry, SymbolEntry } from "./schema.ts";
import type { Effective } from "./snapshot.ts";

interface ProfileRule {
  readonly severity: "error" | "warning";
  readonly code: IssueCode | WarningCode;
  readonly section: Section;
  readonly field: string;
  /** The fields the rule reads: a layer that sets one of them answers for the rule itself. */
  readonly reads: readonly (readonly [Section, string])[];
  readonly broken: (e: Effective) => boolean;
  readonly message: (e: Effective) => string;
}

const PROFILE_RULES: readonly ProfileRule[] = [
  {
    severity: "error",
    code: "max_not_above_default",
    section: "position_sizing",
    field: "max_position_size",
    reads: [["position_sizing", "default_position_size"], ["position_sizing", "max_position_size"]],
    broken: (e) => !(e.position_sizing.max_position_size > e.position_sizing.default_position_size),
    message: (e) =>
      `max_position_size (${e.position_sizing.max_position_size}) must be greater than default_position_size (${e.position_sizing.default_position_size})`,
  },
  {
    severity: "warning",
    code: "offset_at_or_above_collar",
    section: "execution",
    field: "limit_offset_bps",
    reads: [["execution", "order_type"], ["execution", "limit_offset_bps"], ["limits", "price_collar_bps"]],
    broken: (e) => e.execution.order_type === "limit" && e.execution.limit_offset_bps >= e.limits.price_collar_bps,
    message: (e) =>
      `limit_offset_bps (${e.execution.limit_offset_bps}) is at or above price_collar_bps (${e.limits.price_collar_bps}): every limit order would be rejected by the collar`,
  },
  {
    severity: "warning",
    code: "max_far_above_default",
    section: "position_sizing",
    field: "max_position_size",
    reads: [["position_sizing", "default_position_size"], ["position_sizing", "max_position_size"]],
    broken: (e) => e.position_sizing.max_position_size > 100 * e.position_sizing.default_position_size,
    message: (e) =>
      `max_position_size (${e.position_sizing.max_position_size}) is over 100x default_position_size (${e.position_sizing.default_position_size})`,
  },
  {
    severity: "warning",
    code: "high_daily_trades",
    section: "limits",
    field: "max_daily_trades",
    reads: [["limits", "max_daily_trades"]],
    broken: (e) => e.limits.max_daily_trades > 200,
    message: (e) => `max_daily_trades (${e.limits.max_daily_trades}) is over 200`,
  },
];

/** Where each section of the defaults layer lives in the document. */
const DEFAULTS_PATH: Record<Section, readonly string[]> = {
  position_sizing: ["trading", "position_sizing"],
  execution: ["trading", "execution"],
  limits: ["risk", "limits"],
};

export interface RuleReport {
  readonly issues: ConfigIssue[];
  readonly warnings: ConfigWarning[];
}

/** One bit per rule an effective config breaks. */
export function ruleMask(e: Effective): number {
  let m = 0;
  for (let r = 0; r < PROFILE_RULES.length; r++) if (PROFILE_RULES[r]!.broken(e)) m |= 1 << r;
  return m;
}

/** Report the rules in `fresh` (a mask) as broken by `e`, at the layer `prefix` names. */
function reportRules(e: Effective, fresh: number, prefix: (s: Section) => readonly string[], out: RuleReport): void {
  if (fresh === 0) return;
  for (let r = 0; r < PROFILE_RULES.length; r++) {
    if ((fresh & (1 << r)) === 0) continue;
    const rule = PROFILE_RULES[r]!;
    const item = { path: formatPath([...prefix(rule.section), rule.field]), message: rule.message(e) };
    if (rule.severity === "error") out.issues.push({ ...item, code: rule.code as IssueCode });
    else out.warnings.push({ ...item, code: rule.code as WarningCode });
  }
}

/**
 * What one symbol's entry answers for: a sector or strategy it names that does not exist, and the
 * rules its own override breaks that its parent (strategy or defaults) did not already break.
 * `profile` is its effective config and `mask`/`parentMask` the rule masks of it and its parent.
 */
export function checkSymbol(
  doc: ConfigDocument, name: string, entry: SymbolEntry, profile: Effective, mask: number, parentMask: number, ownProfile: boolean,
  out: RuleReport,
): void {
  // Object.hasOwn, not `in`: `in` walks the prototype chain, so "toString" would count as defined.
  if (!Object.hasOwn(doc.risk.sectors, entry.sector)) {
    out.issues.push({
      path: formatPath(["symbols", name, "sector"]),
      code: "unknown_sector",
      message: `sector ${JSON.stringify(entry.sector)} is not defined in risk.sectors`,
    });
  }
  if (entry.strategy !== undefined && !Object.hasOwn(doc.strategies, entry.strategy)) {
    out.issues.push({
      path: formatPath(["symbols", name, "strategy"]),
      code: "unknown_strategy",
      message: `strategy ${JSON.stringify(entry.strategy)} is not defined in strategies`,
    });
  }
  if (ownProfile) reportRules(profile, mask & ~(parentMask & ~setsFieldsOf(entry)), (sec) => ["symbols", name, sec], out);
}

/** The warnings that depend on the whole symbol table: sectors no symbol uses, the capacity hint. */
export function tableWarnings(doc: ConfigDocument, symbolCount: number, sectorUsed: (sector: string) => boolean): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  for (const sector of Object.keys(doc.risk.sectors)) {
    if (!sectorUsed(sector)) {
      warnings.push({ path: formatPath(["risk", "sectors", sector]), code: "unused_sector", message: "no symbol uses this sector" });
    }
  }
  if (symbolCount > doc.trading.max_symbols) {
    warnings.push({
      path: "trading.max_symbols",
      code: "symbols_over_capacity_hint",
      message: `${symbolCount} symbols configured, above the capacity hint of ${doc.trading.max_symbols}; tables are sized to the symbols present`,
    });
  }
  return warnings;
}

/** Check every cross-field rule on a parsed document and its resolution. */
export function checkRules(doc: ConfigDocument, res: Resolution): RuleReport {
  const out: RuleReport = { issues: [], warnings: [] };
  // One bit per rule, per distinct profile.
  const masks = res.profiles.map(ruleMask);

  reportRules(res.profiles[res.defaultsProfile]!, masks[res.defaultsProfile]!, (s) => DEFAULTS_PATH[s], out);
  const defaultsMask = masks[res.defaultsProfile]!;
  for (let s = 0; s < res.strategyNames.length; s++) {
    const name = res.strategyNames[s]!;
    const p = res.strategyProfile[s]!;
    reportRules(res.profiles[p]!, masks[p]! & ~(defaultsMask & ~setsFieldsOf(doc.strategies[name]!)), (sec) => ["strategies", name, sec], out);
  }

  const usedSectors = new Set<string>();
  for (let i = 0; i < res.symbolNames.length; i++) {
    const name = res.symbolNames[i]!;
    const entry = doc.symbols[name]!;
    usedSectors.add(entry.sector);
    const profile = res.symbolProfile[i]!;
    const parent = res.symbolParent[i]!;
    checkSymbol(doc, name, entry, res.profiles[profile]!, masks[profile]!, masks[parent]!, profile !== parent, out);
  }
  out.warnings.push(...tableWarnings(doc, res.symbolNames.length, (s) => usedSectors.has(s)));
  return out;
}

/** One bit per rule that reads a field this layer sets itself. */
function setsFieldsOf(layer: StrategyEntry | SymbolEntry): number {
  let m = 0;
  for (let r = 0; r < PROFILE_RULES.length; r++) {
    for (const [section, field] of PROFILE_RULES[r]!.reads) {
      if ((layer[section] as Record<string, unknown> | undefined)?.[field] !== undefined) {
        m |= 1 << r;
        break;
      }
    }
  }
  return m;
}
