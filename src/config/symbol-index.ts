/**
 * Symbol name -> dense index: the one string look-up a decision makes.
 *
 * A null-prototype object used as a dictionary, not a `Map`. Measured in Bun 1.4.5
 * (JavaScriptCore) with freshly parsed strings as keys, as ingest gives them
 * (`npx bun bench/index.bench.ts`): a property look-up is faster than `Map.get`, at 500 symbols
 * and at 100,000, and an entry costs about half the memory (a property table slot against a
 * `Map` entry; the name string itself is shared with `Snapshot.symbols` either way).
 *
 * A null prototype means no key is special: `__proto__`, `constructor` or `toString` are plain
 * names here (the symbol grammar rejects them anyway), and a look-up of a name that is not in the
 * config is `undefined`, never an inherited value. Names that read as array indices ("7203") are
 * kept by JavaScriptCore as indexed properties; the look-up is the same.
 */
export interface ReadonlySymbolIndex {
  /** The symbol's dense index, or undefined when the config does not list it. */
  get(symbol: string): number | undefined;
  has(symbol: string): boolean;
  readonly size: number;
  /** Every (name, index) pair, in no particular order (edge use: checks and tests). */
  [Symbol.iterator](): IterableIterator<[string, number]>;
}

export class SymbolIndex implements ReadonlySymbolIndex {
  private readonly table: Record<string, number> = Object.create(null);
  private count = 0;

  /** The index of `names`: names[i] -> i. */
  static of(names: readonly string[]): SymbolIndex {
    const index = new SymbolIndex();
    const t = index.table;
    for (let i = 0; i < names.length; i++) t[names[i]!] = i;
    index.count = names.length;
    return index;
  }

  get(symbol: string): number | undefined {
    return this.table[symbol];
  }

  has(symbol: string): boolean {
    return this.table[symbol] !== undefined;
  }

  *[Symbol.iterator](): IterableIterator<[string, number]> {
    for (const name in this.table) yield [name, this.table[name]!];
  }

  get size(): number {
    return this.count;
  }

  set(symbol: string, i: number): void {
    if (this.table[symbol] === undefined) this.count++;
    this.table[symbol] = i;
  }

  delete(symbol: string): boolean {
    if (this.table[symbol] === undefined) return false;
    delete this.table[symbol];
    this.count--;
    return true;
  }
}
