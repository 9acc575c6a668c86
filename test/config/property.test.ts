/** Random mutations of a valid document: validate() never throws and always answers in shape. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { prepareValue } from "../../src/config/prepare.ts";
import { validate } from "../../src/config/validate.ts";
import { assertProperty, baseDoc, type Raw } from "./fixtures.ts";

const ISSUE_CODES = new Set([
  "parse_error", "invalid_type", "invalid_value", "invalid_format", "invalid_key", "too_small", "too_big", "not_integer",
  "unrecognized_key", "invalid", "max_not_above_default", "unknown_sector", "unknown_strategy",
]);
const WARNING_CODES = new Set(["offset_at_or_above_collar", "max_far_above_default", "unused_sector", "high_daily_trades", "symbols_over_capacity_hint"]);

/** Values of every type, weighted towards the ones that break naive code. */
const nasty = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1, -1, 0.5, 1e308, -1e308, 2 ** 53 + 2, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER),
  fc.constantFrom("", "100", "NaN", "paper", "live", "fixed", "market", "ioc", "21:00", "24:00", "tech", "momentum", "AAPL", "__proto__"),
  fc.double(),
  fc.integer(),
  fc.double({ min: 0.001, max: 1e6, noNaN: true }),
  fc.string({ maxLength: 12 }),
  fc.constantFrom(null, undefined, true, false, Symbol("s"), 10n),
  // Fresh instances each time: a shared constant would be mutated by one run and seen by the next.
  fc.constantFrom("date", "map", "function").map((k) => (k === "date" ? new Date(0) : k === "map" ? new Map() : () => 1)),
  fc.array(fc.anything({ maxDepth: 1 }), { maxLength: 3 }),
  fc.object({ maxDepth: 2, maxKeys: 3 }),
  fc.anything({ maxDepth: 2 }),
);

/** Keys for new entries: random text, prototype members, and names that exist elsewhere. */
const keys = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty", "AAPL", "NVDA", "BRK.B", "tech", "energy", "momentum", "limits", "execution", "position_sizing", "sector", "strategy", ""),
);

type Mutation =
  | { readonly kind: "set"; readonly at: number; readonly value: unknown }
  | { readonly kind: "delete"; readonly at: number }
  | { readonly kind: "add"; readonly at: number; readonly key: string; readonly value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: nasty }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("add" as const), at: fc.nat(), key: keys, value: nasty }),
);

type Path = readonly PropertyKey[];

/** Every path into the document's objects and arrays, the root included. */
function paths(v: unknown, here: Path = [], out: Path[] = []): Path[] {
  out.push(here);
  if (v !== null && typeof v === "object") for (const k of Object.keys(v)) paths((v as Raw)[k], [...here, k], out);
  return out;
}

/** Own data property, even for "__proto__" (as JSON.parse and Bun.TOML.parse create it). */
function put(obj: object, key: PropertyKey, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A copy of plain objects and arrays, so a run never mutates a value fast-check may replay. */
function copy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copy);
  if (v === null || typeof v !== "object" || Object.getPrototypeOf(v) !== Object.prototype) return v;
  const out = {};
  for (const k of Object.keys(v)) put(out, k, copy((v as Raw)[k]));
  return out;
}

function apply(doc: unknown, mutation: Mutation): unknown {
  const m = "value" in mutation ? { ...mutation, value: copy(mutation.value) } : mutation;
  const all = paths(doc);
  const path = all[m.at % all.length]!;
  if (path.length === 0) {
    if (m.kind === "set") return m.value;
    if (m.kind === "add" && doc !== null && typeof doc === "object") put(doc, m.key, m.value);
    return doc;
  }
  let parent = doc as Raw;
  for (const k of path.slice(0, -1)) parent = parent[k as string];
  const last = path[path.length - 1]!;
  if (m.kind === "set") put(parent, last, m.value);
  else if (m.kind === "delete") delete parent[last as string];
  else {
    const target = parent[last as string];
    if (target !== null && typeof target === "object") put(target, m.key, m.value);
    else put(parent, last, { [m.key]: m.value });
  }
  return doc;
}

function checkShape(items: unknown, codes: Set<string>): void {
  expect(Array.isArray(items)).toBe(true);
  for (const item of items as { path: unknown; code: unknown; message: unknown }[]) {
    expect(typeof item.path).toBe("string");
    expect(codes.has(item.code as string)).toBe(true);
    expect(typeof item.message).toBe("string");
    expect((item.message as string).length).toBeGreaterThan(0);
  }
}

describe("validate() on random mutations of a valid document", () => {
  test("never throws; ok with warnings, or a non-empty list of well-formed issues", () => {
    let valid = 0;
    let invalid = 0;
    assertProperty(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 5 }), (ms) => {
        let doc: unknown = baseDoc();
        for (const m of ms) doc = apply(doc, m);
        const r = validate(doc);
        checkShape(r.warnings, WARNING_CODES);
        if (r.ok) {
          valid++;
          expect(typeof r.document).toBe("object");
        } else {
          invalid++;
          expect(r.issues.length).toBeGreaterThan(0);
          checkShape(r.issues, ISSUE_CODES);
        }
      }),
      { numRuns: 1000, seed: 20240611 },
    );
    // The mutations must reach both outcomes, or the property proves little.
    expect(valid).toBeGreaterThan(10);
    expect(invalid).toBeGreaterThan(10);
  });

  test("whatever validates also compiles, with one slot row per symbol", () => {
    assertProperty(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => {
        let doc: unknown = baseDoc();
        for (const m of ms) doc = apply(doc, m);
        const r = prepareValue(doc);
        if (!r.ok) return;
        const names = Object.keys(r.document.symbols);
        expect(r.snapshot.symbolCount).toBe(names.length);
        for (const [i, name] of names.entries()) expect(r.snapshot.index.get(name)).toBe(i);
        expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  test("a valid document's own number fields set to bad numbers always fail at that path", () => {
    const numeric = paths(baseDoc()).filter((p) => typeof p.reduce<any>((o, k) => o[k as string], baseDoc()) === "number");
    expect(numeric.length).toBeGreaterThan(5);
    assertProperty(
      fc.property(fc.constantFrom(...numeric), fc.constantFrom(NaN, Infinity, -Infinity, "1", null, [], {}), (path, value) => {
        const doc = baseDoc();
        apply(doc, { kind: "set", at: paths(doc).findIndex((p) => p.join("\0") === path.join("\0")), value });
        const r = validate(doc);
        if (r.ok) throw new Error(`accepted ${String(value)} at ${path.join(".")}`);
        expect(r.issues.map((i) => i.code)).toEqual(["invalid_type"]);
        expect(r.issues[0]!.path.replace(/\["([^"]*)"\]/g, ".$1")).toBe(path.join("."));
      }),
      { numRuns: 100, seed: 3 },
    );
  });
});
