/**
 * One symbol written into a Snapshot in place: the slots behind a one-symbol PATCH or DELETE.
 *
 * compile() leaves a few spare instrument rows and profile rows after the live ones. The first
 * patch after a full activation takes the superseded version's tables over (nothing reads them
 * after the swap) and from then on a patch writes the symbol's new instrument row into a spare
 * row and publishes it with one Atomics.store into the per-symbol row index; the tables grow by
 * half (one copy, amortised) only when adds use up the spare rows. A reader sees the old row or the new one, never a mixture (see snapshot.ts). The row
 * a patch retires is recycled only after the next patch, so a reader that loaded the old index
 * just before the swap still reads whole, unchanged slots.
 *
 * Cost per patch: O(1) in the number of symbols, except when the spare rows run out (the tables
 * then grow by half, amortised) or a delete moves the last symbol into the freed index.
 */
import { ClassIds, writeClass, type ClassValues } from "./classes.ts";
import { writeInstrument, writeProfile } from "./compile.ts";
import { SymbolIndex } from "./symbol-index.ts";
import {
  CLASS_WIDTH, HotProfile, INST_BYTES, INST_WIDTH, K_SECTOR, PROFILE_WIDTH, SPARE_CLASSES, SPARE_PROFILES, SPARE_ROWS, classField,
  type Profile, type Snapshot,
} from "./snapshot.ts";

/** What a patch did to the symbol's dense index, for the risk state (engine/engine.ts). */
export type SymbolChange =
  /** Same index, new slots; `oldSector` is where its exposure was counted. */
  | { readonly kind: "update"; readonly index: number; readonly oldSector: number }
  /** A new symbol at the end. */
  | { readonly kind: "add"; readonly index: number }
  /** Removed; the last symbol moved into `index` from `from` (equal when it was the last). */
  | { readonly kind: "delete"; readonly index: number; readonly from: number }
  /** Nothing compiled here changed (a symbol another shard owns). */
  | { readonly kind: "none" };

/** What a one-symbol patch does to the slots (config/patchable.ts plans it, as data). */
export type SlotPlan =
  /** Write the symbol's slots (adding it when new), after adding `profile` when it is a new one. */
  | { readonly kind: "set"; readonly symbol: string; readonly slots: SymbolSlots; readonly profile: Profile | null }
  | { readonly kind: "remove"; readonly symbol: string }
  /** Nothing compiled here changes (a symbol another shard owns). */
  | { readonly kind: "none" };

/** One symbol's compiled slots: its reference price and its class's values. */
export interface SymbolSlots extends ClassValues {
  readonly reference: number;
}

type MutableSnapshot = { -readonly [K in keyof Snapshot]: Snapshot[K] };

export class SnapshotWriter {
  private snap: MutableSnapshot;
  private readonly index: SymbolIndex;
  private readonly symbols: string[];
  private readonly hot: HotProfile[];
  private readonly profileObjects: Profile[];
  /** Class ids by value: a patch reuses a class when one has its values. */
  private readonly classIds: ClassIds;
  /** Instrument rows no symbol points at. */
  private free: number[] = [];
  /** Rows the last patch retired: free after the next one. */
  private retiring: number[] = [];

  /**
   * Start a lineage from `from`, the version just superseded by the first patch: its symbol index and
   * symbol list are taken over, not copied (nothing reads that version's after the swap); its
   * typed arrays are copied once into buffers with spare rows.
   */
  constructor(from: Snapshot) {
    const n = from.symbolCount;
    this.index = from.index as SymbolIndex;
    this.symbols = from.symbols as string[];
    if (this.symbols.length !== n || Object.isFrozen(this.symbols)) this.symbols = this.symbols.slice(0, n);
    this.hot = from.hot.slice();
    this.profileObjects = from.profileObjects.slice();
    // compile() leaves SPARE_ROWS rows and SPARE_PROFILES profiles after the live ones: the
    // lineage writes into those, taking the superseded version's tables over without a copy.
    let { inst, instI32, row, profiles, classes } = from;
    if (inst.length / INST_WIDTH <= n) {
      const rows = n + Math.max(SPARE_ROWS, n >> 1);
      const instBuffer = new SharedArrayBuffer(rows * INST_BYTES);
      new Uint8Array(instBuffer).set(new Uint8Array(inst.buffer, 0, Math.min(inst.buffer.byteLength, rows * INST_BYTES)));
      inst = new Float64Array(instBuffer);
      instI32 = new Int32Array(instBuffer);
    }
    if (profiles.length / PROFILE_WIDTH <= from.profileCount) {
      profiles = new Float64Array(new SharedArrayBuffer((from.profileCount + SPARE_PROFILES) * PROFILE_WIDTH * 8));
      profiles.set(from.profiles.subarray(0, from.profileCount * PROFILE_WIDTH));
    }
    if (classes.length / CLASS_WIDTH <= from.classCount) {
      classes = new Float64Array(new SharedArrayBuffer((from.classCount + SPARE_CLASSES) * CLASS_WIDTH * 8));
      classes.set(from.classes.subarray(0, from.classCount * CLASS_WIDTH));
    }
    this.classIds = ClassIds.of(classes, from.classCount, from.strategies.length, from.sectors.length);
    const rowsInBuffer = inst.length / INST_WIDTH;
    const used = new Uint8Array(rowsInBuffer);
    for (let i = 0; i < n; i++) used[row[i]!] = 1;
    for (let r = rowsInBuffer - 1; r >= 0; r--) if (used[r] === 0) this.free.push(r);
    this.snap = { ...from, index: this.index, symbols: this.symbols, row, inst, instI32, profiles, classes, hot: this.hot, profileObjects: this.profileObjects };
  }

  /** Carry out a plan under the new version's hash. */
  apply(plan: SlotPlan, hash: string): { snapshot: Snapshot; change: SymbolChange } {
    if (plan.kind === "none") return { snapshot: this.rehash(hash), change: { kind: "none" } };
    if (plan.kind === "remove") return this.remove(plan.symbol, hash);
    if (plan.profile !== null) this.addProfile(plan.profile);
    return this.set(plan.symbol, plan.slots, hash);
  }

  /** Add a profile to the table (ids are dense: `p.id` must be the next one). */
  addProfile(p: Profile): void {
    let table = this.snap.profiles;
    if ((p.id + 1) * PROFILE_WIDTH > table.length) {
      table = new Float64Array(new SharedArrayBuffer(Math.ceil((p.id + 1) * 1.5) * PROFILE_WIDTH * 8));
      table.set(this.snap.profiles);
      this.snap.profiles = table;
    }
    writeProfile(table, p);
    this.profileObjects.push(p);
    this.snap.profileCount = p.id + 1;
  }

  /** The class with these values: an existing one, or a new one added to the table. */
  private classFor(v: ClassValues): number {
    const found = this.classIds.get(v);
    if (found !== undefined) return found;
    const id = this.snap.classCount;
    let table = this.snap.classes;
    if ((id + 1) * CLASS_WIDTH > table.length) {
      table = new Float64Array(new SharedArrayBuffer(Math.ceil((id + 1) * 1.5) * CLASS_WIDTH * 8));
      table.set(this.snap.classes);
      this.snap.classes = table;
    }
    writeClass(table, id, v);
    this.classIds.set(v, id);
    this.hot.push(new HotProfile(this.snap.profiles, table, id));
    this.snap.classCount = id + 1;
    return id;
  }

  /** Write `symbol`'s slots (adding it when new) and publish them. */
  set(symbol: string, s: SymbolSlots, hash: string): { snapshot: Snapshot; change: SymbolChange } {
    const cls = this.classFor(s);
    const r = this.takeRow();
    writeInstrument(this.snap.inst, this.snap.instI32, r, s.reference, cls);
    const i = this.index.get(symbol);
    let change: SymbolChange;
    if (i === undefined) {
      const k = this.snap.symbolCount;
      this.ensureIndexRoom(k + 1);
      Atomics.store(this.snap.row, k, r);
      this.symbols.push(symbol);
      this.index.set(symbol, k);
      this.snap.symbolCount = k + 1;
      change = { kind: "add", index: k };
      this.retire();
    } else {
      const old = this.snap.row[i]!;
      const oldSector = classField(this.snap, i, K_SECTOR);
      Atomics.store(this.snap.row, i, r);
      this.retire(old);
      change = { kind: "update", index: i, oldSector };
    }
    return { snapshot: this.publish(hash), change };
  }

  /** Remove `symbol`: the last symbol takes its index, so indices stay dense. */
  remove(symbol: string, hash: string): { snapshot: Snapshot; change: SymbolChange } {
    const i = this.index.get(symbol);
    if (i === undefined) return { snapshot: this.rehash(hash), change: { kind: "none" } };
    const last = this.snap.symbolCount - 1;
    const old = this.snap.row[i]!;
    if (i !== last) {
      const moved = this.symbols[last]!;
      Atomics.store(this.snap.row, i, this.snap.row[last]!);
      this.symbols[i] = moved;
      this.index.set(moved, i);
    }
    this.symbols.pop();
    this.index.delete(symbol);
    this.snap.symbolCount = last;
    this.retire(old);
    return { snapshot: this.publish(hash), change: { kind: "delete", index: i, from: last } };
  }

  /** The same slots under a new hash (a change to a symbol this shard does not compile). */
  rehash(hash: string): Snapshot {
    return this.publish(hash);
  }

  /** A new frozen Snapshot object over the lineage's tables: O(1), nothing copied. */
  private publish(hash: string): Snapshot {
    this.snap.hash = hash;
    return Object.freeze({ ...this.snap });
  }

  /** End of a patch: what the previous patch retired is free now; `r` waits for the next. */
  private retire(r?: number): void {
    this.free.push(...this.retiring);
    this.retiring = r === undefined ? [] : [r];
  }

  private takeRow(): number {
    if (this.free.length === 0) this.growRows();
    return this.free.pop()!;
  }

  /** Half as many rows again: one copy, amortised over the patches that use them. */
  private growRows(): void {
    const had = this.snap.inst.length / (INST_BYTES / 8);
    const rows = had + Math.max(64, had >> 1);
    const buffer = new SharedArrayBuffer(rows * INST_BYTES);
    new Uint8Array(buffer).set(new Uint8Array(this.snap.inst.buffer));
    this.snap.inst = new Float64Array(buffer);
    this.snap.instI32 = new Int32Array(buffer);
    for (let r = rows - 1; r >= had; r--) this.free.push(r);
  }

  private ensureIndexRoom(count: number): void {
    if (count <= this.snap.row.length) return;
    const row = new Int32Array(new SharedArrayBuffer(Math.ceil(count * 1.5) * 4));
    row.set(this.snap.row);
    this.snap.row = row;
  }
}
