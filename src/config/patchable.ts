/**
 * The active version kept patchable one symbol at a time: PATCH and DELETE of
 * /config/symbols/{symbol} at a cost that does not grow with the number of symbols.
 *
 * A one-symbol change can only break that symbol's own rules (no rule reads one symbol from
 * another) and the table-wide warnings (unused sectors, the capacity hint), so it is validated
 * alone: zod on the merged entry, its effective profile by inheritance (interned against the
 * profiles already compiled), its rules. The hash is updated through the symbol trie
 * (hash-trie.ts), the slots through the SnapshotWriter, and the document in place. The result
 * equals preparing the whole patched document (test/config/patch.test.ts checks it); only the
 * canonical text is left to be written out when someone asks for it.
 *
 * Built from a full version on the first patch after it was activated, on the thread that
 * prepared that version (which holds its document and trie): O(symbols) once per full version,
 * about 15 ms at 100,000 symbols. A plan is data (it crosses postMessage from the config
 * Worker); its slots are written into the engine's Snapshot by a SnapshotWriter.
 */
import { canonicalJson, canonicalText, documentHash, entryText } from "./canonical.ts";
import { diffAt, type Change } from "./diff.ts";
import { formatPath, fromZod, type ConfigIssue, type ConfigWarning } from "./errors.ts";
import { HashTrie } from "./hash-trie.ts";
import { mergeEntry } from "./merge.ts";
import type { Prepared } from "./prepare.ts";
import { applyOverride, defaultsOf, freezeProfile, hasOverride, profileKey } from "./resolve.ts";
import { checkSymbol, ruleMask, tableWarnings, type RuleReport } from "./rules.ts";
import { Symbol as SymbolEntrySchema, type ConfigDocument, type SymbolEntry } from "./schema.ts";
import { owns, type Shard } from "./shard.ts";
import type { Effective, Profile } from "./snapshot.ts";
import type { SlotPlan } from "./snapshot-writer.ts";

/** A checked one-symbol change, as data. */
export interface PatchPlan {
  readonly symbol: string;
  /** The new entry (canonical form), or null for a delete. */
  readonly entry: SymbolEntry | null;
  readonly hash: string;
  readonly warnings: ConfigWarning[];
  readonly changes: Change[];
  /** What it does to the compiled slots. */
  readonly slots: SlotPlan;
}

/** The patched document, after a commit: its canonical text is written out when asked for. */
export interface PatchedDocument {
  readonly document: ConfigDocument;
  /** Throws once a later commit has superseded this one. */
  canonical(): string;
}

export type PatchResult =
  | { readonly ok: true; readonly plan: PatchPlan; readonly commit: () => PatchedDocument }
  /** missing: a delete of a symbol the document does not have. */
  | { readonly ok: false; readonly issues: ConfigIssue[]; readonly warnings: ConfigWarning[]; readonly missing?: boolean };

export class Patchable {
  private readonly doc: ConfigDocument;
  private trie: HashTrie;
  private warnings: ConfigWarning[];
  private readonly byKey = new Map<string, number>();
  private readonly profiles: Profile[];
  private readonly masks: number[];
  private readonly defaults: Effective;
  private readonly defaultsProfile: number;
  private readonly strategyEffective = new Map<string, { readonly eff: Effective; readonly profile: number }>();
  private readonly sectorUse = new Map<string, number>();
  private readonly sectorId: Map<string, number>;
  private readonly strategyId: Map<string, number>;
  /** Bumped by every commit: a Prepared from an older commit may no longer write its text. */
  private generation = 0;
  private count: number;

  constructor(p: Prepared, private readonly shard?: Shard) {
    const doc = p.document;
    this.doc = doc;
    const snap = p.snapshot;
    this.trie = p.trie ?? HashTrie.build(Object.keys(doc.symbols), (n) => entryText(doc, n));
    // The trie rebuilt here must give the hash the version was stored under.
    if (documentHash(doc, this.trie.digest) !== p.hash) throw new Error("patchable: the rebuilt hash differs from the version's");
    this.warnings = p.warnings.filter((w) => w.code !== "unused_sector" && w.code !== "symbols_over_capacity_hint");
    this.profiles = snap.profileObjects.slice();
    for (const pr of this.profiles) this.byKey.set(profileKey(pr), pr.id);
    this.masks = this.profiles.map(ruleMask);
    this.defaults = defaultsOf(doc);
    this.defaultsProfile = this.byKey.get(profileKey(this.defaults))!;
    for (const [name, entry] of Object.entries(doc.strategies)) {
      const eff = applyOverride(this.defaults, entry);
      this.strategyEffective.set(name, { eff, profile: this.byKey.get(profileKey(eff))! });
    }
    this.count = 0;
    for (const name in doc.symbols) {
      this.count++;
      const sector = doc.symbols[name]!.sector;
      this.sectorUse.set(sector, (this.sectorUse.get(sector) ?? 0) + 1);
    }
    this.sectorId = new Map(snap.sectors.map((s, i) => [s, i] as const));
    this.strategyId = new Map(snap.strategies.map((s, i) => [s, i] as const));
  }

  has(symbol: string): boolean {
    return Object.hasOwn(this.doc.symbols, symbol);
  }

  /** Check `symbol` patched by `partial` (merged as mergeEntry does), or removed when null. */
  plan(symbol: string, partial: Record<string, unknown> | null): PatchResult {
    const doc = this.doc;
    const old = this.has(symbol) ? doc.symbols[symbol]! : undefined;
    if (old === undefined && partial === null) return { ok: false, issues: [], warnings: [], missing: true };
    let entry: SymbolEntry | null = null;
    let profile: Profile | null = null;
    let fresh: Profile | null = null;
    const report: RuleReport = { issues: [], warnings: [] };
    if (partial !== null) {
      const parsed = SymbolEntrySchema.safeParse(mergeEntry((old ?? {}) as Record<string, unknown>, partial), { reportInput: true });
      if (!parsed.success) {
        // Issues are reported at their place in the document.
        return { ok: false, issues: fromZod(parsed.error.issues.map((i) => ({ ...i, path: ["symbols", symbol, ...i.path] }))), warnings: [] };
      }
      entry = parsed.data;
      const parent = entry.strategy === undefined ? undefined : this.strategyEffective.get(entry.strategy);
      const parentEff = parent?.eff ?? this.defaults;
      const parentId = parent?.profile ?? this.defaultsProfile;
      const eff = hasOverride(entry) ? applyOverride(parentEff, entry) : parentEff;
      const id = this.byKey.get(profileKey(eff));
      if (id === undefined) fresh = freezeProfile(this.profiles.length, eff);
      profile = fresh ?? this.profiles[id!]!;
      const mask = fresh === null ? this.masks[profile.id]! : ruleMask(fresh);
      checkSymbol(doc, symbol, entry, profile, mask, this.masks[parentId]!, profile.id !== parentId, report);
    }
    const count = this.count + (old === undefined ? 1 : 0) - (entry === null ? 1 : 0);
    const warnings = this.warningsAfter(symbol, old?.sector, entry, report.warnings, count);
    if (report.issues.length > 0) return { ok: false, issues: report.issues, warnings };

    const text = entry === null ? null : `${JSON.stringify(symbol)}:${canonicalJson(entry)}`;
    const trie = this.trie.with(symbol, text);
    const hash = documentHash(doc, trie.digest);
    const changes = diffAt(["symbols", symbol], old, entry ?? undefined);
    let slots: SlotPlan;
    if (this.shard !== undefined && !owns(this.shard, symbol)) slots = { kind: "none" };
    else if (entry === null) slots = { kind: "remove", symbol };
    else {
      slots = {
        kind: "set", symbol, profile: fresh,
        slots: {
          reference: entry.reference_price, tick: entry.tick_size, lot: entry.lot_size,
          sector: this.sectorId.get(entry.sector) ?? -1,
          strategy: entry.strategy === undefined ? -1 : (this.strategyId.get(entry.strategy) ?? -1),
          profile: profile!.id,
        },
      };
    }
    const commit = () => this.commit(symbol, old, entry, fresh, trie, warnings);
    return { ok: true, plan: { symbol, entry, hash, warnings, changes, slots }, commit };
  }

  /** Apply a plan to this side's state: the document in place, the trie, the interned profiles. */
  private commit(symbol: string, old: SymbolEntry | undefined, entry: SymbolEntry | null, fresh: Profile | null, trie: HashTrie, warnings: ConfigWarning[]): PatchedDocument {
    const doc = this.doc;
    if (old !== undefined) this.countSector(old.sector, -1);
    this.count += (old === undefined ? 1 : 0) - (entry === null ? 1 : 0);
    if (entry === null) delete doc.symbols[symbol];
    else {
      doc.symbols[symbol] = entry;
      this.countSector(entry.sector, 1);
    }
    this.trie = trie;
    this.warnings = warnings.filter((w) => w.code !== "unused_sector" && w.code !== "symbols_over_capacity_hint");
    if (fresh !== null) {
      this.profiles.push(fresh);
      this.byKey.set(profileKey(fresh), fresh.id);
      this.masks.push(ruleMask(fresh));
    }
    const generation = ++this.generation;
    const current = () => this.generation;
    let canonical: string | undefined;
    return {
      document: doc,
      canonical(): string {
        if (canonical === undefined) {
          if (generation !== current()) throw new Error("patchable: the canonical text of a superseded patch was asked for");
          canonical = canonicalText(doc);
        }
        return canonical;
      },
    };
  }

  /** The whole document's warnings after the change: the symbol's own replaced, the table-wide recomputed. */
  private warningsAfter(symbol: string, oldSector: string | undefined, entry: SymbolEntry | null, own: ConfigWarning[], count: number): ConfigWarning[] {
    const prefix = formatPath(["symbols", symbol]);
    const kept = this.warnings.filter((w) => !(w.path.startsWith(prefix) && (w.path.length === prefix.length || w.path[prefix.length] === "." || w.path[prefix.length] === "[")));
    const uses = (sector: string) => (this.sectorUse.get(sector) ?? 0) - (sector === oldSector ? 1 : 0) + (sector === entry?.sector ? 1 : 0) > 0;
    return [...kept, ...own, ...tableWarnings(this.doc, count, uses)];
  }

  private countSector(sector: string, by: number): void {
    const n = (this.sectorUse.get(sector) ?? 0) + by;
    if (n === 0) this.sectorUse.delete(sector);
    else this.sectorUse.set(sector, n);
  }
}
