/**
 * The checkpointer's thread (store/checkpointer.ts is its only user): its own connection to the
 * database file, a PASSIVE checkpoint every interval, closed cleanly when asked (a thread killed
 * holding SQLite's file locks would leave them to the whole process: POSIX locks are per process).
 * Protocol: in { path, intervalMs } then "stop"; out "closed", or { error } for each failure.
 */
/// <reference lib="webworker" />
import { Database, type Statement } from "bun:sqlite";

declare const self: Worker;

let db: Database | null = null;
let checkpoint: Statement | null = null;
let timer: ReturnType<typeof setInterval> | null = null;

self.onmessage = (e: MessageEvent<{ path: string; intervalMs: number } | "stop">) => {
  const m = e.data;
  if (m === "stop") {
    if (timer !== null) clearInterval(timer);
    // Finalized first: a connection closed with a live statement stays open until it is, and the
    // writer would then not be the last connection (whose close checkpoints and removes the WAL).
    checkpoint?.finalize();
    db?.close(true);
    db = null;
    self.postMessage("closed");
    return;
  }
  try {
    db = new Database(m.path, { readwrite: true });
    // PASSIVE never waits for the writer; a checkpoint the writer is already running is skipped.
    db.run("PRAGMA busy_timeout = 0");
    const stmt = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
    checkpoint = stmt;
    timer = setInterval(() => {
      try {
        stmt.get();
      } catch (err) {
        self.postMessage({ error: err instanceof Error ? err.message : String(err) });
      }
    }, m.intervalMs);
  } catch (err) {
    self.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
};
