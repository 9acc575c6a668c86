/**
 * A version's identity: the sha256 of the canonical document with its symbol table folded into a
 * Merkle hash trie (docs/architecture.md, "The config hash"), whatever way it was written.
 */
import { describe, expect, test } from "bun:test";
import { canonicalJson } from "../../src/config/canonical.ts";
import { sha256 } from "../../src/config/sha256.ts";
import { prepareText, prepareValue, type Prepared } from "../../src/config/prepare.ts";
import { DEFAULTS } from "../../src/config/schema.ts";
import { generateDocument } from "../../bench/gen-config.ts";
import type { Raw } from "./fixtures.ts";

function prepared(r: ReturnType<typeof prepareValue>): Prepared {
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r;
}
/**
 * The hash as docs/architecture.md defines it, written the slow, obvious way from the canonical
 * text alone, as another implementation would.
 */
function specHash(canonical: string): string {
  const doc = JSON.parse(canonical);
  const fnv = (name: string) => {
    let h = 0x811c9dc5;
    for (const b of new TextEncoder().encode(name)) h = Math.imul(h ^ b, 0x01000193);
    return h >>> 0;
  };
  const node = (names: string[], depth: number): string => {
    if (names.length <= 32 || depth === 8) return sha256([...names].sort().map((n) => `${JSON.stringify(n)}:${canonicalJson(doc.symbols[n])}`).join(","));
    let body = "";
    for (let k = 0; k < 16; k++) {
      const sub = names.filter((n) => ((fnv(n) >>> (28 - 4 * depth)) & 15) === k);
      body += sub.length === 0 ? "0".repeat(64) : node(sub, depth + 1);
    }
    return sha256(body);
  };
  return sha256(canonicalJson({ ...doc, symbols: node(Object.keys(doc.symbols), 0) }));
}

const hashOfText = (text: string, format: "toml" | "json") => prepared(prepareText(text, format)).hash;
const hashOf = (raw: unknown) => prepared(prepareValue(raw)).hash;

const TOML = `
[trading]
mode = "paper"

[trading.position_sizing]
default_position_size = 50

[risk]
day_reset_utc = "21:00"

[risk.limits]
max_positions = 10

[risk.sectors.tech]
max_gross_exposure = 800000

[strategies.momentum.limits]
max_orders_per_second = 40

[symbols."BRK.B"]
sector = "tech"
reference_price = 412.3
tick_size = 0.01
lot_size = 1

[symbols.AAPL]
sector = "tech"
strategy = "momentum"
reference_price = 190.5
tick_size = 0.01
lot_size = 1
execution = { time_in_force = "ioc" }
`;

/** The same document as JSON, every object's keys in reverse order. */
const REORDERED: Raw = {
  symbols: {
    AAPL: { execution: { time_in_force: "ioc" }, lot_size: 1, tick_size: 0.01, reference_price: 190.5, strategy: "momentum", sector: "tech" },
    "BRK.B": { lot_size: 1, tick_size: 0.01, reference_price: 412.3, sector: "tech" },
  },
  strategies: { momentum: { limits: { max_orders_per_second: 40 } } },
  risk: { sectors: { tech: { max_gross_exposure: 800000 } }, limits: { max_positions: 10 }, day_reset_utc: "21:00" },
  trading: { position_sizing: { default_position_size: 50 }, mode: "paper" },
};

/** The same document with every default written out. */
const EXPLICIT: Raw = {
  trading: {
    mode: "paper",
    max_symbols: 500,
    position_sizing: { ...DEFAULTS.position_sizing, default_position_size: 50 },
    execution: { ...DEFAULTS.execution },
  },
  risk: {
    day_reset_utc: "21:00",
    limits: { ...DEFAULTS.limits, max_positions: 10 },
    sectors: { tech: { max_gross_exposure: 800_000 } },
  },
  strategies: REORDERED.strategies,
  symbols: REORDERED.symbols,
};

describe("the same config has the same hash", () => {
  const reference = hashOfText(TOML, "toml");

  test("the hash is a sha256 hex digest, and the snapshot carries it", () => {
    expect(reference).toMatch(/^[0-9a-f]{64}$/);
    const p = prepared(prepareText(TOML, "toml"));
    expect(p.snapshot.hash).toBe(p.hash);
    expect(specHash(p.canonical)).toBe(p.hash);
  });

  test("is the documented definition, over a trie several levels deep", () => {
    const doc = generateDocument(5_000, { seed: 4 }) as any;
    doc.symbols["BRK.B"] = { ...doc.symbols[Object.keys(doc.symbols)[0]!] };
    doc.symbols["ES:CME/Z6-1_2"] = { ...doc.symbols[Object.keys(doc.symbols)[1]!] };
    const p = prepared(prepareValue(doc));
    expect(specHash(p.canonical)).toBe(p.hash);
    // Any one value anywhere in the symbol table changes it.
    doc.symbols["ES:CME/Z6-1_2"].lot_size = 7;
    expect(specHash(prepared(prepareValue(doc)).canonical)).not.toBe(p.hash);
  });

  test("as JSON text with keys in reverse order", () => {
    expect(hashOfText(JSON.stringify(REORDERED), "json")).toBe(reference);
    expect(hashOfText(JSON.stringify(REORDERED, null, 2), "json")).toBe(reference);
  });

  test("as a raw value", () => {
    expect(hashOf(REORDERED)).toBe(reference);
  });

  test("with every default written out", () => {
    expect(hashOf(EXPLICIT)).toBe(reference);
    expect(hashOfText(JSON.stringify(EXPLICIT), "json")).toBe(reference);
  });

  test("with empty tables written out", () => {
    const text = `${TOML}\n[trading.execution]\n\n[risk.sectors]\n`;
    expect(hashOfText(text, "toml")).toBe(reference);
  });

  test("with an empty override table on a symbol or a strategy (it overrides nothing)", () => {
    const text = TOML.replace('[symbols."BRK.B"]', '[strategies.momentum.position_sizing]\n\n[symbols."BRK.B".limits]\n\n[symbols."BRK.B"]');
    expect(text).not.toBe(TOML);
    expect(hashOfText(text, "toml")).toBe(reference);
    expect(hashOf({ ...REORDERED, symbols: { ...REORDERED.symbols, "BRK.B": { ...(REORDERED.symbols as Raw)["BRK.B"], execution: {} } } })).toBe(reference);
  });

  test("an integer written as a TOML float is the same number", () => {
    expect(hashOfText(TOML.replace("max_gross_exposure = 800000", "max_gross_exposure = 800000.0"), "toml")).toBe(reference);
    expect(hashOfText(TOML.replace("max_gross_exposure = 800000", "max_gross_exposure = 800_000"), "toml")).toBe(reference);
  });

  test("the canonical text has its keys sorted at every level", () => {
    const canonical = JSON.parse(prepared(prepareValue(REORDERED)).canonical);
    const check = (v: unknown) => {
      if (v === null || typeof v !== "object") return;
      const keys = Object.keys(v);
      expect(keys).toEqual([...keys].sort());
      for (const k of keys) check((v as Raw)[k]);
    };
    check(canonical);
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 4, e: 5 }] } })).toBe('{"a":{"c":[3,{"e":5,"f":4}],"d":2},"b":1}');
  });
});

describe("a one-field change changes the hash", () => {
  const reference = hashOf(REORDERED);
  const edits: [string, (d: Raw) => void][] = [
    ["a default", (d) => (d.trading.position_sizing.default_position_size = 51)],
    ["a default written out with another value", (d) => (d.trading.execution = { time_in_force: "gtc" })],
    ["the mode", (d) => (d.trading.mode = "live")],
    ["day_reset_utc", (d) => (d.risk.day_reset_utc = "21:01")],
    ["a sector limit", (d) => (d.risk.sectors.tech.max_gross_exposure = 800_001)],
    ["a strategy override", (d) => (d.strategies.momentum.limits.max_orders_per_second = 41)],
    ["a symbol's reference price", (d) => (d.symbols["BRK.B"].reference_price = 412.31)],
    ["a symbol's strategy removed", (d) => delete d.symbols.AAPL.strategy],
    ["a symbol renamed", (d) => {
      d.symbols["BRK.A"] = d.symbols["BRK.B"];
      delete d.symbols["BRK.B"];
    }],
  ];
  for (const [what, edit] of edits) {
    test(what, () => {
      const d: Raw = structuredClone(REORDERED);
      edit(d);
      const h = hashOf(d);
      expect(h).toMatch(/^[0-9a-f]{64}$/);
      expect(h).not.toBe(reference);
    });
  }

  test("all the edits give distinct hashes", () => {
    const hashes = edits.map(([, edit]) => {
      const d: Raw = structuredClone(REORDERED);
      edit(d);
      return hashOf(d);
    });
    expect(new Set([...hashes, reference]).size).toBe(edits.length + 1);
  });
});
