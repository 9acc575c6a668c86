/**
 * Interning of classes (snapshot.ts): a symbol's profile plus the instrument fields symbols share
 * (sector, strategy, tick size, lot size). compile() and the patch writer (snapshot-writer.ts)
 * give every symbol the id of the class with its values, adding a class only for a combination
 * not seen before, so a universe of any size keeps as many classes as it has combinations.
 */
import { CLASS_WIDTH, K_LOT_INV, K_LOT_SIZE, K_PROFILE, K_SECTOR, K_STRATEGY, K_TICK_INV, K_TICK_SIZE } from "./snapshot.ts";

/** One class's values. */
export interface ClassValues {
  readonly profile: number;
  readonly sector: number;
  readonly strategy: number;
  readonly tick: number;
  readonly lot: number;
}

/** 1/tick when it is an integer within float noise (0.01 -> 100), else 0. */
export function tickInverse(tick: number): number {
  const inv = 1 / tick;
  const n = Math.round(inv);
  return n >= 1 && Math.abs(inv - n) < 1e-9 * n ? n : 0;
}

/** Write class `id`'s row, deriving the inverses the hot path multiplies by. */
export function writeClass(table: Float64Array, id: number, v: ClassValues): void {
  const o = id * CLASS_WIDTH;
  table[o + K_PROFILE] = v.profile;
  table[o + K_SECTOR] = v.sector;
  table[o + K_STRATEGY] = v.strategy;
  table[o + K_TICK_SIZE] = v.tick;
  table[o + K_TICK_INV] = tickInverse(v.tick);
  table[o + K_LOT_SIZE] = v.lot;
  table[o + K_LOT_INV] = 1 / v.lot;
}

/** The values of class `id` in `table`. */
export function readClass(table: Float64Array, id: number): ClassValues {
  const o = id * CLASS_WIDTH;
  return { profile: table[o + K_PROFILE]!, sector: table[o + K_SECTOR]!, strategy: table[o + K_STRATEGY]!, tick: table[o + K_TICK_SIZE]!, lot: table[o + K_LOT_SIZE]! };
}

/**
 * Class ids by value, for one table: find a combination's class or say it is new. compile() asks
 * once per symbol, so this is on the path the config benchmark times: a string key per symbol
 * (formatting the tick and lot doubles) cost ~160 ns a symbol, more than the rest of compiling.
 * The three ids make one integer key, exact below 2^53; the few (tick, lot) pairs under it are
 * compared in a list. (A document with so many profiles, sectors and strategies that their product
 * passes 2^53 gets the text key instead: slower, still exact.)
 */
export class ClassIds {
  /** id key -> [tick, lot, class id, tick, lot, class id, ...] */
  private readonly byIds = new Map<number | string, number[]>();
  private count = 0;

  /** `strategyCount` bounds the strategy ids (-1 for none) of every class asked about. */
  constructor(private readonly strategyCount: number, private readonly sectorCount: number) {}

  /** The ids of the first `count` classes of `table`. */
  static of(table: Float64Array, count: number, strategyCount: number, sectorCount: number): ClassIds {
    const out = new ClassIds(strategyCount, sectorCount);
    for (let c = 0; c < count; c++) {
      const v = readClass(table, c);
      if (out.get(v) === undefined) out.set(v, c);
    }
    return out;
  }

  /** One integer per (profile, sector, strategy), or the text key past 2^53. */
  private key(profile: number, sector: number, strategy: number): number | string {
    const k = (profile * this.sectorCount + sector) * (this.strategyCount + 1) + strategy + 1;
    return Number.isSafeInteger(k) ? k : `${profile}|${sector}|${strategy}`;
  }

  /** The class with these values, or undefined. Positional, so compile() allocates nothing per symbol. */
  find(profile: number, sector: number, strategy: number, tick: number, lot: number): number | undefined {
    const list = this.byIds.get(this.key(profile, sector, strategy));
    if (list === undefined) return undefined;
    for (let k = 0; k < list.length; k += 3) if (list[k] === tick && list[k + 1] === lot) return list[k + 2];
    return undefined;
  }

  get(v: ClassValues): number | undefined {
    return this.find(v.profile, v.sector, v.strategy, v.tick, v.lot);
  }

  set(v: ClassValues, id: number): void {
    const key = this.key(v.profile, v.sector, v.strategy);
    const list = this.byIds.get(key);
    if (list === undefined) this.byIds.set(key, [v.tick, v.lot, id]);
    else list.push(v.tick, v.lot, id);
    this.count++;
  }

  get size(): number {
    return this.count;
  }
}
