/**
 * The canonical form of a document: defaults filled (by parsing), keys sorted at every level, no
 * whitespace. Its sha256 is the version's identity, so the same config written as TOML or JSON,
 * with keys in any order, has the same hash.
 */
import type { ConfigDocument } from "./schema.ts";

/**
 * JSON with object keys sorted recursively. Objects whose keys are already in order (most of a
 * parsed document) pass through untouched, and the one native JSON.stringify does the writing.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, sortKeys);
}

function sortKeys(this: unknown, _key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  let sorted = true;
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      sorted = false;
      break;
    }
  }
  if (sorted) return value;
  keys.sort();
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = obj[k];
  return out;
}

/** sha256 (hex) of a string. */
export function sha256(text: string): string {
  return new Bun.CryptoHasher("sha256").update(text).digest("hex");
}

/** The canonical text of a parsed document and its hash. */
export function canonicalize(doc: ConfigDocument): { canonical: string; hash: string } {
  const canonical = canonicalJson(doc);
  return { canonical, hash: sha256(canonical) };
}
