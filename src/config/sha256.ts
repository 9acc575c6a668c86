/** sha256 (lower-case hex) of a string's UTF-8 bytes: the one digest config hashing uses. */
export function sha256(text: string): string {
  return new Bun.CryptoHasher("sha256").update(text).digest("hex");
}
