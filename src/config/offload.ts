/**
 * Preparing large documents off the engine's thread. Below a size chosen by measurement
 * (bench/reload.bench.ts) a document is prepared inline: a Worker round trip costs more than it
 * saves. Above it, the text goes to the config Worker (prepare-worker.ts), which parses,
 * validates, hashes, compiles and diffs; the Snapshot comes back over shared memory and only the
 * symbol index is rebuilt here.
 */
import type { Change } from "./diff.ts";
import type { ConfigIssue, ConfigWarning } from "./errors.ts";
import type { Format } from "./load.ts";
import type { PatchPlan } from "./patchable.ts";
import type { Prepared } from "./prepare.ts";

/** A plan from the Worker: the plan, or why the patch is refused. */
export type PatchResultData =
  | { readonly ok: true; readonly plan: PatchPlan }
  | { readonly ok: false; readonly issues: ConfigIssue[]; readonly warnings: ConfigWarning[]; readonly missing?: boolean };
import type { ConfigDocument } from "./schema.ts";
import type { Shard } from "./shard.ts";
import { fromParts, type SnapshotParts } from "./transfer.ts";

/** Bodies at least this long (UTF-16 units) are prepared in the Worker; see the file comment. */
export const OFFLOAD_CHARS = 256 * 1024;

export type WorkerRequest =
  /** The active document after a whole activation (hash: the version's, so the Worker can keep what it prepared). */
  | { readonly id: number; readonly kind: "active"; readonly canonical: string; readonly hash: string }
  | { readonly id: number; readonly kind: "shard"; readonly shard: Shard }
  | { readonly id: number; readonly kind: "prepare"; readonly text: string; readonly format: Format }
  /** A one-symbol patch was activated on the engine's thread: keep the worker's copy in step. */
  | { readonly id: number; readonly kind: "patched"; readonly symbol: string; readonly entry: unknown }
  /** Plan a one-symbol patch of the active version the Worker prepared (config/patchable.ts). */
  | { readonly id: number; readonly kind: "plan"; readonly symbol: string; readonly partial: Record<string, unknown> | null }
  /** The last plan was activated (commit) or not (discard). */
  | { readonly id: number; readonly kind: "commit" | "discard" };

export type WorkerReply =
  | {
      readonly id: number; readonly ok: true; readonly canonical: string; readonly hash: string; readonly warnings: ConfigWarning[];
      readonly changes: Change[]; readonly parts: SnapshotParts; readonly maxWrites: number;
    }
  | { readonly id: number; readonly ok: true; readonly plan: PatchPlan }
  | { readonly id: number; readonly ok: false; readonly issues: ConfigIssue[]; readonly warnings: ConfigWarning[]; readonly malformed?: boolean; readonly missing?: boolean };

export type Outcome =
  /** maxWrites: the document's admin.max_config_writes_per_minute, so reading it parses nothing. */
  | { readonly ok: true; readonly prepared: Prepared; readonly changes: readonly Change[]; readonly maxWrites: number }
  | { readonly ok: false; readonly issues: ConfigIssue[]; readonly warnings: ConfigWarning[]; readonly malformed: boolean };

/** A Prepared whose document is parsed from its canonical text only if someone reads it. */
export function lazyPrepared(canonical: string, hash: string, warnings: ConfigWarning[], parts: SnapshotParts): Prepared {
  let doc: ConfigDocument | undefined;
  return {
    ok: true,
    canonical,
    hash,
    warnings,
    snapshot: fromParts(parts),
    get document(): ConfigDocument {
      doc ??= JSON.parse(canonical) as ConfigDocument;
      return doc;
    },
  };
}

/**
 * Where the worker's code is. From source, beside this file. In the compiled binary this module
 * is bundled into the main entry at the root of Bun's embedded file system, and the worker (a
 * separate entrypoint, see build.ts) sits under config/ there.
 */
function workerUrl(): URL {
  const compiled = import.meta.url.startsWith("file:///$bunfs/");
  return new URL(compiled ? "./config/prepare-worker.ts" : "./prepare-worker.ts", import.meta.url);
}

export class ConfigWorker {
  private readonly worker: Worker;
  private next = 1;
  private readonly waiting = new Map<number, (r: WorkerReply) => void>();
  /** False once the worker has failed: callers then prepare inline instead. */
  alive = true;
  /** Why it failed, for the log. */
  failure: string | null = null;

  /** `shard`: compile only this shard's symbols, as the engine's thread does. */
  constructor(shard?: Shard) {
    this.worker = new Worker(workerUrl());
    if (shard !== undefined) this.worker.postMessage({ id: 0, kind: "shard", shard } satisfies WorkerRequest);
    this.worker.onmessage = (e: MessageEvent<WorkerReply>) => {
      const done = this.waiting.get(e.data.id);
      this.waiting.delete(e.data.id);
      done?.(e.data);
    };
    this.worker.onerror = (e) => {
      this.alive = false;
      this.failure = e.message;
      const fail: ConfigIssue = { path: "", code: "invalid", message: `config worker failed: ${e.message}` };
      for (const [id, done] of this.waiting) done({ id, ok: false, issues: [fail], warnings: [] });
      this.waiting.clear();
    };
    // An idle worker must not keep the process alive.
    this.worker.unref();
  }

  /** Tell the worker which document is active now (after every whole activation, whoever made it). */
  setActive(canonical: string, hash: string): void {
    this.worker.postMessage({ id: 0, kind: "active", canonical, hash } satisfies WorkerRequest);
  }

  /**
   * Plan a one-symbol patch on the Worker, which holds the document and hash trie of a version it
   * prepared: the engine's thread then only writes the slots. Answer commitPlan() or discardPlan().
   */
  plan(symbol: string, partial: Record<string, unknown> | null): Promise<PatchResultData> {
    if (!this.alive) return Promise.resolve({ ok: false, issues: [{ path: "", code: "invalid", message: `config worker failed: ${this.failure}` }], warnings: [] });
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, (r) => {
        if ("plan" in r) resolve({ ok: true, plan: r.plan });
        else if (r.ok) resolve({ ok: false, issues: [{ path: "", code: "invalid", message: "config worker: a preparation answered a plan" }], warnings: [] });
        else resolve({ ok: false, issues: r.issues, warnings: r.warnings, ...(r.missing === true ? { missing: true } : {}) });
      });
      this.worker.postMessage({ id, kind: "plan", symbol, partial } satisfies WorkerRequest);
    });
  }

  commitPlan(): void {
    this.worker.postMessage({ id: 0, kind: "commit" } satisfies WorkerRequest);
  }

  discardPlan(): void {
    this.worker.postMessage({ id: 0, kind: "discard" } satisfies WorkerRequest);
  }

  prepare(text: string, format: Format): Promise<Outcome> {
    return this.ask({ id: this.next++, kind: "prepare", text, format });
  }

  /** A one-symbol patch was activated (the worker keeps its copy of the active document in step). */
  patched(symbol: string, entry: unknown): void {
    this.worker.postMessage({ id: 0, kind: "patched", symbol, entry } satisfies WorkerRequest);
  }

  terminate(): void {
    this.worker.terminate();
  }

  private ask(m: WorkerRequest): Promise<Outcome> {
    if (!this.alive) {
      const issue: ConfigIssue = { path: "", code: "invalid", message: `config worker failed: ${this.failure}` };
      return Promise.resolve({ ok: false, issues: [issue], warnings: [], malformed: false });
    }
    return new Promise((resolve) => {
      this.waiting.set(m.id, (r) => {
        if ("plan" in r) resolve({ ok: false, issues: [{ path: "", code: "invalid", message: "config worker: a plan answered a prepare" }], warnings: [], malformed: false });
        else if (r.ok) resolve({ ok: true, prepared: lazyPrepared(r.canonical, r.hash, r.warnings, r.parts), changes: r.changes, maxWrites: r.maxWrites });
        else resolve({ ok: false, issues: r.issues, warnings: r.warnings, malformed: r.malformed === true });
      });
      this.worker.postMessage(m);
    });
  }
}
