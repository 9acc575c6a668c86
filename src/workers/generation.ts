/**
 * A generation: one compiled Snapshot as every engine Worker sees it, plus a small control block
 * in shared memory. A full reload is a new generation (its SharedArrayBuffers travel to the
 * Workers by postMessage, which shares them, never copies); a patch of one symbol within a
 * generation writes the symbol's new instrument row into the generation's headroom (PATCH_ROWS)
 * and publishes it with one Atomics.store on `row[i]`, so no message is needed.
 *
 * A generation owns its tables: create() copies the engine's Snapshot into buffers of its own
 * with the headroom after the live rows. The engine's own patches (config/snapshot-writer.ts)
 * write spare rows of the engine's lineage and change its index in place; sharing those buffers
 * would let the two writers take the same spare row, and hide an added symbol from sameLayout().
 *
 * Control block (int32, Atomics only): a sequence counter and the config version, written by the
 * one writer (the main thread) as a seqlock: seq odd -> row flip and version -> seq even. A
 * decision reads seq, then the row index and the version, then seq again, and retries when they
 * differ, so the version it reports is the version of the row it read: no torn read. The row
 * itself needs no lock: it is written before it is published and never written again.
 */
import {
  CLASS_WIDTH, HotProfile, INST_BYTES, K_LOT_SIZE, K_PROFILE, K_SECTOR, K_STRATEGY,
  K_TICK_SIZE, PROFILE_WIDTH, classField, classOf, hotClasses, referenceOf, type Snapshot,
} from "../config/snapshot.ts";
import { fromParts, toParts, type SnapshotParts } from "../config/transfer.ts";
import { SymbolIndex } from "../config/symbol-index.ts";
import { writeInstrument } from "../config/compile.ts";
import { readClass, writeClass } from "../config/classes.ts";

/**
 * Spare instrument rows, profile rows and class rows after a generation's live ones: a patch of
 * one symbol is written there and published with one Atomics.store on `row`, so every Worker sees
 * it without a message. Once used up, a patch is delivered as a new generation. 64 rows, 16
 * profiles and 16 classes are 5 KiB per generation.
 */
export const PATCH_ROWS = 64;
export const PATCH_PROFILES = 16;
export const PATCH_CLASSES = 16;

export const C_SEQ = 0;
export const C_VERSION = 1;
/** Main thread only: headroom rows and profiles used by in-place patches. */
export const C_USED_ROWS = 2;
export const C_USED_PROFILES = 3;
export const C_USED_CLASSES = 4;
const CTL_WORDS = 16;

/** What crosses postMessage for a generation. */
export interface GenerationParts {
  readonly snapshot: SnapshotParts;
  readonly ctl: Int32Array;
}

export class Generation {
  readonly snap: Snapshot;
  readonly ctl: Int32Array;
  /**
   * The classes as flat objects, indexed by class id. This thread's own array: a patch can add
   * a class to the shared table, and the decider builds its object here on first sight.
   */
  readonly hot: HotProfile[];

  constructor(snap: Snapshot, ctl: Int32Array) {
    this.snap = snap;
    this.ctl = ctl;
    this.hot = snap.hot.slice();
  }

  /** A fresh generation over a copy of the engine's Snapshot (main thread; O(symbols)). */
  static create(snap: Snapshot, version: number): Generation {
    const ctl = new Int32Array(new SharedArrayBuffer(CTL_WORDS * 4));
    ctl[C_VERSION] = version;
    return new Generation(withHeadroom(snap), ctl);
  }

  /** The same generation on another thread, over the same shared buffers. */
  static fromParts(p: GenerationParts): Generation {
    return new Generation(fromParts(p.snapshot), p.ctl);
  }

  toParts(): GenerationParts {
    return { snapshot: toParts(this.snap), ctl: this.ctl };
  }

  get version(): number {
    return Atomics.load(this.ctl, C_VERSION);
  }

  /** The flat class for id `c`, built from the shared tables the first time a patch adds it. */
  hotClass(c: number): HotProfile {
    let h = this.hot[c];
    if (h === undefined) {
      h = new HotProfile(this.snap.profiles, this.snap.classes, c);
      this.hot[c] = h;
    }
    return h;
  }
}

/**
 * The Snapshot in buffers of its own: rows packed 0..n-1 with PATCH_ROWS spare rows after them,
 * PATCH_PROFILES spare profiles, PATCH_CLASSES spare classes, its own name list and index.
 */
function withHeadroom(s: Snapshot): Snapshot {
  const n = s.symbolCount;
  const row = new Int32Array(new SharedArrayBuffer(Math.max(1, n) * 4));
  const buffer = new SharedArrayBuffer((n + PATCH_ROWS) * INST_BYTES);
  const bytes = new Uint8Array(buffer);
  const from = new Uint8Array(s.inst.buffer);
  for (let i = 0; i < n; i++) {
    const r = s.row[i]!;
    bytes.set(from.subarray(r * INST_BYTES, (r + 1) * INST_BYTES), i * INST_BYTES);
    row[i] = i;
  }
  const profiles = new Float64Array(new SharedArrayBuffer((s.profileCount + PATCH_PROFILES) * PROFILE_WIDTH * 8));
  profiles.set(s.profiles.subarray(0, s.profileCount * PROFILE_WIDTH));
  const classes = new Float64Array(new SharedArrayBuffer((s.classCount + PATCH_CLASSES) * CLASS_WIDTH * 8));
  classes.set(s.classes.subarray(0, s.classCount * CLASS_WIDTH));
  const symbols = s.symbols.slice(0, n);
  return Object.freeze({
    ...s, symbols, index: SymbolIndex.of(symbols), row,
    inst: new Float64Array(buffer), instI32: new Int32Array(buffer), profiles, classes,
    hot: hotClasses(profiles, classes, s.classCount),
    profileObjects: s.profileObjects.slice(0, s.profileCount),
  });
}

/**
 * Does `next` keep everything the shared risk state is keyed or valued by: the same symbols in
 * the same order, the same sectors, and every symbol's sector and reference price? When it does
 * not, the Workers must be paused while the state is rebuilt (workers/pool.ts).
 */
export function sameLayout(a: Snapshot, b: Snapshot): boolean {
  if (a.symbolCount !== b.symbolCount || a.sectors.length !== b.sectors.length) return false;
  for (let k = 0; k < a.sectors.length; k++) if (a.sectors[k] !== b.sectors[k]) return false;
  for (let i = 0; i < a.symbolCount; i++) {
    if (a.symbols[i] !== b.symbols[i]) return false;
    if (referenceOf(a, i) !== referenceOf(b, i)) return false;
    if (classField(a, i, K_SECTOR) !== classField(b, i, K_SECTOR)) return false;
  }
  return true;
}

/** Everything but the rows: the values a patch of one symbol cannot change. */
function sameGlobals(a: Snapshot, b: Snapshot): boolean {
  if (a.mode !== b.mode || a.dayResetMinute !== b.dayResetMinute || a.strategies.length !== b.strategies.length) return false;
  for (let k = 0; k < a.strategies.length; k++) if (a.strategies[k] !== b.strategies[k]) return false;
  for (let k = 0; k < a.sectorLimit.length; k++) if (a.sectorLimit[k] !== b.sectorLimit[k]) return false;
  return true;
}

function sameProfile(ta: Float64Array, pa: number, tb: Float64Array, pb: number): boolean {
  const oa = pa * PROFILE_WIDTH;
  const ob = pb * PROFILE_WIDTH;
  for (let f = 0; f < PROFILE_WIDTH; f++) if (ta[oa + f] !== tb[ob + f]) return false;
  return true;
}

/** The class fields a row's symbol is judged by; the profile id is compared by value below. */
const CLASS_FIELDS = [K_SECTOR, K_STRATEGY, K_TICK_SIZE, K_LOT_SIZE] as const;

/** Same reference price, the same class fields and the same effective profile values (ids may differ). */
function sameRow(a: Snapshot, i: number, b: Snapshot): boolean {
  if (referenceOf(a, i) !== referenceOf(b, i)) return false;
  for (const f of CLASS_FIELDS) if (classField(a, i, f) !== classField(b, i, f)) return false;
  return sameProfile(a.profiles, classField(a, i, K_PROFILE), b.profiles, classField(b, i, K_PROFILE));
}

/**
 * Apply `next` to the live generation in place when it differs from it by a few symbols' rows
 * only (a PATCH): each changed symbol gets a new row in the headroom, published with
 * Atomics.store under the seqlock, and the version moves to `version`. Returns false, changing
 * nothing, when it cannot (other fields changed, too many rows, headroom used up): the caller
 * then sends a new generation. Main thread only (the one writer).
 */
export function patchInPlace(gen: Generation, next: Snapshot, version: number): boolean {
  const cur = gen.snap;
  if (!sameLayout(cur, next) || !sameGlobals(cur, next)) return false;
  const changed: number[] = [];
  for (let i = 0; i < cur.symbolCount; i++) {
    if (!sameRow(cur, i, next)) {
      changed.push(i);
      if (changed.length > PATCH_ROWS) return false;
    }
  }
  const ctl = gen.ctl;
  const usedRows = ctl[C_USED_ROWS]!;
  let usedProfiles = ctl[C_USED_PROFILES]!;
  let usedClasses = ctl[C_USED_CLASSES]!;
  if (usedRows + changed.length > PATCH_ROWS) return false;
  // Profiles first: find each changed symbol's effective values in the live table, or add them.
  // Nothing written to a spare slot is seen before its row is published, so a patch that gives
  // up half-way leaves the live generation as it was (the used counters move only at the end).
  const profileOf: number[] = [];
  const liveProfiles = cur.profileCount + usedProfiles;
  let addedProfiles = 0;
  for (const i of changed) {
    const pb = classField(next, i, K_PROFILE);
    let id = -1;
    for (let p = 0; p < liveProfiles + addedProfiles && id < 0; p++) if (sameProfile(cur.profiles, p, next.profiles, pb)) id = p;
    if (id < 0) {
      if (usedProfiles + addedProfiles >= PATCH_PROFILES) return false;
      id = liveProfiles + addedProfiles++;
      cur.profiles.set(next.profiles.subarray(pb * PROFILE_WIDTH, (pb + 1) * PROFILE_WIDTH), id * PROFILE_WIDTH);
    }
    profileOf.push(id);
  }
  // Then classes: the symbol's class fields with the live profile id, found or added.
  const classIds: number[] = [];
  const liveClasses = cur.classCount + usedClasses;
  let addedClasses = 0;
  for (let k = 0; k < changed.length; k++) {
    const v = { ...readClass(next.classes, classOf(next, changed[k]!)), profile: profileOf[k]! };
    let id = -1;
    for (let c = 0; c < liveClasses + addedClasses && id < 0; c++) {
      const o = c * CLASS_WIDTH;
      const t = cur.classes;
      if (t[o + K_PROFILE] === v.profile && t[o + K_SECTOR] === v.sector && t[o + K_STRATEGY] === v.strategy && t[o + K_TICK_SIZE] === v.tick && t[o + K_LOT_SIZE] === v.lot) id = c;
    }
    if (id < 0) {
      if (usedClasses + addedClasses >= PATCH_CLASSES) return false;
      id = liveClasses + addedClasses++;
      writeClass(cur.classes, id, v);
    }
    classIds.push(id);
  }
  usedProfiles += addedProfiles;
  usedClasses += addedClasses;
  // New rows, written before they are published: a reader that sees the index sees the row.
  const rows: number[] = [];
  for (let k = 0; k < changed.length; k++) {
    const r = cur.symbolCount + usedRows + k;
    writeInstrument(cur.inst, cur.instI32, r, referenceOf(next, changed[k]!), classIds[k]!);
    rows.push(r);
  }
  ctl[C_USED_ROWS] = usedRows + changed.length;
  ctl[C_USED_PROFILES] = usedProfiles;
  ctl[C_USED_CLASSES] = usedClasses;
  // The seqlock: odd while the indices and the version move together.
  Atomics.add(ctl, C_SEQ, 1);
  for (let k = 0; k < changed.length; k++) Atomics.store(cur.row, changed[k]!, rows[k]!);
  Atomics.store(ctl, C_VERSION, version);
  Atomics.add(ctl, C_SEQ, 1);
  return true;
}

