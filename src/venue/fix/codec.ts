/**
 * The FIX tag=value wire format: `8=FIX.4.4<SOH>9=<BodyLength><SOH>35=...<SOH>...10=<CheckSum><SOH>`.
 *
 * BodyLength counts the bytes from the first field after itself (35=) up to and including the SOH
 * before `10=`; CheckSum is the sum of every byte before `10=`, modulo 256, as three digits.
 * Reading is where a gateway meets bytes it did not write, so the reader validates all of it and
 * never throws: a frame with a wrong CheckSum is dropped (the FIX rule: the sequence gap it leaves
 * is recovered by a ResendRequest), and bytes that cannot be framed at all are skipped up to the
 * next `8=FIX.4.4`. Each problem is reported as data, and the stream goes on.
 *
 * Encoding here is the general, allocating path for session messages and cancels; the hot path
 * (NewOrderSingle) has its own encoder writing into a reused buffer (order-encoder.ts), with the
 * same framing helpers; the digit writers are in digits.ts.
 */
import { BEGIN_STRING, SOH, T_MSG_TYPE, T_SEQ } from "./tags.ts";

/** The largest body accepted; a BodyLength above it is garbage, not a message to wait for. */
export const MAX_BODY = 64 * 1024;

/** A parsed message: its type, sequence number, and every field by tag (the last of a repeated tag). */
export class FixMessage {
  constructor(
    readonly type: string,
    readonly seq: number,
    readonly fields: ReadonlyMap<number, string>,
    /** The whole frame as text with SOH shown as `|`, for logs and errors. */
    readonly text: string,
  ) {}

  get(tag: number): string | undefined {
    return this.fields.get(tag);
  }

  /** A field as a finite number, or NaN when absent or not a number. */
  num(tag: number): number {
    const v = this.fields.get(tag);
    if (v === undefined || v.length === 0 || !NUMBER.test(v)) return Number.NaN;
    return Number(v);
  }

  /** A field as an integer >= 0, or -1 when absent or not one. */
  int(tag: number): number {
    const v = this.fields.get(tag);
    if (v === undefined || !DIGITS.test(v) || v.length > 15) return -1;
    return Number(v);
  }

  flag(tag: number): boolean {
    return this.fields.get(tag) === "Y";
  }
}

const NUMBER = /^-?\d+(\.\d+)?$/;
const DIGITS = /^\d+$/;

/** Why some received bytes were not a message. */
export interface WireError {
  readonly code: "garbled" | "body_length" | "checksum" | "field";
  readonly message: string;
}

/** Sum of bytes [start, end) modulo 256: the FIX CheckSum. */
export function checksum(buf: Uint8Array, start: number, end: number): number {
  let s = 0;
  for (let k = start; k < end; k++) s += buf[k]!;
  return s & 255;
}

const PREFIX = Buffer.from(`8=${BEGIN_STRING}\x019=`, "latin1");

/**
 * Frames and parses a byte stream. `push` the bytes as they arrive; complete messages go to
 * `onMessage`, problems to `onError`, in stream order. A partial frame waits for more bytes.
 */
export class FrameReader {
  private buf = Buffer.alloc(16 * 1024);
  private start = 0;
  private end = 0;

  constructor(
    private readonly onMessage: (m: FixMessage) => void,
    private readonly onError: (e: WireError) => void,
  ) {}

  /** Bytes held waiting for the rest of a frame. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** Forget any partial frame (a new connection starts clean). */
  reset(): void {
    this.start = 0;
    this.end = 0;
  }

  push(chunk: Uint8Array): void {
    this.append(chunk);
    while (this.start < this.end && this.next()) {
      // next() consumed one frame or skipped garbage
    }
    if (this.start === this.end) this.start = this.end = 0;
  }

  private append(chunk: Uint8Array): void {
    const need = this.end + chunk.length;
    if (need > this.buf.length) {
      const live = this.end - this.start;
      if (live + chunk.length <= this.buf.length && this.start > 0) {
        this.buf.copy(this.buf, 0, this.start, this.end);
      } else {
        const next = Buffer.alloc(Math.max(this.buf.length * 2, live + chunk.length));
        this.buf.copy(next, 0, this.start, this.end);
        this.buf = next;
      }
      this.start = 0;
      this.end = live;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /** Handle one frame (or one stretch of garbage); false when more bytes are needed. */
  private next(): boolean {
    const b = this.buf;
    const s = this.start;
    const avail = this.end - s;
    // The fixed prefix, as far as we have it.
    const p = Math.min(avail, PREFIX.length);
    for (let k = 0; k < p; k++) {
      if (b[s + k] !== PREFIX[k]) return this.skip(`expected 8=${BEGIN_STRING}<SOH>9= at the start of a message`, "garbled");
    }
    if (avail < PREFIX.length) return false;
    // BodyLength: digits then SOH.
    let k = s + PREFIX.length;
    let len = 0;
    let digits = 0;
    while (k < this.end && b[k]! >= 0x30 && b[k]! <= 0x39 && digits < 8) {
      len = len * 10 + (b[k]! - 0x30);
      k++;
      digits++;
    }
    if (k === this.end) return false;
    if (digits === 0 || b[k] !== SOH) return this.skip("BodyLength (9) is not a number", "body_length");
    if (len > MAX_BODY) return this.skip(`BodyLength (9) ${len} is over ${MAX_BODY}`, "body_length");
    const bodyStart = k + 1;
    const bodyEnd = bodyStart + len;
    const frameEnd = bodyEnd + 7; // 10=NNN<SOH>
    if (frameEnd > this.end) return false;
    if (b[bodyEnd] !== 0x31 || b[bodyEnd + 1] !== 0x30 || b[bodyEnd + 2] !== 0x3d || b[bodyEnd + 6] !== SOH || (len > 0 && b[bodyEnd - 1] !== SOH)) {
      return this.skip(`BodyLength (9) ${len} does not end where the CheckSum (10) field starts`, "body_length");
    }
    const d0 = b[bodyEnd + 3]! - 0x30;
    const d1 = b[bodyEnd + 4]! - 0x30;
    const d2 = b[bodyEnd + 5]! - 0x30;
    const text = b.toString("latin1", s, frameEnd).replaceAll("\x01", "|");
    this.start = frameEnd;
    if (d0 < 0 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) {
      this.onError({ code: "checksum", message: `CheckSum (10) is not three digits; dropped ${text}` });
      return true;
    }
    const got = d0 * 100 + d1 * 10 + d2;
    const want = checksum(b, s, bodyEnd);
    if (got !== want) {
      this.onError({ code: "checksum", message: `CheckSum (10) ${pad3(got)} is not ${pad3(want)}, the sum of the bytes; dropped ${text}` });
      return true;
    }
    const fields = new Map<number, string>();
    let first = -1;
    let q = bodyStart;
    while (q < bodyEnd) {
      let tag = 0;
      let td = 0;
      while (q < bodyEnd && b[q]! >= 0x30 && b[q]! <= 0x39 && td < 9) {
        tag = tag * 10 + (b[q]! - 0x30);
        q++;
        td++;
      }
      if (td === 0 || tag === 0 || b[q] !== 0x3d) {
        this.onError({ code: "field", message: `a field is not tag=value at byte ${q - s}; dropped ${text}` });
        return true;
      }
      const vs = ++q;
      while (q < bodyEnd && b[q] !== SOH) q++;
      if (q === vs) {
        this.onError({ code: "field", message: `tag ${tag} has an empty value; dropped ${text}` });
        return true;
      }
      if (first < 0) first = tag;
      fields.set(tag, b.toString("latin1", vs, q));
      q++;
    }
    const type = fields.get(T_MSG_TYPE);
    if (first !== T_MSG_TYPE || type === undefined) {
      this.onError({ code: "field", message: `MsgType (35) is not the first field of the body; dropped ${text}` });
      return true;
    }
    const seqText = fields.get(T_SEQ);
    const seq = seqText !== undefined && DIGITS.test(seqText) && seqText.length < 16 ? Number(seqText) : -1;
    if (seq < 1) {
      this.onError({ code: "field", message: `MsgSeqNum (34) is missing or not a positive integer; dropped ${text}` });
      return true;
    }
    this.onMessage(new FixMessage(type, seq, fields, text));
    return true;
  }

  /** Drop bytes up to the next possible start of a message; reports once per stretch. */
  private skip(why: string, code: WireError["code"]): boolean {
    const b = this.buf;
    // The next "8=FIX" after the current start (a frame never starts inside its own first byte).
    let k = this.start + 1;
    let found = -1;
    for (; k + 4 < this.end; k++) {
      if (b[k] === 0x38 && b[k + 1] === 0x3d && b[k + 2] === 0x46 && b[k + 3] === 0x49 && b[k + 4] === 0x58) {
        found = k;
        break;
      }
    }
    let to = found;
    if (found < 0) {
      // Keep a tail that may be the first bytes of the next message; drop the rest.
      to = this.end;
      for (let j = Math.max(this.start + 1, this.end - 4); j < this.end; j++) {
        if (startsFix(b, j, this.end)) {
          to = j;
          break;
        }
      }
    }
    const sample = b.toString("latin1", this.start, Math.min(to, this.start + 64)).replaceAll("\x01", "|");
    this.onError({ code, message: `${why}; skipped ${to - this.start} byte(s): ${JSON.stringify(sample)}` });
    this.start = to;
    return true;
  }
}

const FIX_START = [0x38, 0x3d, 0x46, 0x49, 0x58]; // "8=FIX"

/** Bytes [j, end) are the beginning of "8=FIX". */
function startsFix(b: Uint8Array, j: number, end: number): boolean {
  for (let k = 0; j + k < end; k++) if (b[j + k] !== FIX_START[k]) return false;
  return true;
}

function pad3(n: number): string {
  return String(n).padStart(3, "0");
}

/**
 * A whole message from its body fields (35 first), framed: BeginString, BodyLength, CheckSum.
 * Values must not contain SOH; the caller's fields come from config checked for that, or numbers.
 */
export function encodeMessage(body: ReadonlyArray<readonly [number, string | number]>): Uint8Array {
  let text = "";
  for (const [tag, value] of body) {
    const v = String(value);
    if (v.length === 0 || v.includes("\x01")) throw new Error(`FIX field ${tag} must be non-empty and free of SOH, got ${JSON.stringify(v)}`);
    text += `${tag}=${v}\x01`;
  }
  const bodyBytes = Buffer.from(text, "latin1");
  const head = Buffer.from(`8=${BEGIN_STRING}\x019=${bodyBytes.length}\x01`, "latin1");
  const out = new Uint8Array(head.length + bodyBytes.length + 7);
  out.set(head, 0);
  out.set(bodyBytes, head.length);
  const end = head.length + bodyBytes.length;
  writeTrailer(out, end, checksum(out, 0, end));
  return out;
}

/** Write `10=NNN<SOH>` at `at`; returns the end. */
export function writeTrailer(out: Uint8Array, at: number, sum: number): number {
  out[at] = 0x31;
  out[at + 1] = 0x30;
  out[at + 2] = 0x3d;
  out[at + 3] = 0x30 + ((sum / 100) | 0);
  out[at + 4] = 0x30 + (((sum / 10) | 0) % 10);
  out[at + 5] = 0x30 + (sum % 10);
  out[at + 6] = SOH;
  return at + 7;
}
