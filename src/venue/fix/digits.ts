/**
 * Numbers, times and ASCII written as bytes in place, for the wire: no string is built, nothing is
 * allocated. Integers use int32 arithmetic (`(x / 10) | 0`): float floor and modulo made the
 * NewOrderSingle encode three times slower. A timestamp's date part is computed once a day.
 */

/** FIX UTCTimestamp with milliseconds: `YYYYMMDD-HH:MM:SS.sss`. */
export function fixTime(ms: number): string {
  const out = new Uint8Array(21);
  writeTime(out, 0, ms);
  return Buffer.from(out).toString("latin1");
}

// The date part changes once a day: computed then, copied otherwise.
let cachedDay = Number.NaN;
const cachedDate = new Uint8Array(8);

function civilDate(days: number): void {
  // Civil-from-days (H. Hinnant), once per day.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  digitsFixed(cachedDate, 0, y, 4);
  digitsFixed(cachedDate, 4, m, 2);
  digitsFixed(cachedDate, 6, d, 2);
  cachedDay = days;
}

/** Write `YYYYMMDD-HH:MM:SS.sss` for epoch `ms` at `at` without allocating; returns the end. */
export function writeTime(out: Uint8Array, at: number, ms: number): number {
  const t = Math.floor(ms);
  const days = Math.floor(t / 86_400_000);
  if (days !== cachedDay) civilDate(days);
  // Within the day everything fits an int32: integer division by `| 0`, no float floor.
  let rem = (t - days * 86_400_000) | 0;
  const h = (rem / 3_600_000) | 0;
  rem -= h * 3_600_000;
  const mi = (rem / 60_000) | 0;
  rem -= mi * 60_000;
  const sec = (rem / 1000) | 0;
  const milli = rem - sec * 1000;
  for (let k = 0; k < 8; k++) out[at + k] = cachedDate[k]!;
  let p = at + 8;
  out[p++] = 0x2d; // -
  p = digitsFixed(out, p, h, 2);
  out[p++] = 0x3a; // :
  p = digitsFixed(out, p, mi, 2);
  out[p++] = 0x3a;
  p = digitsFixed(out, p, sec, 2);
  out[p++] = 0x2e; // .
  return digitsFixed(out, p, milli, 3);
}

/** `width` digits of an int32 `v`, zero-padded. */
function digitsFixed(out: Uint8Array, at: number, v: number, width: number): number {
  let x = v | 0;
  for (let k = width - 1; k >= 0; k--) {
    const q = (x / 10) | 0;
    out[at + k] = 0x30 + (x - q * 10);
    x = q;
  }
  return at + width;
}

const INT32_MAX = 2_147_483_647;

/** Write a non-negative integer's digits at `at`; returns the end. */
export function writeInt(out: Uint8Array, at: number, v: number): number {
  if (v > INT32_MAX) return writeBig(out, at, v);
  let x = v | 0;
  let n = 1;
  for (let y = x; y >= 10; y = (y / 10) | 0) n++;
  for (let k = at + n - 1; k >= at; k--) {
    const q = (x / 10) | 0;
    out[k] = 0x30 + (x - q * 10);
    x = q;
  }
  return at + n;
}

/** Integers beyond int32: the slow, exact way. */
function writeBig(out: Uint8Array, at: number, v: number): number {
  let n = 0;
  for (let x = v; x >= 1; x = Math.floor(x / 10)) n++;
  let x = v;
  for (let k = at + n - 1; k >= at; k--) {
    out[k] = 0x30 + (x % 10);
    x = Math.floor(x / 10);
  }
  return at + n;
}

const SCALE = 1e8;
/** Above this a value's whole part is no longer an int32: written the slow way. */
const FAST_MAX = 2e9;

/**
 * Write a finite, non-negative decimal with at most 8 decimals, trailing zeros trimmed (190.13,
 * 100, 0.00012345) without allocating; returns the end. Prices and quantities on a tick or lot
 * grid come out as the grid value: the fraction is rounded to 8 decimals, which absorbs the
 * binary representation error (190.13 is 190.12999999999999545 as a double).
 */
export function writeDecimal(out: Uint8Array, at: number, x: number): number {
  if (!(x >= 0) || x >= FAST_MAX) {
    const s = String(+x.toFixed(8));
    for (let k = 0; k < s.length; k++) out[at + k] = s.charCodeAt(k);
    return at + s.length;
  }
  let whole = Math.floor(x);
  // x - whole is exact; its fraction times 1e8 is below 2^31.
  let frac = Math.round((x - whole) * SCALE) | 0;
  if (frac >= SCALE) {
    whole += 1;
    frac = 0;
  }
  const p = writeInt(out, at, whole);
  if (frac === 0) return p;
  let width = 8;
  for (let q = (frac / 10) | 0; frac === q * 10; q = (frac / 10) | 0) {
    frac = q;
    width--;
  }
  out[p] = 0x2e;
  return digitsFixed(out, p + 1, frac, width);
}

/** Write an ASCII string's bytes (callers pass only checked ASCII); returns the end. */
export function writeAscii(out: Uint8Array, at: number, s: string): number {
  for (let k = 0; k < s.length; k++) out[at + k] = s.charCodeAt(k);
  return at + s.length;
}
