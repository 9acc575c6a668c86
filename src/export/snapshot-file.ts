/**
 * The memory-mapped snapshot export (issue #6): the active effective config, written to
 * `<data>/snapshot.bin` so that other processes, in any language, read it zero-copy with mmap.
 * docs/snapshot-format.md is the reference for the layout (snapshot-layout.ts holds its constants
 * and encoders); this file is the writer.
 *
 * Two rules shape the writer:
 * - A mapped file is never truncated or rewritten in place where a reader may be looking
 *   (truncating a mapped file kills its readers with SIGBUS). The file holds two buffers; an
 *   update writes the inactive one and flips an index, under a sequence counter (a seqlock).
 *   A version that does not fit is written as a complete new file under a temporary name and
 *   renamed over the old one, so a reader still mapping the old inode keeps a valid old version.
 * - Data goes through the file descriptor with positioned writes (pwrite): an I/O error is an
 *   exception, not a SIGBUS in the middle of a store. The seq and active-index words are the
 *   exception: they are stored through a small shared mapping of the header with Atomics.store,
 *   because Linux may copy a 4-byte pwrite byte by byte (x86-64 rep_movs_alternative for copies
 *   under 8 bytes), and a reader could see a torn counter. Every buffer also carries a CRC-32.
 */
import { closeSync, fstatSync, openSync, readSync, renameSync, unlinkSync, writeSync } from "node:fs";
import type { EventBus } from "../events/bus.ts";
import type { Snapshot } from "../config/snapshot.ts";
import type { SymbolChange } from "../config/snapshot-writer.ts";
import { crc32Update } from "./crc32.ts";
import {
  advanceBufferHeader, align, B_CRC, B_RECORDS_AT, B_SYMBOLS, B_USED, BUFFER_HEADER_BYTES, FILE_HEADER_BYTES, FLAG_SUPERSEDED, getU64,
  H_ACTIVE, H_FLAGS, H_SEQ, MAGIC, PAGE, RECORD_BYTES, encodeBuffer, encodeHeader, recordBytes,
} from "./snapshot-layout.ts";

export { SNAPSHOT_FILE, snapshotFileFor } from "./snapshot-layout.ts";

/** pread all of `bytes` from `position`. */
function readAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) {
    const n = readSync(fd, bytes, done, bytes.length - done, position + done);
    if (n === 0) throw new Error(`snapshot export: the file ends before byte ${position + bytes.length}`);
    done += n;
  }
}

/** pwrite all of `bytes` at `position` (a short write continues where it stopped). */
function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** The next even seq after a counter that may have been left odd by an interrupted write. */
const nextEven = (seq: number) => ((seq + 2) & ~1) >>> 0;

/** What one write did: the new seq, and whether it had to create a new file. */
export interface WriteInfo {
  readonly seq: number;
  readonly created: boolean;
  readonly capacity: number;
  readonly bytes: number;
}

export interface WriterOptions {
  /** Bytes per buffer at least (rounded up to a page); a new file otherwise gets 1.5x its first version. */
  readonly minCapacity?: number;
}

/**
 * The one writer of a snapshot file. Not safe for two writers on one path: keel serve holds the
 * data directory's database lock, which makes it the only one.
 */
export class SnapshotFileWriter {
  private fd: number | null = null;
  /** The header's 32-bit words, through a shared mapping of the first page. */
  private ctl: Int32Array | null = null;
  private capacity = 0;
  private seq = 0;
  private active = 0;
  /** A write failed part-way: the next one starts a fresh file rather than trust this one. */
  private broken = false;
  /**
   * Layout epochs: bumped by every write that may change the symbols, sectors or strategies (all
   * but a one-symbol update). A buffer whose epoch is current has the active buffer's layout, and
   * differs from it only in the records listed in `lag` (and its header).
   */
  private epoch = 0;
  private readonly epochOf = [-1, -1];
  private lag: number[] = [];

  constructor(readonly path: string, private readonly opts: WriterOptions = {}) {}

  /**
   * Publish a version: in place when it fits, else as a new file renamed over the path.
   * `changed`: the version is the active one with only these symbols' records changed (a
   * one-symbol PATCH of an existing symbol; [] for one this host does not compile). It is then
   * published by rewriting those records and the buffer header, with the CRC updated for them
   * (crc32.ts), when the inactive buffer has the same layout; a whole write otherwise.
   */
  write(snap: Snapshot, version: number, writtenAt = Date.now(), changed?: readonly number[]): WriteInfo {
    const next = this.fd === null ? nextEven(previousSeq(this.path)) : nextEven(this.seq);
    const target = 1 - this.active;
    if (changed !== undefined && this.fd !== null && !this.broken && this.epochOf[target] === this.epoch) {
      return this.patch(snap, version, next, writtenAt, changed);
    }
    const content = encodeBuffer(snap, version, next, writtenAt);
    if (changed === undefined) this.epoch++;
    if (this.fd === null || this.broken || content.length > this.capacity) {
      const info = this.create(content, next);
      // A new file holds the version in both buffers: the next one-symbol update can be a patch.
      this.epochOf[0] = this.epochOf[1] = this.epoch;
      this.lag = [];
      return info;
    }
    const info = this.whole(content, next);
    this.epochOf[this.active] = this.epoch;
    this.lag = changed === undefined ? [] : [...changed];
    return info;
  }

  /** The inactive buffer brought up to `snap` record by record: O(records changed). */
  private patch(snap: Snapshot, version: number, next: number, writtenAt: number, changed: readonly number[]): WriteInfo {
    const fd = this.fd!;
    const target = 1 - this.active;
    const base = PAGE + target * this.capacity;
    const header = new Uint8Array(BUFFER_HEADER_BYTES);
    readAll(fd, header, base);
    const used = getU64(header, B_USED);
    const recordsAt = getU64(header, B_RECORDS_AT);
    const count = new DataView(header.buffer).getUint32(B_SYMBOLS, true);
    let crc = new DataView(header.buffer).getUint32(B_CRC, true);
    const ctl = this.ctl!;
    Atomics.store(ctl, H_SEQ / 4, (this.seq + 1) | 0);
    try {
      const old = new Uint8Array(RECORD_BYTES);
      for (const i of new Set([...this.lag, ...changed])) {
        if (i >= count) throw new Error(`snapshot export: record ${i} is outside the buffer's ${count}`);
        const at = recordsAt + i * RECORD_BYTES;
        readAll(fd, old, base + at);
        const now = recordBytes(snap, i);
        crc = crc32Update(crc, used - 4, at - 4, old, now);
        writeAll(fd, now, base + at);
      }
      const advanced = advanceBufferHeader(header, snap, version, next, writtenAt);
      crc = crc32Update(crc, used - 4, 0, header.subarray(4), advanced.subarray(4));
      new DataView(advanced.buffer).setUint32(B_CRC, crc, true);
      writeAll(fd, advanced, base);
    } catch (err) {
      this.broken = true;
      throw err;
    }
    this.flip(target, next);
    this.epochOf[target] = this.epoch;
    this.lag = [...changed];
    return { seq: next, created: false, capacity: this.capacity, bytes: used };
  }

  /** A whole buffer written into the inactive half, then published. */
  private whole(content: Uint8Array, next: number): WriteInfo {
    const ctl = this.ctl!;
    const target = 1 - this.active;
    // Odd: a write into the inactive buffer is under way. The active one stays complete.
    Atomics.store(ctl, H_SEQ / 4, (this.seq + 1) | 0);
    try {
      writeAll(this.fd!, content, PAGE + target * this.capacity);
    } catch (err) {
      // The seq stays odd and the index unflipped: readers keep the last complete buffer.
      this.broken = true;
      throw err;
    }
    this.flip(target, next);
    return { seq: next, created: false, capacity: this.capacity, bytes: content.length };
  }

  private flip(target: number, next: number): void {
    const ctl = this.ctl!;
    // The index before the even seq: a reader that saw the old seq and then reads the new index
    // re-reads a changed seq and retries; one that reads the new seq finds the new index.
    Atomics.store(ctl, H_ACTIVE / 4, target);
    Atomics.store(ctl, H_SEQ / 4, next | 0);
    this.seq = next;
    this.active = target;
  }

  /** Write a complete new file under a temporary name and rename it over the path. */
  private create(content: Uint8Array, seq: number): WriteInfo {
    const capacity = Math.max(align(Math.ceil(content.length * 1.5), PAGE), align(this.opts.minCapacity ?? 0, PAGE));
    const tmp = `${this.path}.${process.pid}.tmp`;
    // The previous run's file, opened before the rename so it can be marked superseded after it.
    const previous = this.fd ?? openExisting(this.path);
    const fd = openSync(tmp, "w+", 0o644);
    let ctl: Int32Array;
    try {
      writeAll(fd, encodeHeader(seq, capacity), 0);
      // The version in both buffers (buffer 0 is the active one), each padded with zeros: every
      // byte written, none left sparse, since a page of a mapped file that cannot be allocated
      // later (disk full) would be a SIGBUS in a reader, not an error here.
      const zeros = new Uint8Array(Math.min(1 << 20, capacity));
      for (const base of [PAGE, PAGE + capacity]) {
        writeAll(fd, content, base);
        for (let at = base + content.length; at < base + capacity; at += zeros.length) {
          writeAll(fd, zeros.subarray(0, Math.min(zeros.length, base + capacity - at)), at);
        }
      }
      const map = Bun.mmap(tmp, { size: PAGE });
      ctl = new Int32Array(map.buffer, map.byteOffset, FILE_HEADER_BYTES / 4);
      renameSync(tmp, this.path);
    } catch (err) {
      closeSync(fd);
      try {
        unlinkSync(tmp);
      } catch {}
      if (previous !== null && previous !== this.fd) closeSync(previous);
      throw err;
    }
    if (previous !== null) {
      // A single byte (bit 0 of the flags word), so no reader can see a torn value.
      try {
        writeSync(previous, new Uint8Array([FLAG_SUPERSEDED]), 0, 1, H_FLAGS);
      } finally {
        closeSync(previous);
      }
    }
    this.fd = fd;
    this.ctl = ctl;
    this.capacity = capacity;
    this.seq = seq;
    this.active = 0;
    this.broken = false;
    return { seq, created: true, capacity, bytes: content.length };
  }

  /** Close the descriptor. The file stays: it is the last active config, readable offline. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.ctl = null;
  }
}

/** An existing keel snapshot at `path` opened for writing its flags, or null when there is none. */
function openExisting(path: string): number | null {
  let fd: number;
  try {
    fd = openSync(path, "r+");
  } catch {
    return null;
  }
  if (!hasMagic(fd)) {
    closeSync(fd);
    return null;
  }
  return fd;
}

function hasMagic(fd: number): boolean {
  const head = new Uint8Array(FILE_HEADER_BYTES);
  if (fstatSync(fd).size < FILE_HEADER_BYTES || readSync(fd, head, 0, FILE_HEADER_BYTES, 0) < FILE_HEADER_BYTES) return false;
  return new TextDecoder().decode(head.subarray(0, 8)) === MAGIC;
}

/** The seq of an existing snapshot at `path` (0 when none), so the counter keeps rising across restarts. */
function previousSeq(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return 0;
  }
  try {
    if (!hasMagic(fd)) return 0;
    const word = new Uint8Array(4);
    readSync(fd, word, 0, 4, H_SEQ);
    return new DataView(word.buffer).getUint32(0, true);
  } finally {
    closeSync(fd);
  }
}

export interface ExportOptions {
  readonly path: string;
  readonly bus: EventBus;
  /**
   * The active Snapshot and its version number, read together at write time, and, when that
   * version was a one-symbol patch, what it did (engine.ts lastPatch).
   */
  readonly current: () => { readonly snapshot: Snapshot; readonly version: number; readonly patch?: { readonly version: number; readonly change: SymbolChange } | null };
  readonly log: (line: string) => void;
  readonly onError: (err: unknown) => void;
  readonly writer?: WriterOptions;
}

/**
 * Write the active version now and again on every config_changed. Writes are synchronous, in the
 * subscriber: the file shows a version before the API answers the request that activated it.
 */
export function startSnapshotExport(o: ExportOptions): { stop(): void } {
  const writer = new SnapshotFileWriter(o.path, o.writer);
  const write = () => {
    const { snapshot, version, patch } = o.current();
    try {
      // An update of one symbol (or of one this host does not compile) keeps the layout.
      const c = patch?.version === version ? patch.change : null;
      const changed = c?.kind === "update" ? [c.index] : c?.kind === "none" ? [] : undefined;
      const w = writer.write(snapshot, version, Date.now(), changed);
      if (w.created) o.log(`snapshot export: config v${version} in ${o.path} (new file, ${w.capacity} bytes per buffer, seq ${w.seq})`);
    } catch (err) {
      o.onError(err);
    }
  };
  write();
  const unsubscribe = o.bus.subscribe((e) => {
    if (e.type === "config_changed") write();
  });
  return {
    stop() {
      unsubscribe();
      writer.close();
    },
  };
}
