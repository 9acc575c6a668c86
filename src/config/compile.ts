/**
 * Document -> Snapshot. Runs once per version, off the hot path; everything the hot path will
 * need is computed here, so a decision reads numbers and never re-derives anything.
 */
import { resolve, type Resolution } from "./resolve.ts";
import { SymbolIndex } from "./symbol-index.ts";
import { owns, type Shard } from "./shard.ts";
import type { ConfigDocument } from "./schema.ts";
import { ClassIds, writeClass, type ClassValues } from "./classes.ts";
import {
  CLASS_WIDTH, I_REFERENCE_PRICE, INST_BYTES, INST_I32_WIDTH, INST_WIDTH, J_CLASS,
  METHOD_NAMES, MODE_LIVE, MODE_PAPER, ORDER_TYPE_NAMES, PROFILE_WIDTH, P_DEFAULT_SIZE, P_DUPLICATE_WINDOW_MS,
  P_LIMIT_OFFSET_BPS, P_MAX_DAILY_LOSS, P_MAX_DAILY_TRADES, P_MAX_GROSS_EXPOSURE, P_MAX_ORDERS_PER_SECOND,
  P_MAX_ORDER_NOTIONAL, P_MAX_POSITIONS, P_MAX_SIZE, P_MAX_SLIPPAGE_BPS, P_METHOD, P_ORDER_TYPE, P_PRICE_COLLAR_BPS,
  P_BUY_FACTOR, P_SELL_FACTOR, P_TIF, P_BUCKET_MILLI, SPARE_CLASSES, SPARE_PROFILES, SPARE_ROWS, TIF_NAMES, hotClasses, type Profile,
  type Snapshot,
} from "./snapshot.ts";

export { tickInverse } from "./classes.ts";

/** A typed array over shared memory, so Workers and other readers can map the same bytes. */
function shared<T extends Float64Array | Int32Array>(Ctor: { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, length: number): T {
  return new Ctor(new SharedArrayBuffer(Math.max(1, length) * Ctor.BYTES_PER_ELEMENT));
}

/** Write one profile's fields into its row of the profile table. */
export function writeProfile(table: Float64Array, p: Profile): void {
  const o = p.id * PROFILE_WIDTH;
  const s = p.position_sizing;
  const x = p.execution;
  const l = p.limits;
  table[o + P_METHOD] = METHOD_NAMES.indexOf(s.method);
  table[o + P_DEFAULT_SIZE] = s.default_position_size;
  table[o + P_MAX_SIZE] = s.max_position_size;
  table[o + P_ORDER_TYPE] = ORDER_TYPE_NAMES.indexOf(x.order_type);
  table[o + P_TIF] = TIF_NAMES.indexOf(x.time_in_force);
  table[o + P_LIMIT_OFFSET_BPS] = x.limit_offset_bps;
  table[o + P_MAX_SLIPPAGE_BPS] = x.max_slippage_bps;
  table[o + P_MAX_DAILY_TRADES] = l.max_daily_trades;
  table[o + P_MAX_POSITIONS] = l.max_positions;
  table[o + P_MAX_ORDER_NOTIONAL] = l.max_order_notional;
  table[o + P_MAX_GROSS_EXPOSURE] = l.max_gross_exposure;
  table[o + P_MAX_ORDERS_PER_SECOND] = l.max_orders_per_second;
  table[o + P_PRICE_COLLAR_BPS] = l.price_collar_bps;
  table[o + P_MAX_DAILY_LOSS] = l.max_daily_loss;
  table[o + P_DUPLICATE_WINDOW_MS] = l.duplicate_window_ms;
  table[o + P_BUY_FACTOR] = 1 + x.limit_offset_bps / 10_000;
  table[o + P_SELL_FACTOR] = 1 - x.limit_offset_bps / 10_000;
  table[o + P_BUCKET_MILLI] = l.max_orders_per_second * 1000;
}

/** Write one instrument row: the symbol's reference price and its class. */
export function writeInstrument(inst: Float64Array, instI32: Int32Array, r: number, reference: number, cls: number): void {
  inst[r * INST_WIDTH + I_REFERENCE_PRICE] = reference;
  instI32[r * INST_I32_WIDTH + J_CLASS] = cls;
}

/** Minutes after midnight UTC of an "HH:MM" string already checked by the schema. */
export function minuteOfDay(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/**
 * Compile a validated document into a Snapshot. Pass the resolution validate() produced to avoid
 * resolving twice.
 */
export function compile(doc: ConfigDocument, hash: string, res: Resolution = resolve(doc), shard?: Shard): Snapshot {
  const sectors = Object.keys(doc.risk.sectors);
  const sectorId = new Map(sectors.map((name, i) => [name, i] as const));
  const sectorLimit = shared(Float64Array, sectors.length);
  for (let k = 0; k < sectors.length; k++) sectorLimit[k] = doc.risk.sectors[sectors[k]!]!.max_gross_exposure;

  const strategyId = new Map(res.strategyNames.map((name, i) => [name, i] as const));

  // Spare profile and instrument rows after the live ones: see SPARE_ROWS.
  const profiles = shared(Float64Array, (res.profiles.length + SPARE_PROFILES) * PROFILE_WIDTH);
  for (const p of res.profiles) writeProfile(profiles, p);

  // A shard compiles its own symbols only (the whole document was validated all the same).
  const kept: number[] = [];
  for (let i = 0; i < res.symbolNames.length; i++) if (shard === undefined || owns(shard, res.symbolNames[i]!)) kept.push(i);
  const names = kept.length === res.symbolNames.length ? res.symbolNames : kept.map((i) => res.symbolNames[i]!);
  const n = names.length;
  const row = shared(Int32Array, n);
  const instBuffer = new SharedArrayBuffer((n + SPARE_ROWS) * INST_BYTES);
  const inst = new Float64Array(instBuffer);
  const instI32 = new Int32Array(instBuffer);
  // Classes are interned as symbols are met; the table grows by doubling (a few hundred at most
  // in a real universe), then is cut to the live classes plus the spares.
  const ids = new ClassIds(res.strategyNames.length, sectors.length);
  let classes = new Float64Array(64 * CLASS_WIDTH);
  let classCount = 0;
  for (let i = 0; i < n; i++) {
    const name = names[i]!;
    const entry = doc.symbols[name]!;
    const profile = res.symbolProfile[kept[i]!]!;
    const sector = sectorId.get(entry.sector) ?? -1;
    const strategy = entry.strategy === undefined ? -1 : (strategyId.get(entry.strategy) ?? -1);
    let cls = ids.find(profile, sector, strategy, entry.tick_size, entry.lot_size);
    if (cls === undefined) {
      const v: ClassValues = { profile, sector, strategy, tick: entry.tick_size, lot: entry.lot_size };
      cls = classCount++;
      if (classCount * CLASS_WIDTH > classes.length) {
        const grown = new Float64Array(classes.length * 2);
        grown.set(classes);
        classes = grown;
      }
      writeClass(classes, cls, v);
      ids.set(v, cls);
    }
    row[i] = i;
    writeInstrument(inst, instI32, i, entry.reference_price, cls);
  }
  const classTable = shared(Float64Array, (classCount + SPARE_CLASSES) * CLASS_WIDTH);
  classTable.set(classes.subarray(0, classCount * CLASS_WIDTH));

  return Object.freeze({
    hash,
    mode: doc.trading.mode === "live" ? MODE_LIVE : MODE_PAPER,
    venue: doc.venue === undefined ? "" : JSON.stringify(doc.venue),
    dayResetMinute: minuteOfDay(doc.risk.day_reset_utc),
    symbolCount: n,
    index: SymbolIndex.of(names),
    // Not frozen: freezing a 100k-element array costs more than compiling it; the type is readonly.
    symbols: names,
    row,
    inst,
    instI32,
    profiles,
    profileCount: res.profiles.length,
    classes: classTable,
    classCount,
    hot: hotClasses(profiles, classTable, classCount),
    profileObjects: res.profiles,
    sectors: Object.freeze(sectors),
    sectorLimit,
    strategies: Object.freeze(res.strategyNames.slice()),
  });
}
