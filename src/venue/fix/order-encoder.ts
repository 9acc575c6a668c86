/**
 * NewOrderSingle (D) on the hot path: the bytes that never change (comp ids, tag numbers, '=' and
 * SOH) are encoded once into template segments; each order copies them and writes its own values
 * (seq, times, ClOrdID number, symbol, side, quantity, price, time in force) as ASCII digits into
 * one reused buffer. No string is built, no JSON, no object per order. The body is written first
 * at a fixed offset, then the header is written right-aligned in front of it once BodyLength is
 * known, then the CheckSum after it: the message is `buf[start, end)`.
 *
 * Field order: 35 49 56 34 52 | 11 21 55 54 60 38 40 44 59. Orders go out as limits (40=2): a
 * market order is sent as a limit at its slippage bound (see fix-venue.ts).
 */
import { checksum, writeTrailer } from "./codec.ts";
import { writeAscii, writeDecimal, writeInt, writeTime } from "./digits.ts";
import { BEGIN_STRING, SOH } from "./tags.ts";

/** Where the body starts: room for `8=FIX.4.4<SOH>9=NNNNN<SOH>` in front of it. */
const BODY = 32;
const TIME_LEN = 21;

function seg(s: string): Uint8Array {
  return Buffer.from(s.replaceAll("|", "\x01"), "latin1");
}

export class OrderEncoder {
  /** The reused output buffer; the last message is `buf[start, end)`. */
  readonly buf = new Uint8Array(1024);
  start = 0;
  end = 0;
  private readonly head: Uint8Array;
  private readonly sendingTime = seg("|52=");
  private readonly clOrd: Uint8Array;
  private readonly symbolTag = seg("|21=1|55=");
  private readonly sideTag = seg("|54=");
  private readonly transactTag = seg("|60=");
  private readonly qtyTag = seg("|38=");
  private readonly priceTag = seg("|40=2|44=");
  private readonly tifTag = seg("|59=");
  private readonly begin = seg(`8=${BEGIN_STRING}|9=`);

  /** `clOrdPrefix` goes before each order's number in ClOrdID (11). */
  constructor(sender: string, target: string, clOrdPrefix: string) {
    this.head = seg(`35=D|49=${sender}|56=${target}|34=`);
    this.clOrd = seg(`|11=${clOrdPrefix}`);
  }

  /**
   * Encode one order. `side` 1 buy / -1 sell; `tif` the FIX TimeInForce character code;
   * `symbol` ASCII (the config's symbol pattern guarantees it).
   */
  encode(seq: number, nowMs: number, clOrdN: number, symbol: string, side: number, qty: number, price: number, tif: number): void {
    const b = this.buf;
    let p = BODY;
    b.set(this.head, p);
    p = writeInt(b, p + this.head.length, seq);
    b.set(this.sendingTime, p);
    p += this.sendingTime.length;
    const timeAt = p;
    p = writeTime(b, p, nowMs);
    b.set(this.clOrd, p);
    p = writeInt(b, p + this.clOrd.length, clOrdN);
    b.set(this.symbolTag, p);
    p = writeAscii(b, p + this.symbolTag.length, symbol);
    b.set(this.sideTag, p);
    p += this.sideTag.length;
    b[p++] = side > 0 ? 0x31 : 0x32;
    b.set(this.transactTag, p);
    p += this.transactTag.length;
    b.copyWithin(p, timeAt, timeAt + TIME_LEN);
    p += TIME_LEN;
    b.set(this.qtyTag, p);
    p = writeDecimal(b, p + this.qtyTag.length, qty);
    b.set(this.priceTag, p);
    p = writeDecimal(b, p + this.priceTag.length, price);
    b.set(this.tifTag, p);
    p += this.tifTag.length;
    b[p++] = tif;
    b[p++] = SOH;
    // Header, right-aligned before the body.
    const len = p - BODY;
    let digits = 1;
    for (let x = len; x >= 10; x = Math.floor(x / 10)) digits++;
    const start = BODY - this.begin.length - digits - 1;
    b.set(this.begin, start);
    writeInt(b, start + this.begin.length, len);
    b[BODY - 1] = SOH;
    this.start = start;
    this.end = writeTrailer(b, p, checksum(b, start, p));
  }
}
