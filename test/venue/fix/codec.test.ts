/**
 * The FIX wire codec without a network: framing (BodyLength, CheckSum) computed independently
 * here and compared, the frame reader fed whole streams, byte by byte, and bytes that are not FIX
 * (a wrong CheckSum, a wrong or absurd BodyLength, garbage, broken fields), which it must report
 * and step over without throwing; and the NewOrderSingle encoder read back through the reader.
 */
import { describe, expect, test } from "bun:test";
import { checksum, encodeMessage, FixMessage, FrameReader, MAX_BODY, type WireError } from "../../../src/venue/fix/codec.ts";
import { fixTime, writeDecimal } from "../../../src/venue/fix/digits.ts";
import { OrderEncoder } from "../../../src/venue/fix/order-encoder.ts";

const SOH = "\x01";

/** A frame built by hand, the way the spec describes it, with optional damage. */
function frame(body: string, opts: { bodyLength?: number; checksum?: string } = {}): string {
  const b = body.replaceAll("|", SOH);
  const head = `8=FIX.4.4${SOH}9=${opts.bodyLength ?? Buffer.byteLength(b, "latin1")}${SOH}`;
  let sum = 0;
  for (const byte of Buffer.from(head + b, "latin1")) sum += byte;
  return `${head}${b}10=${opts.checksum ?? String(sum % 256).padStart(3, "0")}${SOH}`;
}

const HB = (seq: number) => `35=0|49=VENUE|56=KEEL|34=${seq}|52=20261125-14:30:00.000|`;

function read(chunks: (string | Uint8Array)[]): { messages: FixMessage[]; errors: WireError[] } {
  const messages: FixMessage[] = [];
  const errors: WireError[] = [];
  const r = new FrameReader((m) => messages.push(m), (e) => errors.push(e));
  for (const c of chunks) r.push(typeof c === "string" ? Buffer.from(c, "latin1") : c);
  return { messages, errors };
}

describe("encodeMessage", () => {
  test("BodyLength counts from 35= to the SOH before 10=; CheckSum is the byte sum mod 256", () => {
    const bytes = encodeMessage([[35, "0"], [49, "KEEL"], [56, "VENUE"], [34, 7], [52, "20261125-14:30:00.000"]]);
    const text = Buffer.from(bytes).toString("latin1");
    expect(text).toBe(frame("35=0|49=KEEL|56=VENUE|34=7|52=20261125-14:30:00.000|"));
    const body = text.slice(text.indexOf(`${SOH}35=`) + 1, text.lastIndexOf("10="));
    expect(text).toContain(`9=${body.length}${SOH}`);
    expect(Number(text.slice(-4, -1))).toBe(checksum(bytes, 0, bytes.length - 7));
  });

  test("refuses a value with SOH in it (it would end the field early)", () => {
    expect(() => encodeMessage([[35, "0"], [58, `a${SOH}b`]])).toThrow("free of SOH");
  });
});

describe("FrameReader", () => {
  test("reads messages whole, split byte by byte, and several in one chunk, alike", () => {
    const stream = frame(HB(1)) + frame(HB(2)) + frame("35=8|49=VENUE|56=KEEL|34=3|52=20261125-14:30:00.000|11=a-1|17=E1|150=F|31=100.5|32=10|");
    const whole = read([stream]);
    const bytes = Buffer.from(stream, "latin1");
    const split = read(Array.from(bytes, (b) => Uint8Array.of(b)));
    for (const r of [whole, split]) {
      expect(r.errors).toEqual([]);
      expect(r.messages.map((m) => [m.type, m.seq])).toEqual([["0", 1], ["0", 2], ["8", 3]]);
      expect(r.messages[2]!.num(31)).toBe(100.5);
      expect(r.messages[2]!.get(11)).toBe("a-1");
    }
  });

  test("accepts a zero-padded BodyLength (jspurefix pads to 7 digits)", () => {
    const b = HB(4).replaceAll("|", SOH);
    const padded = `8=FIX.4.4${SOH}9=${String(b.length).padStart(7, "0")}${SOH}${b}`;
    let sum = 0;
    for (const byte of Buffer.from(padded, "latin1")) sum += byte;
    const { messages, errors } = read([`${padded}10=${String(sum % 256).padStart(3, "0")}${SOH}`]);
    expect(errors).toEqual([]);
    expect(messages[0]!.seq).toBe(4);
  });

  test("a wrong CheckSum drops that message only, says why, and the next one is read", () => {
    const { messages, errors } = read([frame(HB(1), { checksum: "000" }) + frame(HB(2))]);
    expect(messages.map((m) => m.seq)).toEqual([2]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe("checksum");
    expect(errors[0]!.message).toMatch(/CheckSum \(10\) 000 is not \d{3}, the sum of the bytes; dropped 8=FIX\.4\.4\|/);
  });

  test("a CheckSum that is not three digits is reported, not parsed", () => {
    const { messages, errors } = read([frame(HB(1), { checksum: "1x3" }) + frame(HB(2))]);
    expect(messages.map((m) => m.seq)).toEqual([2]);
    expect(errors[0]!.message).toContain("not three digits");
  });

  test("a BodyLength too short or too long: reported, and reading resumes at the next message", () => {
    const len = Buffer.byteLength(HB(1).replaceAll("|", SOH));
    for (const wrong of [len - 3, len + 5]) {
      const { messages, errors } = read([frame(HB(1), { bodyLength: wrong }) + frame(HB(2)) + frame(HB(3))]);
      expect(errors.map((e) => e.code)).toEqual(["body_length"]);
      expect(errors[0]!.message).toContain(`BodyLength (9) ${wrong} does not end where the CheckSum (10) field starts`);
      expect(messages.map((m) => m.seq)).toEqual([2, 3]);
    }
  });

  test("a BodyLength that is not a number, or absurd, is garbage, not a message to wait for", () => {
    const bad = read([`8=FIX.4.4${SOH}9=abc${SOH}35=0${SOH}` + frame(HB(2))]);
    expect(bad.errors.map((e) => e.code)).toEqual(["body_length"]);
    expect(bad.messages.map((m) => m.seq)).toEqual([2]);
    const huge = read([`8=FIX.4.4${SOH}9=${MAX_BODY + 1}${SOH}35=0${SOH}` + frame(HB(3))]);
    expect(huge.errors[0]!.message).toContain(`is over ${MAX_BODY}`);
    expect(huge.messages.map((m) => m.seq)).toEqual([3]);
  });

  test("garbage before, between and after messages is skipped once per stretch; no throw, nothing lost", () => {
    const noise = Buffer.from([0xff, 0x00, 0x38, 0x3d, 0x01, 0x7f, 0x41]);
    const chunks = [noise, frame(HB(1)), "hello world", frame(HB(2)), noise];
    const { messages, errors } = read(chunks);
    expect(messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(errors.every((e) => e.code === "garbled")).toBe(true);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors.length).toBeLessThanOrEqual(3);
  });

  test("random bytes never throw, and a valid message after them is still read", () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256);
    for (let round = 0; round < 50; round++) {
      const junk = Uint8Array.from({ length: 1 + (round * 37) % 400 }, rnd);
      const { messages } = read([junk, frame(HB(9))]);
      expect(messages.at(-1)?.seq).toBe(9);
    }
  });

  test("broken fields drop the message with a reason: no '=', an empty value, MsgType not first, no MsgSeqNum", () => {
    const cases: [string, string][] = [
      ["35=0|49=VENUE|oops|34=1|", "not tag=value"],
      ["35=0|49=|34=1|", "empty value"],
      ["49=VENUE|35=0|34=1|", "MsgType (35) is not the first field"],
      ["35=0|49=VENUE|56=KEEL|", "MsgSeqNum (34) is missing"],
      ["35=0|49=VENUE|34=-4|", "MsgSeqNum (34) is missing or not a positive integer"],
    ];
    for (const [body, why] of cases) {
      const { messages, errors } = read([frame(body) + frame(HB(2))]);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.code).toBe("field");
      expect(errors[0]!.message).toContain(why);
      expect(messages.map((m) => m.seq)).toEqual([2]);
    }
  });

  test("typed reads: num and int refuse what is not a number", () => {
    const [m] = read([frame("35=8|34=1|31=12.5|32=abc|14=7|151=1e3|")]).messages;
    expect(m!.num(31)).toBe(12.5);
    expect(m!.num(32)).toBeNaN();
    expect(m!.num(151)).toBeNaN();
    expect(m!.int(14)).toBe(7);
    expect(m!.int(31)).toBe(-1);
    expect(m!.int(999)).toBe(-1);
  });
});

describe("OrderEncoder", () => {
  test("a NewOrderSingle from the template reads back with every field, framed correctly", () => {
    const e = new OrderEncoder("KEEL", "VENUE", "run1-");
    const t = Date.UTC(2026, 10, 25, 14, 30, 5, 42);
    e.encode(17, t, 3, "BRK.B", -1, 250, 190.13, "0".charCodeAt(0));
    const bytes = e.buf.slice(e.start, e.end);
    const { messages, errors } = read([bytes]);
    expect(errors).toEqual([]);
    const m = messages[0]!;
    expect(m.type).toBe("D");
    expect(m.seq).toBe(17);
    expect(Object.fromEntries(m.fields)).toEqual({
      35: "D", 49: "KEEL", 56: "VENUE", 34: "17", 52: "20261125-14:30:05.042", 11: "run1-3", 21: "1", 55: "BRK.B", 54: "2",
      60: "20261125-14:30:05.042", 38: "250", 40: "2", 44: "190.13", 59: "0",
    });
    expect(fixTime(t)).toBe("20261125-14:30:05.042");
  });

  test("the reused buffer: each message is right whatever the one before was (BodyLength digits change)", () => {
    const e = new OrderEncoder("K", "V", "r-");
    const cases = [
      [1, "A", 1, 1, 0.01],
      [99_999, "LONGSYMBOL_WITH_32_CHARACTERS_XX", 123456789, 1_000_000, 12345.6789],
      [2, "B", 5, 3, 7],
    ] as const;
    for (const [seq, sym, n, qty, px] of cases) {
      e.encode(seq, 0, n, sym, 1, qty, px, "3".charCodeAt(0));
      const { messages, errors } = read([e.buf.slice(e.start, e.end)]);
      expect(errors).toEqual([]);
      expect(messages[0]!.seq).toBe(seq);
      expect(messages[0]!.get(55)).toBe(sym);
      expect(messages[0]!.num(38)).toBe(qty);
      expect(messages[0]!.num(44)).toBe(px);
      expect(messages[0]!.get(11)).toBe(`r-${n}`);
    }
  });
});

describe("writeDecimal", () => {
  function dec(x: number): string {
    const b = new Uint8Array(64);
    return Buffer.from(b.subarray(0, writeDecimal(b, 0, x))).toString("latin1");
  }

  test("grid values come out as written, trailing zeros trimmed, up to 8 decimals", () => {
    expect(dec(190.13)).toBe("190.13");
    expect(dec(0.1 + 0.2)).toBe("0.3");
    expect(dec(100)).toBe("100");
    expect(dec(0)).toBe("0");
    expect(dec(0.00012345)).toBe("0.00012345");
    expect(dec(1234567.5)).toBe("1234567.5");
    expect(dec(200 * (1 + 25 / 10_000))).toBe("200.5");
  });

  test("a fraction that rounds up carries into the whole part", () => {
    expect(dec(1.999999999)).toBe("2");
    expect(dec(99.999999996)).toBe("100");
  });

  test("values beyond the fast range still come out right", () => {
    expect(dec(123_456_789.25)).toBe("123456789.25");
    expect(dec(5e9)).toBe("5000000000");
  });
});

describe("fixTime", () => {
  test("matches the ISO form across days, months, leap days and years (the date part is cached per day)", () => {
    const times = [Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(2024, 2, 1, 0, 0, 0, 0), Date.UTC(1999, 11, 31, 12, 34, 56, 7), Date.UTC(2026, 10, 25, 14, 30, 0, 42), Date.UTC(2100, 0, 1)];
    for (const t of [...times, ...times.reverse()]) {
      const iso = new Date(t).toISOString(); // 2024-02-29T23:59:59.999Z
      expect(fixTime(t)).toBe(`${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 23)}`);
    }
  });
});
