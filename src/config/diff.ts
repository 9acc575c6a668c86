/**
 * The change list between two versions of the document: `[{ path, from, to }]`, one entry per
 * changed leaf, in canonical key order. A key present on one side only (a symbol added or
 * removed, an override appearing) is one entry for the whole subtree, with `null` on the missing
 * side, so adding a symbol reads as one line, not five. Documents are compared after parsing, so
 * a default written out and the same default left implicit are no change.
 */
import { formatPath } from "./errors.ts";

export interface Change {
  readonly path: string;
  /** The old value; null when the key did not exist. */
  readonly from: unknown;
  /** The new value; null when the key was removed. */
  readonly to: unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Every difference between two parsed documents (or any two JSON-like values).
 * @example diff({ a: { b: 1 } }, { a: { b: 2 } }) // [{ path: "a.b", from: 1, to: 2 }]
 */
export function diff(from: unknown, to: unknown): Change[] {
  return diffAt([], from, to);
}

/**
 * The differences between two values that sit at `path` in their documents: a one-symbol patch
 * compares that symbol's entries only, not two whole documents.
 */
export function diffAt(path: readonly string[], from: unknown, to: unknown): Change[] {
  const out: Change[] = [];
  if (from === undefined && to !== undefined) out.push({ path: formatPath(path), from: null, to });
  else if (to === undefined && from !== undefined) out.push({ path: formatPath(path), from, to: null });
  else walk(from, to, [...path], out);
  return out;
}

function walk(a: unknown, b: unknown, path: string[], out: Change[]): void {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const inA = Object.hasOwn(a, k) && a[k] !== undefined;
      const inB = Object.hasOwn(b, k) && b[k] !== undefined;
      if (inA && inB) walk(a[k], b[k], [...path, k], out);
      else if (inA) out.push({ path: formatPath([...path, k]), from: a[k], to: null });
      else if (inB) out.push({ path: formatPath([...path, k]), from: null, to: b[k] });
    }
    return;
  }
  if (!sameValue(a, b)) out.push({ path: formatPath(path), from: a ?? null, to: b ?? null });
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  // Arrays do not occur in the document today; compare them whole if they ever do.
  return Array.isArray(a) && Array.isArray(b) && JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The change list of a config write: between the whole documents, or, for a write that changed
 * one symbol's entry only (PATCH, DELETE), between that entry's two sides.
 */
export function changesOf(from: unknown, to: unknown, symbol?: string): Change[] {
  if (symbol === undefined) return diff(from, to);
  return diffAt(["symbols", symbol], entryOf(from, symbol), entryOf(to, symbol));
}

function entryOf(doc: unknown, symbol: string): unknown {
  const symbols = (doc as { symbols?: Record<string, unknown> } | null)?.symbols;
  return symbols !== undefined && Object.hasOwn(symbols, symbol) ? symbols[symbol] : undefined;
}
