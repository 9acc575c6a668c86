/**
 * The canonical form of a document and its hash, the version's identity.
 *
 * Canonical text: defaults filled (by parsing), keys sorted at every level, no whitespace; the
 * same config written as TOML or JSON, with keys in any order, has the same text. GET /config
 * serves it and a version stores it.
 *
 * Hash: sha256 of the canonical text with the `symbols` table replaced by the root digest of its
 * Merkle hash trie (hash-trie.ts), written as a JSON string. Equal documents have equal hashes as
 * before, and a one-symbol PATCH re-hashes one trie leaf and the path above it, not the document.
 */
import type { ConfigDocument } from "./schema.ts";
import { HashTrie } from "./hash-trie.ts";
import { sha256 } from "./sha256.ts";

/**
 * JSON with object keys sorted recursively. A value already in key order (a parsed document is:
 * schema.ts declares every object's keys sorted) is written by the plain native JSON.stringify;
 * anything else goes through a sorting replacer.
 */
export function canonicalJson(value: unknown): string {
  return inOrder(value) ? JSON.stringify(value) : JSON.stringify(value, sortKeys);
}

/** Every object's own keys already sorted, at every level. */
function inOrder(v: unknown): boolean {
  if (v === null || typeof v !== "object") return true;
  if (Array.isArray(v)) {
    for (const x of v) if (!inOrder(x)) return false;
    return true;
  }
  // A toJSON (a Date, say) writes something else than its keys: let the replacer path see it.
  if (typeof (v as { toJSON?: unknown }).toJSON === "function") return false;
  let prev = "";
  let first = true;
  for (const k in v) {
    if (!Object.hasOwn(v, k)) return false;
    if (!first && k < prev) return false;
    first = false;
    prev = k;
    if (!inOrder((v as Record<string, unknown>)[k])) return false;
  }
  return true;
}

function sortKeys(this: unknown, _key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (isSorted(keys)) return value;
  keys.sort();
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = obj[k];
  return out;
}

function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return false;
  return true;
}

/** One symbol's part of the canonical text: `json(name):canonical(entry)`. */
export function entryText(doc: ConfigDocument, name: string): string {
  return `${JSON.stringify(name)}:${canonicalJson(doc.symbols[name])}`;
}

/** The canonical text of `doc` with the `symbols` value written as `symbolsJson`. */
function withSymbols(doc: ConfigDocument, symbolsJson: string): string {
  const top = doc as unknown as Record<string, unknown>;
  let out = "";
  for (const k of Object.keys(top).sort()) {
    if (top[k] === undefined) continue;
    out += `${out === "" ? "{" : ","}${JSON.stringify(k)}:${k === "symbols" ? symbolsJson : canonicalJson(top[k])}`;
  }
  return `${out === "" ? "{" : out}}`;
}

/** The document hash, given the root digest of its symbol trie (see the file comment). */
export function documentHash(doc: ConfigDocument, symbolsDigest: string): string {
  return sha256(withSymbols(doc, JSON.stringify(symbolsDigest)));
}

/** The canonical text of a parsed document (computed from scratch). */
export function canonicalText(doc: ConfigDocument): string {
  const names = Object.keys(doc.symbols);
  if (!isSorted(names)) names.sort();
  let symbols = "";
  for (let i = 0; i < names.length; i++) symbols += (i === 0 ? "" : ",") + entryText(doc, names[i]!);
  return withSymbols(doc, `{${symbols}}`);
}

/** The canonical text of a parsed document and its hash, each symbol's text written once. */
export function canonicalize(doc: ConfigDocument): { canonical: string; hash: string; trie: HashTrie } {
  const names = Object.keys(doc.symbols);
  if (!isSorted(names)) names.sort();
  const texts = names.map((n) => entryText(doc, n));
  // Later updates read the live document; the texts of this build are not kept.
  const trie = HashTrie.build(names, (n) => entryText(doc, n), texts);
  const symbols = texts.join(",");
  return { canonical: withSymbols(doc, `{${symbols}}`), hash: documentHash(doc, trie.digest), trie };
}
