/**
 * preparePatch validates only the changed entry and reuses the validated rest; it must give what
 * preparing the whole patched document gives: the same verdict, issues, warnings, hash, canonical
 * text and compiled slots.
 */
import { describe, expect, test } from "bun:test";
import { rng } from "../../bench/gen-config.ts";
import { EMBEDDED_DEFAULT } from "../../src/cli/source.ts";
import { mergeEntry } from "../../src/config/merge.ts";
import { preparePatch } from "../../src/config/patch.ts";
import { prepareText, prepareValue, type PrepareResult } from "../../src/config/prepare.ts";

const base = prepareText(EMBEDDED_DEFAULT.text, "toml");
if (!base.ok) throw new Error("default invalid");
const active = base.document;
const names = Object.keys(active.symbols);

/** The slow, obvious way: patch a copy of the whole document and prepare all of it. */
function reference(symbol: string, partial: Record<string, unknown> | null): PrepareResult {
  const doc = structuredClone(active) as any;
  if (partial === null) delete doc.symbols[symbol];
  else doc.symbols[symbol] = mergeEntry(doc.symbols[symbol] ?? {}, partial);
  return prepareValue(doc);
}

function summary(p: PrepareResult) {
  if (!p.ok) return { ok: false, issues: p.issues, warnings: p.warnings };
  const s = p.snapshot;
  return { ok: true, hash: p.hash, canonical: p.canonical, warnings: p.warnings, symbols: [...s.symbols], inst: [...s.inst], profiles: [...s.profiles] };
}

const PATCHES: (() => Record<string, unknown> | null)[] = [];
const rand = rng(11);
const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
const values = [0, -1, 1, 2.5, 100, 1e9, "x", null, true, [], {}, Number.NaN];
const fields = ["reference_price", "tick_size", "lot_size", "sector", "strategy", "bogus"];
for (let k = 0; k < 300; k++) {
  PATCHES.push(() => {
    const r = rand();
    if (r < 0.1) return null; // delete
    const p: Record<string, unknown> = {};
    const n = 1 + Math.floor(rand() * 3);
    for (let j = 0; j < n; j++) {
      const f = rand();
      if (f < 0.3) p[pick(fields)] = pick(values);
      else if (f < 0.45) p.sector = pick(["tech", "energy", "nowhere"]);
      else if (f < 0.6) p.strategy = pick(["momentum", "mean_reversion", "ghost", null]);
      else if (f < 0.75) p.position_sizing = { max_position_size: pick([1, 50, 500, 5000, -3]) };
      else if (f < 0.9) p.limits = { price_collar_bps: pick([1, 100, 0, "wide"]), max_positions: pick([null, 3]) };
      else p.reference_price = 1 + Math.round(rand() * 50_000) / 100;
    }
    return p;
  });
}

describe("preparePatch equals preparing the whole patched document", () => {
  test("300 random patches and deletes of existing and new symbols", () => {
    let ok = 0;
    let bad = 0;
    for (let k = 0; k < PATCHES.length; k++) {
      const symbol = rand() < 0.8 ? pick(names) : pick(["NEW1", "NEW2"]);
      let partial = PATCHES[k]!();
      if (partial !== null && !names.includes(symbol) && rand() < 0.5) {
        partial = { sector: "tech", reference_price: 10, tick_size: 0.01, lot_size: 1, ...partial };
      }
      const fast = summary(preparePatch(active, symbol, partial));
      const slow = summary(reference(symbol, partial));
      expect(fast).toEqual(slow);
      if (fast.ok) ok++;
      else bad++;
    }
    // Both verdicts were exercised.
    expect(ok).toBeGreaterThan(20);
    expect(bad).toBeGreaterThan(20);
  });
});
