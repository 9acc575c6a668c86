/**
 * The symbol table's share of a version's hash, kept as a Merkle hash trie so that a one-symbol
 * PATCH re-hashes one small leaf and the few nodes above it instead of an 11 MB document.
 *
 * Shape (a pure function of the set of symbol names, so every writer builds the same trie):
 *   - a symbol's key is FNV-1a 32 of its name's UTF-8 bytes; the node at depth d splits on the
 *     d-th 4-bit nibble of the key, most significant first (16 children, at most 8 levels);
 *   - a node holding at most LEAF_MAX symbols, or at depth 8, is a leaf; otherwise it is a branch.
 * Digests (lower-case hex sha256):
 *   - leaf: sha256 of its entries in name order, each `json(name):canonical(entry)`, joined by ",";
 *   - branch: sha256 of its 16 children's digests concatenated, an empty child as 64 "0"s.
 * The document hash (canonical.ts) covers everything else in the document plus the root digest;
 * docs/architecture.md ("The config hash") spells it out for other implementations.
 */
import { sha256 } from "./sha256.ts";

/** A leaf holds at most this many symbols (unless it sits at the last level). */
export const LEAF_MAX = 32;
const MAX_DEPTH = 8;
const EMPTY_CHILD = "0".repeat(64);

/** FNV-1a 32 over the UTF-8 bytes of a name. */
export function nameKey(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x80) {
      h = Math.imul(h ^ c, 0x01000193);
      continue;
    }
    // Rare: hash the rest of the name by its UTF-8 bytes.
    for (const b of new TextEncoder().encode(name.slice(i))) h = Math.imul(h ^ b, 0x01000193);
    break;
  }
  return h >>> 0;
}

function nibble(key: number, depth: number): number {
  return (key >>> (28 - 4 * depth)) & 15;
}

/** The text of one symbol's entry as it is hashed: `json(name):canonical(entry)`. */
export type EntryText = (name: string) => string;

interface Leaf {
  leaf: true;
  /** Names in code-unit order (the canonical document's key order). */
  names: string[];
  digest: string;
}

interface Branch {
  leaf: false;
  children: (Node | null)[];
  count: number;
  digest: string;
}

type Node = Leaf | Branch;

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class HashTrie {
  private root: Node;

  private constructor(
    root: Node,
    private readonly text: EntryText,
  ) {
    this.root = root;
  }

  /**
   * Build over `names`; `text(name)` gives each entry's hashed text (see the file comment).
   * `texts`, when given, holds them already, index for index with `names` (a whole document's
   * build: no look-up per name).
   */
  static build(names: readonly string[], text: EntryText, texts?: readonly string[]): HashTrie {
    return new HashTrie(subtree(names, texts === undefined ? (i) => text(names[i]!) : (i) => texts[i]!, 0), text);
  }

  /** The root digest. */
  get digest(): string {
    return this.root.digest;
  }

  /**
   * The trie with `name`'s entry set to `text` (its hashed text), or removed when null. Path
   * copying: this trie is unchanged, and the new one shares every node off the symbol's path.
   */
  with(name: string, text: string | null): HashTrie {
    const base = this.text;
    const read: EntryText = (n) => (n === name ? text! : base(n));
    return new HashTrie(update(this.root, name, nameKey(name), 0, text !== null, read), base);
  }
}

function update(node: Node, name: string, key: number, depth: number, present: boolean, text: EntryText): Node {
  if (node.leaf) {
    const names = node.names.slice();
    const at = lowerBound(names, name);
    const found = at < names.length && names[at] === name;
    if (present && !found) names.splice(at, 0, name);
    else if (!present && found) names.splice(at, 1);
    else if (!present) return node;
    // Over capacity: rebuild this subtree as a branch (at most LEAF_MAX + 1 names).
    if (names.length > LEAF_MAX && depth < MAX_DEPTH) return subtree(names, (i) => text(names[i]!), depth);
    return leafOf(names, text);
  }
  const k = nibble(key, depth);
  const child = node.children[k] ?? null;
  if (child === null && !present) return node;
  const before = child === null ? 0 : countOf(child);
  const next = child === null ? leafOf([name], text) : update(child, name, key, depth + 1, present, text);
  const after = countOf(next);
  const count = node.count + after - before;
  // Back under capacity: the canonical shape is a leaf again.
  if (count <= LEAF_MAX) return leafOf(collect(node, k, next).sort(byName), text);
  const children = node.children.slice();
  children[k] = after === 0 ? null : next;
  return branchOf(children, count);
}

/**
 * The node over `names` at `depth`, in the trie's one shape (see the file comment); `textAt(i)` is
 * names[i]'s text. Names are put in order once; the partition below is stable, so every leaf
 * comes out in order without sorting it.
 */
function subtree(names: readonly string[], textAt: (i: number) => string, depth: number): Node {
  let order = names.map((_, i) => i);
  if (!isSorted(names)) order = order.sort((a, b) => byName(names[a]!, names[b]!));
  const keys = new Uint32Array(names.length);
  for (let i = 0; i < names.length; i++) keys[i] = nameKey(names[i]!);
  const make = (idx: number[], d: number): Node => {
    if (idx.length <= LEAF_MAX || d === MAX_DEPTH) {
      // join() writes one flat string; += would build a rope that hashing must flatten.
      return { leaf: true, names: idx.map((i) => names[i]!), digest: sha256(idx.map(textAt).join(",")) };
    }
    const parts: number[][] = Array.from({ length: 16 }, () => []);
    for (const i of idx) parts[nibble(keys[i]!, d)]!.push(i);
    return branchOf(parts.map((p) => (p.length === 0 ? null : make(p, d + 1))), idx.length);
  };
  return make(order, depth);
}

function isSorted(names: readonly string[]): boolean {
  for (let i = 1; i < names.length; i++) if (names[i - 1]! > names[i]!) return false;
  return true;
}

function leafOf(names: string[], text: EntryText): Leaf {
  let body = "";
  for (let i = 0; i < names.length; i++) body += (i === 0 ? "" : ",") + text(names[i]!);
  return { leaf: true, names, digest: sha256(body) };
}

function branchOf(children: (Node | null)[], count: number): Branch {
  let body = "";
  for (const c of children) body += c === null ? EMPTY_CHILD : c.digest;
  return { leaf: false, children, count, digest: sha256(body) };
}

function countOf(n: Node): number {
  return n.leaf ? n.names.length : n.count;
}

/** Every name under a branch, with child k replaced by `next`. */
function collect(node: Branch, k: number, next: Node): string[] {
  const out: string[] = [];
  const walk = (n: Node | null) => {
    if (n === null) return;
    if (n.leaf) out.push(...n.names);
    else for (const c of n.children) walk(c);
  };
  node.children.forEach((c, j) => walk(j === k ? next : c));
  return out;
}

function lowerBound(names: readonly string[], name: string): number {
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (names[mid]! < name) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
