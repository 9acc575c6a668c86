/**
 * The symbol trie's shape and digest are a function of the set of entries alone: a trie reached by
 * any sequence of single-symbol changes (leaves splitting into branches, branches collapsing back
 * into leaves) has the digest of the trie built from scratch over the same entries.
 */
import { describe, expect, test } from "bun:test";
import { rng } from "../../bench/gen-config.ts";
import { HashTrie, LEAF_MAX, nameKey } from "../../src/config/hash-trie.ts";

describe("the symbol hash trie", () => {
  test("path-copied updates equal a rebuild, across splits and collapses", () => {
    const rand = rng(21);
    const entries = new Map<string, string>();
    const text = (n: string) => `${JSON.stringify(n)}:${entries.get(n)}`;
    let trie = HashTrie.build([], text);
    const pool = Array.from({ length: 400 }, (_, i) => `S${i}`);
    // Grow past several split points, shrink back through the collapses, then churn.
    const steps = [...Array(600).fill("add"), ...Array(550).fill("delete"), ...Array(800).fill("any")];
    let checked = 0;
    let peak = 0;
    for (let k = 0; k < steps.length; k++) {
      const name = pool[Math.floor(rand() * pool.length)]!;
      const kind = steps[k] === "any" ? (rand() < 0.5 ? "add" : "delete") : steps[k];
      const value = String(Math.floor(rand() * 1000));
      if (kind === "add") {
        const next = trie.with(name, `${JSON.stringify(name)}:${value}`);
        entries.set(name, value);
        trie = next;
      } else {
        trie = trie.with(name, null);
        entries.delete(name);
      }
      peak = Math.max(peak, entries.size);
      if (k % 50 === 0) {
        const fresh = HashTrie.build([...entries.keys()], text);
        expect(trie.digest).toBe(fresh.digest);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
    // Sizes went well past one leaf (branches two levels deep) and back down to a few entries.
    expect(peak).toBeGreaterThan(LEAF_MAX * 8);
    expect(entries.size).toBeLessThan(peak);
  });

  test("an update leaves the trie it was made from as it was", () => {
    const names = Array.from({ length: 300 }, (_, i) => `N${i}`);
    const text = (n: string) => `${JSON.stringify(n)}:1`;
    const a = HashTrie.build(names, text);
    const digest = a.digest;
    const b = a.with("N7", `"N7":2`);
    expect(b.digest).not.toBe(digest);
    expect(a.digest).toBe(digest);
    expect(HashTrie.build(names, text).digest).toBe(digest);
    // Setting it back gives the original digest.
    expect(b.with("N7", `"N7":1`).digest).toBe(digest);
  });

  test("insertion order does not matter", () => {
    const names = Array.from({ length: 500 }, (_, i) => `X${i}`);
    const text = (n: string) => `${JSON.stringify(n)}:0`;
    const shuffled = [...names].sort(() => 0.5 - Math.random());
    expect(HashTrie.build(shuffled, text).digest).toBe(HashTrie.build(names, text).digest);
  });

  test("names are keyed by FNV-1a 32 of their UTF-8 bytes", () => {
    // Published FNV-1a 32 test vectors.
    expect(nameKey("")).toBe(0x811c9dc5);
    expect(nameKey("a")).toBe(0xe40c292c);
    expect(nameKey("foobar")).toBe(0xbf9cf968);
    // Non-ASCII goes by its UTF-8 bytes: "é" is C3 A9.
    let h = 0x811c9dc5;
    for (const b of [0xc3, 0xa9]) h = Math.imul(h ^ b, 0x01000193);
    expect(nameKey("é")).toBe(h >>> 0);
  });
});
