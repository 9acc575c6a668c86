/**
 * A Snapshot across threads. Its numbers already live in SharedArrayBuffers, which postMessage
 * shares rather than copies; what remains is the symbol names, a few small tables and the
 * profiles. The receiving side rebuilds what cannot cross (the symbol index, the flat
 * profile objects) in O(symbols) inserts, far less than compiling again.
 */
import { freezeProfile } from "./resolve.ts";
import { hotClasses, type Profile, type Snapshot } from "./snapshot.ts";
import { SymbolIndex } from "./symbol-index.ts";

/** What crosses postMessage. */
export interface SnapshotParts {
  readonly hash: string;
  readonly mode: number;
  readonly venue: string;
  readonly dayResetMinute: number;
  readonly symbolCount: number;
  readonly symbols: readonly string[];
  readonly row: Int32Array;
  readonly inst: Float64Array;
  readonly profiles: Float64Array;
  readonly profileCount: number;
  readonly profileObjects: readonly Profile[];
  readonly classes: Float64Array;
  readonly classCount: number;
  readonly sectors: readonly string[];
  readonly sectorLimit: Float64Array;
  readonly strategies: readonly string[];
}

export function toParts(s: Snapshot): SnapshotParts {
  return {
    hash: s.hash, mode: s.mode, venue: s.venue, dayResetMinute: s.dayResetMinute, symbolCount: s.symbolCount, symbols: s.symbols, row: s.row,
    inst: s.inst, profiles: s.profiles, profileCount: s.profileCount, profileObjects: s.profileObjects, classes: s.classes, classCount: s.classCount, sectors: s.sectors,
    sectorLimit: s.sectorLimit, strategies: s.strategies,
  };
}

/** The Snapshot again, on this side, over the same shared buffers. */
export function fromParts(p: SnapshotParts): Snapshot {
  const index = SymbolIndex.of(p.symbols);
  const profileObjects = Object.freeze(p.profileObjects.map((pr) => freezeProfile(pr.id, pr)));
  return Object.freeze({
    hash: p.hash,
    mode: p.mode,
    venue: p.venue,
    dayResetMinute: p.dayResetMinute,
    symbolCount: p.symbolCount,
    index,
    symbols: p.symbols,
    row: p.row,
    inst: p.inst,
    instI32: new Int32Array(p.inst.buffer),
    profiles: p.profiles,
    profileCount: p.profileCount,
    classes: p.classes,
    classCount: p.classCount,
    hot: hotClasses(p.profiles, p.classes, p.classCount),
    profileObjects,
    sectors: Object.freeze([...p.sectors]),
    sectorLimit: p.sectorLimit,
    strategies: Object.freeze([...p.strategies]),
  });
}
