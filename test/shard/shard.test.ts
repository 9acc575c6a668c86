import { afterEach, describe, expect, test } from "bun:test";
import { EMBEDDED_DEFAULT } from "../../src/cli/source.ts";
import { prepareText } from "../../src/config/prepare.ts";
import { cleanup, exchange, freePort, Output, spawn } from "../cli/serve-helpers.ts";

afterEach(cleanup);
import { generateDocument, symbolName } from "../../bench/gen-config.ts";
import { prepareValue } from "../../src/config/prepare.ts";
import { ownerOf, owns, parseShard, score } from "../../src/config/shard.ts";
import { classField, effectiveOf, K_LOT_SIZE, K_TICK_SIZE, referenceOf, sectorOf, type Snapshot } from "../../src/config/snapshot.ts";
import { Engine } from "../../src/engine/engine.ts";

const SYMBOLS = Array.from({ length: 10_000 }, (_, i) => symbolName(i));

describe("ownerOf: rendezvous hashing", () => {
  test("pinned values: the hash is part of the contract with clients, so a change must be deliberate", () => {
    expect([score("AAPL", 0), score("BRK.B", 3)]).toEqual([1331511404, 2116397447]);
    expect(["AAPL", "MSFT", "JPM", "BRK.B"].map((s) => ownerOf(s, 4))).toEqual([2, 1, 3, 0]);
    expect(ownerOf("AAPL", 1)).toBe(0);
  });

  test("balanced within 10% over 10,000 symbols for every N from 2 to 16", () => {
    for (let n = 2; n <= 16; n++) {
      const counts = new Array<number>(n).fill(0);
      for (const s of SYMBOLS) counts[ownerOf(s, n)]!++;
      const fair = SYMBOLS.length / n;
      for (const c of counts) expect(Math.abs(c - fair) / fair).toBeLessThan(0.1);
    }
  });

  test("growing from N to N+1 shards moves only the symbols the new shard wins, about 1/(N+1) of them", () => {
    for (let n = 1; n < 16; n++) {
      let moved = 0;
      for (const s of SYMBOLS) {
        const before = ownerOf(s, n);
        const after = ownerOf(s, n + 1);
        if (before !== after) {
          moved++;
          expect(after).toBe(n); // only to the new shard, never between old ones
        }
      }
      const expected = SYMBOLS.length / (n + 1);
      expect(Math.abs(moved - expected) / expected).toBeLessThan(0.15);
    }
  });

  test("parseShard accepts I/N with 0 <= I < N and explains anything else", () => {
    expect(parseShard("0/4")).toEqual({ index: 0, count: 4 });
    expect(parseShard("3/4")).toEqual({ index: 3, count: 4 });
    for (const bad of ["4/4", "1/0", "-1/2", "a/b", "1", "1/2/3", "0/2000"]) expect(typeof parseShard(bad)).toBe("string");
    expect(owns({ index: 0, count: 1 }, "ANY")).toBe(true);
  });
});

describe("a shard compiles its own symbols and answers wrong_shard for the others", () => {
  const doc = generateDocument(300);

  test("the shards' snapshots partition the universe; the hash is the whole document's", () => {
    const whole = prepareValue(doc);
    if (!whole.ok) throw new Error("invalid");
    const seen = new Set<string>();
    for (let k = 0; k < 3; k++) {
      const p = prepareValue(doc, { index: k, count: 3 });
      if (!p.ok) throw new Error("invalid");
      expect(p.hash).toBe(whole.hash);
      for (const s of p.snapshot.symbols) {
        expect(ownerOf(s, 3)).toBe(k);
        expect(seen.has(s)).toBe(false);
        seen.add(s);
        // Each symbol keeps its own values in its shard's snapshot.
        const i = p.snapshot.index.get(s)!;
        const j = whole.snapshot.index.get(s)!;
        const values = (snap: Snapshot, x: number) => [
          referenceOf(snap, x), classField(snap, x, K_TICK_SIZE), classField(snap, x, K_LOT_SIZE), snap.sectors[sectorOf(snap, x)],
        ];
        expect(values(p.snapshot, i)).toEqual(values(whole.snapshot, j));
        expect(effectiveOf(p.snapshot, s)).toEqual(effectiveOf(whole.snapshot, s)!);
      }
    }
    expect(seen.size).toBe(300);
  });

  test("the whole document is validated on every shard: a bad symbol another shard owns is still an error", () => {
    const bad = structuredClone(doc) as any;
    const other = Object.keys(bad.symbols).find((s) => ownerOf(s, 2) === 1)!;
    bad.symbols[other].lot_size = 0;
    const p = prepareValue(bad, { index: 0, count: 2 });
    expect(p.ok).toBe(false);
  });

  test("signals: own symbol decided, another shard's symbol wrong_shard with its owner, an unknown own-hash symbol unknown_symbol", () => {
    const p = prepareValue(doc, { index: 0, count: 2 });
    if (!p.ok) throw new Error("invalid");
    const e = new Engine(p.snapshot, 1);
    e.shard = { index: 0, count: 2 };
    const mine = p.snapshot.symbols[0]!;
    const theirs = Object.keys(doc.symbols!).find((s) => ownerOf(s, 2) === 1)!;
    const nowhere = ["NOPE1", "NOPE2", "NOPE3", "NOPE4", "NOPE5"].find((s) => ownerOf(s, 2) === 0)!;
    const sig = (symbol: string, id: string) => ({ id, symbol, side: 1, strength: 0.5, price: 1, ts: Date.UTC(2026, 10, 25, 15), strategy: "" });
    expect(e.process(sig(mine, "a")).status).toBe("rejected"); // price 1 is far outside the collar: decided here
    expect(e.process(sig(mine, "a"))).toMatchObject({ reason: "price_collar" });
    expect(e.process(sig(theirs, "b"))).toEqual({ id: "b", status: "rejected", reason: "wrong_shard", shard: 1, config_version: 1 });
    expect(e.process(sig(nowhere, "c"))).toMatchObject({ reason: "unknown_symbol" });
  });
});

describe("keel shard and keel serve --shard", () => {
  const MAIN = `${import.meta.dir}/../../src/main.ts`;
  const keel = async (...args: string[]) => {
    const p = Bun.spawn([process.execPath, MAIN, ...args], { stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    return { stdout, stderr, code };
  };

  test("keel shard prints each symbol's owner; --json; a bad --of is a usage error", async () => {
    expect((await keel("shard", "AAPL", "MSFT", "--of", "4")).stdout).toBe("AAPL 2\nMSFT 1\n");
    expect(JSON.parse((await keel("shard", "JPM", "--of", "4", "--json")).stdout)).toEqual({ JPM: 3 });
    for (const args of [["shard", "AAPL"], ["shard", "AAPL", "--of", "0"], ["shard", "--of", "2"]]) {
      const r = await keel(...args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  });

  test("keel serve --shard with a bad value exits 2", async () => {
    const r = await keel("serve", "--shard", "2/2");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--shard");
  });

  test("keel serve --shard 0/2 trades its own symbols and answers wrong_shard for the other half", async () => {
    const all = prepareText(EMBEDDED_DEFAULT.text, "toml");
    if (!all.ok) throw new Error("invalid");
    const mine = all.snapshot.symbols.filter((x) => ownerOf(x, 2) === 0);
    const theirs = all.snapshot.symbols.find((x) => ownerOf(x, 2) === 1)!;
    const port = freePort();
    const p = spawn(["--shard", "0/2", "--ingest", `127.0.0.1:${port}`]);
    const out = await new Output(p).waitFor("running");
    expect(out).toContain(`shard 0 of 2: ${mine.length} symbols`);
    const ref = (x: string) => all.document.symbols[x]!.reference_price;
    const lines = [mine[0]!, theirs].map((symbol, k) => JSON.stringify({ id: String(k), symbol, side: "buy", strength: 1, price: ref(symbol), ts: Date.UTC(2026, 10, 25, 15) + k * 2000 }) + "\n");
    const replies = await exchange(port, lines.join(""), 2);
    expect(replies[0]).toMatchObject({ id: "0", status: "accepted" });
    expect(replies[1]).toEqual({ id: "1", status: "rejected", reason: "wrong_shard", shard: 1, config_version: 1 });
  });
});
