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
  const parts = new Map<string, string>();
  let symbols = "";
  for (let i = 0; i < names.length; i++) {
    const t = entryText(doc, names[i]!);
    parts.set(names[i]!, t);
    symbols += (i === 0 ? "" : ",") + t;
  }
  const trie = HashTrie.build(names, (n) => parts.get(n)!);
  // Later updates read the live document; the texts of this build are not kept.
  trie.rebind((n) => entryText(doc, n));
  return { canonical: withSymbols(doc, `{${symbols}}`), hash: documentHash(doc, trie.digest), trie };
}
