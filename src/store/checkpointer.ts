/**
 * WAL checkpoints off the engine's thread. SQLite's automatic checkpoint runs inside whichever
 * commit makes the WAL reach 1,000 pages: it copies those pages into the database file and waits
 * for two fsyncs, on the thread that holds the journal, so a commit every ~170 stalls the engine
 * for milliseconds (bench/serve.bench.ts: the reply p99, and a fifth of the time in commits).
 * A Worker with its own connection runs PASSIVE checkpoints every few ms instead: it copies
 * and syncs while the engine decides. The writer's own automatic checkpoint stays on as the
 * backstop, raised to BACKSTOP_PAGES: a PASSIVE checkpoint that runs while commits keep coming
 * never finds the WAL completely copied, and only then does the writer start the WAL over, so
 * the writer's checkpoint (left with the few pages the Worker has not copied yet) is what keeps
 * the WAL's size bounded (16 MB). Durability does not change: a commit is durable once it is in
 * the WAL, checkpointed or not.
 */

import type { Database } from "bun:sqlite";

/** The writer's own automatic checkpoint while the Worker runs, pages (SQLite's default: 1,000). */
export const BACKSTOP_PAGES = 4000;
const SQLITE_DEFAULT_PAGES = 1000;

export interface Checkpointer {
  /** Close the Worker's connection and end it; resolves once its locks are released. */
  stop(): Promise<void>;
}

export interface CheckpointerOptions {
  /** Between two checkpoints, ms. Default 20. */
  readonly intervalMs?: number;
  readonly onError?: (message: string) => void;
}

/** Where the worker's code is: beside this file from source, under store/ in the compiled binary (build.ts). */
function workerUrl(): URL {
  const compiled = import.meta.url.startsWith("file:///$bunfs/");
  return new URL(compiled ? "./store/checkpoint-worker.ts" : "./checkpoint-worker.ts", import.meta.url);
}

/**
 * Start checkpointing the WAL of the database file at `path` (not ":memory:") whose one writer
 * connection is `writer`.
 * @example const cp = startCheckpointer(store.db, dbPath); ... await cp.stop(); store.close();
 */
export function startCheckpointer(writer: Database, path: string, opts: CheckpointerOptions = {}): Checkpointer {
  const worker = new Worker(workerUrl());
  writer.run(`PRAGMA wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  let closed: (() => void) | null = null;
  const done = new Promise<void>((resolve) => (closed = resolve));
  worker.onmessage = (e: MessageEvent<"closed" | { error: string }>) => {
    if (e.data === "closed") {
      worker.terminate();
      closed!();
    } else opts.onError?.(e.data.error);
  };
  worker.onerror = (e) => {
    opts.onError?.(e.message);
    closed!();
  };
  // Unreferenced: a running checkpointer must not keep a process alive that is otherwise done.
  worker.unref();
  worker.postMessage({ path, intervalMs: opts.intervalMs ?? 20 });
  let stopping: Promise<void> | null = null;
  return {
    stop() {
      if (stopping === null) {
        writer.run(`PRAGMA wal_autocheckpoint = ${SQLITE_DEFAULT_PAGES}`);
        worker.ref();
        worker.postMessage("stop");
        stopping = done;
      }
      return stopping;
    },
  };
}
