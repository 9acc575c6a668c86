/**
 * CRC-32 (IEEE 802.3, zlib's crc32) of a message updated for a change to a few of its bytes, in
 * time that does not grow with the message's length: a one-symbol patch re-publishes a 20 MB
 * snapshot buffer by rewriting one 160-byte record, and its CRC must follow without reading the
 * other 20 MB.
 *
 * CRC-32 is affine over GF(2): for two messages of equal length, crc(M xor D) = crc(M) xor
 * raw(D), where raw is the bare register transform (initial value 0, no final xor). Leading zero
 * bytes leave a zero register at zero, so raw(D) for a change at [at, at + n) of an L-byte message
 * is raw(change bytes) carried through the L - at - n zero bytes after them. Carrying a register
 * through k zero bytes is a linear map: zlib's crc32_combine builds it by squaring the one-zero-bit
 * operator; here the operators for 2^j zero bytes are built once and applied per set bit of k.
 */

const POLY = 0xedb88320;

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? POLY ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** A 32x32 GF(2) matrix as 32 column words; times(m, v) = m . v. */
function times(m: Uint32Array, v: number): number {
  let sum = 0;
  for (let k = 0; v !== 0; k++, v >>>= 1) if (v & 1) sum ^= m[k]!;
  return sum >>> 0;
}

function square(m: Uint32Array): Uint32Array {
  const out = new Uint32Array(32);
  for (let k = 0; k < 32; k++) out[k] = times(m, m[k]!);
  return out;
}

/** ZEROS[j]: the register carried through 2^j zero bytes. */
const ZEROS: Uint32Array[] = (() => {
  // One zero bit: the register shifts right, folding in the polynomial when its low bit was set.
  let op: Uint32Array = new Uint32Array(32);
  op[0] = POLY;
  for (let k = 1; k < 32; k++) op[k] = (1 << (k - 1)) >>> 0;
  for (let b = 0; b < 3; b++) op = square(op); // 8 bits: one byte
  const out: Uint32Array[] = [op];
  for (let j = 1; j < 48; j++) out.push(square(out[j - 1]!));
  return out;
})();

/** The bare register (initial 0, no final xor) after `bytes`. */
function raw(bytes: Uint8Array): number {
  let c = 0;
  for (let k = 0; k < bytes.length; k++) c = TABLE[(c ^ bytes[k]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

/** A register carried through `n` zero bytes. */
function throughZeros(reg: number, n: number): number {
  for (let j = 0; n > 0 && reg !== 0; j++, n = Math.floor(n / 2)) if (n % 2 === 1) reg = times(ZEROS[j]!, reg);
  return reg;
}

/**
 * The CRC-32 of a `length`-byte message whose bytes at [at, at + before.length) changed from
 * `before` to `after`, given the CRC of the message before the change.
 */
export function crc32Update(crc: number, length: number, at: number, before: Uint8Array, after: Uint8Array): number {
  if (before.length !== after.length) throw new Error("crc32Update: a change keeps the length");
  if (at < 0 || at + before.length > length) throw new Error("crc32Update: the change is outside the message");
  const d = new Uint8Array(before.length);
  for (let k = 0; k < d.length; k++) d[k] = before[k]! ^ after[k]!;
  return (crc ^ throughZeros(raw(d), length - at - d.length)) >>> 0;
}
