/**
 * A Patchable (the active version, patched one symbol at a time without re-validating, re-hashing
 * or recompiling the rest) must give what preparing the whole patched document gives: the same
 * verdict, issues, warnings, hash and canonical text, and slots that read back as the same
 * effective config for every symbol. Patches accumulate, as they do on a running engine.
 */
import { describe, expect, test } from "bun:test";
import { rng } from "../../bench/gen-config.ts";
import { EMBEDDED_DEFAULT } from "../../src/cli/source.ts";
import { mergeEntry } from "../../src/config/merge.ts";
import { Patchable } from "../../src/config/patchable.ts";
import { SnapshotWriter } from "../../src/config/snapshot-writer.ts";
import { prepareText, prepareValue, type Prepared, type PrepareResult } from "../../src/config/prepare.ts";
import { K_LOT_SIZE, K_PROFILE, K_SECTOR, K_STRATEGY, K_TICK_SIZE, classField, classOf, referenceOf, type Snapshot } from "../../src/config/snapshot.ts";
import type { ConfigWarning } from "../../src/config/errors.ts";
import { Decider } from "../../src/engine/decide.ts";
import { ACCEPTED } from "../../src/engine/reasons.ts";
import type { Signal } from "../../src/engine/signal.ts";

function start(): Prepared {
  const p = prepareText(EMBEDDED_DEFAULT.text, "toml");
  if (!p.ok) throw new Error("default invalid");
  return p;
}

/** Every symbol's compiled values, by name: what a decision can read. */
function slots(s: Snapshot): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, i] of s.index) {
    expect(s.symbols[i]).toBe(name);
    const p = classField(s, i, K_PROFILE);
    const { id: _, ...profile } = s.profileObjects[p]!;
    // Profile and class ids may differ between a patched and a compiled Snapshot; values may not.
    const { profile: hotProfile, ...hot } = { ...s.hot[classOf(s, i)]! };
    expect(hotProfile).toBe(p);
    out[name] = {
      reference: referenceOf(s, i), tick: classField(s, i, K_TICK_SIZE), lot: classField(s, i, K_LOT_SIZE),
      sector: s.sectors[classField(s, i, K_SECTOR)], strategy: s.strategies[classField(s, i, K_STRATEGY)] ?? null,
      profile, hot,
    };
  }
  expect(s.index.size).toBe(s.symbolCount);
  return out;
}

const sorted = (ws: readonly ConfigWarning[]) => [...ws].map((w) => JSON.stringify(w)).sort();

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

describe("a Patchable equals preparing the whole patched document", () => {
  test("300 accumulating random patches and deletes of existing and new symbols", () => {
    const current = start();
    const patchable = new Patchable(current);
    const writer = new SnapshotWriter(current.snapshot);
    // A decider kept up to date by patch() alone, as the engine's is (its per-symbol view included).
    const decider = new Decider(current.snapshot, 1);
    let last: Snapshot = current.snapshot;
    let text = () => current.canonical;
    // The slow, obvious way, kept alongside: patch a copy of the whole document and prepare all of it.
    let doc = structuredClone(current.document) as any;
    let ok = 0;
    let bad = 0;
    let deletes = 0;
    let adds = 0;
    for (let k = 0; k < PATCHES.length; k++) {
      const names = Object.keys(doc.symbols);
      const symbol = rand() < 0.7 ? pick(names) : pick(["NEW1", "NEW2", "NEW3", "NEW4", "NEW5"]);
      let partial = PATCHES[k]!();
      const exists = Object.hasOwn(doc.symbols, symbol);
      if (partial === null && !exists) continue; // a delete of a missing symbol is a 404 before any of this
      if (partial !== null && !exists && rand() < 0.7) partial = { sector: "tech", reference_price: 10, tick_size: 0.01, lot_size: 1, ...partial };
      const next = structuredClone(doc);
      if (partial === null) delete next.symbols[symbol];
      else next.symbols[symbol] = mergeEntry(next.symbols[symbol] ?? {}, partial);
      const slow: PrepareResult = prepareValue(next);
      const fast = patchable.plan(symbol, partial);
      expect(fast.ok).toBe(slow.ok);
      if (!fast.ok || !slow.ok) {
        bad++;
        if (!fast.ok && !slow.ok) {
          expect(fast.issues).toEqual(slow.issues);
          expect(sorted(fast.warnings)).toEqual(sorted(slow.warnings));
        }
        continue;
      }
      ok++;
      if (partial === null) deletes++;
      else if (!exists) adds++;
      expect(fast.plan.hash).toBe(slow.hash);
      expect(sorted(fast.plan.warnings)).toEqual(sorted(slow.warnings));
      const patched = fast.commit();
      // The plan is data: it crosses postMessage from the config Worker as it is.
      const { snapshot, change } = writer.apply(structuredClone(fast.plan.slots), fast.plan.hash);
      decider.patch(snapshot, k + 2, change);
      last = slow.snapshot;
      expect(snapshot.hash).toBe(slow.hash);
      expect(snapshot.symbolCount).toBe(slow.snapshot.symbolCount);
      expect(slots(snapshot)).toEqual(slots(slow.snapshot));
      // The canonical text is written out when asked for, and is the whole document's.
      if (k % 25 === 0) expect(patched.canonical()).toBe(slow.canonical);
      text = () => patched.canonical();
      doc = next;
    }
    // Every kind of outcome was exercised.
    expect(ok).toBeGreaterThan(20);
    expect(bad).toBeGreaterThan(20);
    expect(deletes).toBeGreaterThan(3);
    expect(adds).toBeGreaterThan(3);
    expect(text()).toBe(prepareValue(doc).ok ? (prepareValue(doc) as Prepared).canonical : "");
    // The patched decider decides every symbol as a decider built on the whole document does
    // (its indices may differ: a delete moves the last symbol into the freed index).
    const fresh = new Decider(last, 1);
    const ts = Date.UTC(2026, 10, 25, 15);
    let accepted = 0;
    for (const [name, i] of last.index) {
      const ref = referenceOf(last, i);
      for (const [side, strength] of [[1, 0.5], [-1, 1]] as const) {
        const signal = (): Signal => ({ id: name, symbol: name, side, strength, price: ref * 1.0001, ts, strategy: "" });
        const want = fresh.decide(signal());
        expect([name, decider.decide(signal())]).toEqual([name, want]);
        if (want !== ACCEPTED) continue;
        accepted++;
        const out = (d: Decider) => [d.snap.symbols[d.symbolIndex], d.side, d.qty, d.price, d.orderType, d.tif, d.slippageBps, d.ts];
        expect(out(decider)).toEqual(out(fresh));
      }
    }
    expect(accepted).toBeGreaterThan(10);
  });

  test("the version a patch superseded no longer writes out its text", () => {
    const patchable = new Patchable(start());
    const a = patchable.plan("AAPL", { reference_price: 191 });
    const b = a.ok ? a.commit() : null;
    const c = patchable.plan("AAPL", { reference_price: 192 });
    if (!c.ok || b === null) throw new Error("patch refused");
    c.commit();
    expect(() => b.canonical()).toThrow(/superseded/);
  });

  test("a patch that is checked but not committed changes nothing", () => {
    const p = start();
    const patchable = new Patchable(p);
    const before = slots(p.snapshot);
    const plan = patchable.plan("AAPL", { reference_price: 1234 });
    expect(plan.ok).toBe(true);
    expect(slots(p.snapshot)).toEqual(before);
    const again = patchable.plan("AAPL", { lot_size: 1 });
    if (!again.ok) throw new Error("refused");
    // Planned against the unchanged document: same hash as the version itself when nothing changes.
    expect(again.plan.hash).toBe(p.hash);
  });
});
