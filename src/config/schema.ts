/**
 * The config document: one zod schema for TOML on disk and JSON over HTTP.
 *
 * Every object is strict (unknown keys are errors, so a typo never silently falls back to a
 * default). Each section is written once as a set of fields; the defaults layer and the partial
 * override layers (strategies, symbols) are both derived from that one set, so the two can never
 * drift apart. Cross-field rules live in rules.ts: they need the effective (inherited) config.
 */
import { z } from "zod";

// z.number() already refuses NaN, +/-Infinity and strings (no coercion anywhere).
const positive = () => z.number().positive();
const nonNegative = () => z.number().nonnegative();
const positiveInt = () => z.number().int().positive();

/** A symbol is 1-32 characters of A-Z, 0-9 and `. _ - / :`. */
export const SYMBOL_PATTERN = /^[A-Z0-9._\-/:]{1,32}$/;
/** Names of sectors and strategies: identifiers that read well in a path. */
export const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const symbolKey = z.string().regex(SYMBOL_PATTERN, "a symbol is 1-32 characters of A-Z, 0-9 and . _ - / :");
const nameKey = z.string().regex(NAME_PATTERN, "a name is 1-64 characters of A-Z, a-z, 0-9, _ and -");

export const SIZING_METHODS = ["fixed", "scaled"] as const;
export const ORDER_TYPES = ["limit", "market"] as const;
export const TIME_IN_FORCE = ["day", "ioc", "gtc"] as const;
export const MODES = ["paper", "live"] as const;

// Every object's keys are declared in sorted order: zod writes its output in declaration order,
// so a parsed document is already in canonical key order and canonical.ts serialises it with
// the plain native JSON.stringify (a sorting replacer costs 6x as much at 100,000 symbols).
const sizingFields = {
  default_position_size: positive(),
  max_position_size: positive(),
  method: z.enum(SIZING_METHODS),
};
const executionFields = {
  limit_offset_bps: nonNegative(),
  max_slippage_bps: nonNegative(),
  order_type: z.enum(ORDER_TYPES),
  time_in_force: z.enum(TIME_IN_FORCE),
};
const limitFields = {
  duplicate_window_ms: z.number().int().nonnegative(),
  max_daily_loss: positive(),
  max_daily_trades: positiveInt(),
  max_gross_exposure: positive(),
  max_order_notional: positive(),
  max_orders_per_second: positiveInt(),
  max_positions: positiveInt(),
  price_collar_bps: positive(),
};

/** Defaults of every overridable section; README's config reference lists the same values. */
export const DEFAULTS = {
  position_sizing: { method: "scaled", default_position_size: 100, max_position_size: 1000 },
  execution: { order_type: "limit", time_in_force: "day", limit_offset_bps: 2, max_slippage_bps: 10 },
  limits: {
    max_daily_trades: 50,
    max_positions: 20,
    max_order_notional: 250_000,
    max_gross_exposure: 2_000_000,
    max_orders_per_second: 20,
    price_collar_bps: 500,
    max_daily_loss: 25_000,
    duplicate_window_ms: 1000,
  },
} as const;

/** Apply a default to each field of a set, so a missing key takes its documented default. */
function withDefaults<S extends Record<string, z.ZodType>>(fields: S, defaults: { [K in keyof S]: unknown }) {
  const out: Record<string, z.ZodType> = {};
  for (const key of Object.keys(fields)) out[key] = (fields[key] as z.ZodType).default(defaults[key] as never);
  return z.strictObject(out as { [K in keyof S]: z.ZodDefault<S[K]> });
}

export const PositionSizing = withDefaults(sizingFields, DEFAULTS.position_sizing);
export const Execution = withDefaults(executionFields, DEFAULTS.execution);
export const Limits = withDefaults(limitFields, DEFAULTS.limits);

export const SizingOverride = z.strictObject(sizingFields).partial();
export const ExecutionOverride = z.strictObject(executionFields).partial();
export const LimitsOverride = z.strictObject(limitFields).partial();

/**
 * An override section, optional; an empty one (`limits = {}`) overrides nothing and parses as
 * absent, so it changes neither the effective config nor the version hash.
 */
function overrideOf<T extends z.ZodType<Record<string, unknown>>>(section: T) {
  return section.optional().transform((v) => (v === undefined || Object.keys(v).length === 0 ? undefined : v));
}

/** The three sections a strategy or a symbol may override, each partially. */
const overrides = {
  execution: overrideOf(ExecutionOverride),
  limits: overrideOf(LimitsOverride),
  position_sizing: overrideOf(SizingOverride),
};

export const Strategy = z.strictObject(overrides);

export const Symbol = z.strictObject({
  execution: overrides.execution,
  limits: overrides.limits,
  lot_size: positiveInt(),
  position_sizing: overrides.position_sizing,
  reference_price: positive(),
  sector: nameKey,
  strategy: nameKey.optional(),
  tick_size: positive(),
});

export const Sector = z.strictObject({ max_gross_exposure: positive() });

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected "HH:MM" in 24-hour UTC, e.g. "21:00"');

export const Trading = z.strictObject({
  execution: Execution.prefault({}),
  // A capacity hint for preallocation. Deliberately unbounded: the old system's cap of 2000 was a defect.
  max_symbols: positiveInt().default(500),
  mode: z.enum(MODES).default("paper"),
  position_sizing: PositionSizing.prefault({}),
});

export const Risk = z.strictObject({
  day_reset_utc: HHMM.default("00:00"),
  limits: Limits.prefault({}),
  sectors: z.record(nameKey, Sector).default({}),
});

/** The admin API's own guard rails; changeable at run time like any limit. */
export const Admin = z.strictObject({
  // A circuit breaker on config writes (PUT, PATCH, DELETE, rollback): a runaway deploy script
  // gets 429 instead of thrashing the engine with reloads.
  max_config_writes_per_minute: positiveInt().default(30),
});

/** A FIX CompID: printable ASCII without spaces (it goes on the wire between '=' and SOH). */
const compId = z.string().regex(/^[!-~]{1,64}$/, "a CompID is 1-64 printable ASCII characters without spaces");

/**
 * The live venue: the FIX 4.4 counterparty keel logs on to as initiator (src/venue/fix/).
 * Restart-only, like trading.mode: a session is not moved to another host under working orders.
 */
export const VenueSection = z
  .strictObject({
    heartbeat_interval_s: z.number().int().min(1).max(3600).default(30),
    host: z.string().regex(/^[A-Za-z0-9.:_-]{1,253}$/, "a host name or IP address"),
    port: z.number().int().min(1).max(65_535),
    reconnect_initial_ms: z.number().int().min(10).max(600_000).default(1000),
    reconnect_max_ms: z.number().int().min(10).max(3_600_000).default(30_000),
    sender_comp_id: compId,
    target_comp_id: compId,
  })
  .superRefine((v, ctx) => {
    if (v.reconnect_max_ms < v.reconnect_initial_ms) {
      ctx.addIssue({ code: "custom", path: ["reconnect_max_ms"], message: `must be at least reconnect_initial_ms (${v.reconnect_initial_ms})` });
    }
  });

export const Document = z.strictObject({
  admin: Admin.prefault({}),
  risk: Risk.prefault({}),
  strategies: z.record(nameKey, Strategy).default({}),
  symbols: z.record(symbolKey, Symbol).default({}),
  trading: Trading.prefault({}),
  // Optional: paper trading needs none; keel serve refuses live mode without one.
  venue: VenueSection.optional(),
});

/** A document after parsing: every default filled in. */
export type ConfigDocument = z.output<typeof Document>;
/** A document as written by a person: most keys optional. */
export type ConfigInput = z.input<typeof Document>;
export type SymbolEntry = z.output<typeof Symbol>;
export type StrategyEntry = z.output<typeof Strategy>;
export type SizingConfig = z.output<typeof PositionSizing>;
export type ExecutionConfig = z.output<typeof Execution>;
export type LimitsConfig = z.output<typeof Limits>;
export type VenueConfig = z.output<typeof VenueSection>;

/** The overridable sections, in the order inheritance applies them. */
export const SECTIONS = ["position_sizing", "execution", "limits"] as const;
export type Section = (typeof SECTIONS)[number];

/** The JSON Schema of the document, for editors (`keel schema`). */
export function jsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(Document, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}
