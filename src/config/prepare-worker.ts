/**
 * The config Worker: parses, validates, hashes, compiles and diffs large documents on its own
 * thread, so the engine's thread keeps deciding signals meanwhile. It keeps its own parsed copy
 * of the active document (sent after every full activation, and kept in step with one-symbol
 * patches, which the engine's thread prepares itself: config/patchable.ts) to diff against.
 * Protocol: see offload.ts, the only sender.
 */
/// <reference lib="webworker" />
import { changesOf } from "./diff.ts";
import { parseText } from "./load.ts";
import { Patchable, type PatchedDocument } from "./patchable.ts";
import { prepareValue, type Prepared } from "./prepare.ts";
import type { ConfigDocument } from "./schema.ts";
import type { Shard } from "./shard.ts";
import { toParts } from "./transfer.ts";
import type { WorkerReply, WorkerRequest } from "./offload.ts";

declare const self: Worker;

let active: ConfigDocument | null = null;
let shard: Shard | undefined;
/** The last document this Worker prepared: kept so that, once activated, it can be patched. */
let lastPrepared: Prepared | null = null;
/** The active version as prepared here (document, trie, Snapshot), while it is the one patched here. */
let activePrepared: Prepared | null = null;
let patchable: Patchable | null = null;
let pending: (() => PatchedDocument) | null = null;

/** A preparation as the reply, with its change list against the active document. */
function answerPrepared(id: number, p: ReturnType<typeof prepareValue>): WorkerReply {
  if (!p.ok) return { id, ok: false, issues: p.issues, warnings: p.warnings };
  lastPrepared = p;
  const changes = active === null ? [] : changesOf(active, p.document);
  const maxWrites = p.document.admin.max_config_writes_per_minute;
  return { id, ok: true, canonical: p.canonical, hash: p.hash, warnings: p.warnings, changes, parts: toParts(p.snapshot), maxWrites };
}

self.onmessage = (e: MessageEvent<WorkerRequest>) => {
  const m = e.data;
  let reply: WorkerReply;
  try {
    switch (m.kind) {
      case "active":
        // The version this Worker just prepared keeps its parsed document and trie for patches.
        activePrepared = lastPrepared?.hash === m.hash ? lastPrepared : null;
        active = activePrepared?.document ?? (JSON.parse(m.canonical) as ConfigDocument);
        lastPrepared = null;
        patchable = null;
        pending = null;
        return;
      case "shard":
        shard = m.shard;
        return;
      case "prepare": {
        const parsed = parseText(m.text, m.format);
        reply = parsed.ok ? answerPrepared(m.id, prepareValue(parsed.value, shard)) : { id: m.id, ok: false, issues: [parsed.issue], warnings: [], malformed: true };
        break;
      }
      case "patched":
        // Patched on the engine's thread: this copy follows, and is no longer the one to patch here.
        if (active !== null) {
          if (m.entry === null) delete active.symbols[m.symbol];
          else active.symbols[m.symbol] = m.entry as ConfigDocument["symbols"][string];
        }
        activePrepared = null;
        patchable = null;
        return;
      case "plan": {
        if (patchable === null) {
          const base = activePrepared ?? (active === null ? null : prepareValue(active, shard));
          if (base === null || !base.ok) throw new Error("no active document to patch");
          patchable = new Patchable(base, shard);
          active = base.document;
        }
        const r = patchable.plan(m.symbol, m.partial);
        pending = r.ok ? r.commit : null;
        reply = r.ok ? { id: m.id, ok: true, plan: r.plan } : { id: m.id, ok: false, issues: r.issues, warnings: r.warnings, ...(r.missing === true ? { missing: true } : {}) };
        break;
      }
      case "commit":
        pending?.();
        pending = null;
        return;
      case "discard":
        pending = null;
        return;
    }
  } catch (err) {
    reply = { id: m.id, ok: false, issues: [{ path: "", code: "invalid", message: `internal error: ${err instanceof Error ? err.message : String(err)}` }], warnings: [] };
  }
  self.postMessage(reply);
};
