/**
 * The whole off-hot-path pipeline for one version: text -> parse -> validate -> canonical hash
 * -> compile. Every entry point (CLI, start-up, admin API) goes through here, so a document is
 * judged the same way wherever it comes from.
 */
import { canonicalize } from "./canonical.ts";
import { compile } from "./compile.ts";
import type { ConfigIssue, ConfigWarning } from "./errors.ts";
import type { HashTrie } from "./hash-trie.ts";
import { parseText, type Format } from "./load.ts";
import type { ConfigDocument } from "./schema.ts";
import type { Shard } from "./shard.ts";
import type { Snapshot } from "./snapshot.ts";
import { validate } from "./validate.ts";

/** A validated, compiled version, ready to swap in. */
export interface Prepared {
  readonly ok: true;
  readonly document: ConfigDocument;
  readonly canonical: string;
  readonly hash: string;
  readonly warnings: ConfigWarning[];
  readonly snapshot: Snapshot;
  /** The symbol table's hash trie, when prepared on this thread (a patch starts from it). */
  readonly trie?: HashTrie;
}

export type PrepareResult = Prepared | { readonly ok: false; readonly issues: ConfigIssue[]; readonly warnings: ConfigWarning[] };

/** Validate and compile a raw (already parsed) value; a shard compiles only the symbols it owns. */
export function prepareValue(raw: unknown, shard?: Shard): PrepareResult {
  const v = validate(raw);
  if (!v.ok) return v;
  const { canonical, hash, trie } = canonicalize(v.document);
  return { ok: true, document: v.document, canonical, hash, trie, warnings: v.warnings, snapshot: compile(v.document, hash, v.resolution, shard) };
}

/** Parse, validate and compile TOML or JSON text. */
export function prepareText(text: string, format: Format, shard?: Shard): PrepareResult {
  const parsed = parseText(text, format);
  if (!parsed.ok) return { ok: false, issues: [parsed.issue], warnings: [] };
  return prepareValue(parsed.value, shard);
}
