/**
 * A patch lineage: the active whole version (from a PUT, a rollback or start-up) and the
 * one-symbol PATCHes and DELETEs made on it since. It decides where a patch is planned and owns
 * what a patch writes:
 *
 * - Planned where the version's document and hash trie live (config/patchable.ts): on the
 *   engine's thread when the version was prepared there, on the config Worker when it was
 *   prepared there. Building them again on the engine's thread would stall decisions (~240 ms
 *   at 100,000 symbols). A plan is data either way.
 * - Its slots are written on the engine's thread by the lineage's SnapshotWriter.
 * - A Worker-planned lineage keeps the whole version it started from and the deltas since, so a
 *   version's document is written out on the engine's thread only when asked (GET /config).
 *   An engine-planned lineage tells the Worker each change, so its copy (for diffing PUTs) stays
 *   in step.
 */
import { canonicalText } from "./canonical.ts";
import type { ConfigIssue, ConfigWarning } from "./errors.ts";
import type { ConfigWorker } from "./offload.ts";
import { Patchable, type PatchedDocument, type PatchPlan } from "./patchable.ts";
import type { Prepared } from "./prepare.ts";
import type { ConfigDocument, SymbolEntry } from "./schema.ts";
import type { Shard } from "./shard.ts";
import { SnapshotWriter, type SymbolChange } from "./snapshot-writer.ts";

/** A checked one-symbol change: PatchLineage.apply() it, or discard() it on the planner's side. */
export interface Planned {
  readonly plan: PatchPlan;
  /** The planner's side of a commit (apply() calls it). */
  commit(): PatchedDocument;
  discard(): void;
}

export type PlanResult =
  | ({ readonly ok: true } & Planned)
  | { readonly ok: false; readonly issues: ConfigIssue[]; readonly warnings: ConfigWarning[]; readonly missing?: boolean };

export class PatchLineage {
  private readonly onWorker: boolean;
  private patchable: Patchable | null = null;
  private writer: SnapshotWriter | null = null;
  private readonly deltas: { readonly symbol: string; readonly entry: unknown }[] = [];

  /**
   * `eager`: build the index and the writer now (before trading starts), not at the first patch.
   * The lineage starts from `base`, which must be the version the engine runs.
   */
  constructor(
    private readonly base: Prepared,
    private readonly worker: ConfigWorker | null,
    private readonly shard?: Shard,
    eager = false,
  ) {
    this.onWorker = base.trie === undefined && worker !== null;
    if (eager && !this.onWorker) {
      this.patchable = new Patchable(base, shard);
      this.writer = new SnapshotWriter(base.snapshot);
    }
  }

  /** Check `symbol` patched by `fields` (a delete when null), against the lineage's latest version. */
  async plan(symbol: string, fields: Record<string, unknown> | null, current: Prepared): Promise<PlanResult> {
    const worker = this.onWorker && this.worker !== null && this.worker.alive ? this.worker : null;
    if (worker !== null) {
      const r = await worker.plan(symbol, fields);
      if (!r.ok) return r;
      return { ok: true, plan: r.plan, commit: () => (worker.commitPlan(), this.chained(r.plan)), discard: () => worker.discardPlan() };
    }
    // A Worker that failed mid-lineage: the index is built here from the latest version.
    this.patchable ??= new Patchable(current, this.shard);
    const r = this.patchable.plan(symbol, fields);
    if (!r.ok) return r;
    return { ok: true, plan: r.plan, commit: r.commit, discard: () => {} };
  }

  /**
   * Write a plan's slots into the engine's Snapshot and commit the planner's side: the new
   * version, and what happened to the symbol's index. `current` is the version it patches.
   */
  apply(planned: Planned, current: Prepared): { readonly prepared: Prepared; readonly change: SymbolChange } {
    const { plan } = planned;
    const out = (this.writer ??= new SnapshotWriter(current.snapshot)).apply(plan.slots, plan.hash);
    const doc = planned.commit();
    if (!this.onWorker) this.worker?.patched(plan.symbol, plan.entry);
    const prepared: Prepared = {
      ok: true, hash: plan.hash, warnings: plan.warnings, snapshot: out.snapshot,
      get document() {
        return doc.document;
      },
      get canonical() {
        return doc.canonical();
      },
    };
    return { prepared, change: out.change };
  }

  /** A Worker-planned version's document: the lineage's base plus its deltas, written out when asked. */
  private chained(plan: PatchPlan): PatchedDocument {
    this.deltas.push({ symbol: plan.symbol, entry: plan.entry });
    const n = this.deltas.length;
    const base = this.base;
    const deltas = this.deltas;
    let doc: ConfigDocument | undefined;
    const document = (): ConfigDocument => {
      if (doc === undefined) {
        doc = JSON.parse(base.canonical) as ConfigDocument;
        for (const d of deltas.slice(0, n)) {
          if (d.entry === null) delete doc.symbols[d.symbol];
          else doc.symbols[d.symbol] = d.entry as SymbolEntry;
        }
      }
      return doc;
    };
    let text: string | undefined;
    return {
      get document() {
        return document();
      },
      canonical: () => (text ??= canonicalText(document())),
    };
  }
}
