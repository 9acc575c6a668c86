/**
 * Opening the database file: where it lives, the pragmas, and the schema check.
 *
 * - WAL: readers (`keel state`) never block the writer and see the last committed state.
 * - synchronous=NORMAL: in WAL mode a commit is durable against a process crash (`kill -9`) without
 *   an fsync per commit; only a power loss can take the last commits back. That is the trade the
 *   issue asks for (acknowledged orders survive a crash) at group-commit speed.
 * - busy_timeout: a reader's checkpoint or a second process's brief lock waits instead of failing.
 * - foreign_keys=ON: an order naming a config version that does not exist is refused.
 *
 * The schema version is read before any pragma that writes (journal_mode changes the file header),
 * so a database from a newer keel is refused byte-identical.
 */
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { NotAKeelDatabaseError, SchemaTooNewError, SchemaTooOldError, StoreError, StoreNotFoundError } from "./errors.ts";
import { migrate, SCHEMA_VERSION, schemaVersion } from "./migrations.ts";
import type { TradingMode } from "./store.ts";

export const BUSY_TIMEOUT_MS = 5000;

/** True for SQLite's in-memory database names. */
export function isMemory(path: string): boolean {
  return path === ":memory:" || path === "";
}

/**
 * The database file for a trading mode: paper and live never share one, so a paper session can
 * never read or extend a live journal.
 * @example dbPathFor("./data", "live") // "data/live.db"
 */
export function dbPathFor(dataDir: string, mode: TradingMode): string {
  // The type is not enough: the mode arrives from argv at run time.
  if (mode !== "paper" && mode !== "live") throw new StoreError(`unknown trading mode ${JSON.stringify(mode)}: expected "paper" or "live"`);
  return join(dataDir, `${mode}.db`);
}

/** What opening for writing did to the schema. */
export interface OpenedWriter {
  readonly db: Database;
  readonly migratedFrom: number;
  readonly schemaVersion: number;
}

/**
 * Open (creating the file and its directory if missing) the one writer connection, set the pragmas
 * and apply pending migrations. Throws SchemaTooNewError / NotAKeelDatabaseError, leaving the file untouched.
 */
export function openWriter(path: string, now: () => number = Date.now): OpenedWriter {
  if (!isMemory(path)) mkdirSync(dirname(path), { recursive: true });
  let db: Database;
  try {
    db = new Database(path, { create: true, readwrite: true });
  } catch (err) {
    throw new StoreError(`${path}: cannot open database: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  try {
    db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const seen = schemaVersion(db, path);
    if (seen > SCHEMA_VERSION) throw new SchemaTooNewError(path, seen, SCHEMA_VERSION);
    db.run("PRAGMA journal_mode = WAL");
    db.run("PRAGMA synchronous = NORMAL");
    db.run("PRAGMA foreign_keys = ON");
    const { from, to } = migrate(db, path, now);
    return { db, migratedFrom: from, schemaVersion: to };
  } catch (err) {
    db.close(false);
    if (err instanceof StoreError) throw err;
    throw new NotAKeelDatabaseError(path, err instanceof Error ? err.message : String(err), { cause: err });
  }
}

/**
 * Open a read-only connection for reporting while a writer may be running. The schema must be
 * exactly this code's: a reader cannot migrate, and guessing at an older layout would mislead.
 */
export function openReader(path: string): Database {
  if (isMemory(path)) throw new StoreError("a read-only open needs a database file, not :memory:");
  if (!existsSync(path)) throw new StoreNotFoundError(path);
  let db: Database;
  try {
    db = new Database(path, { readonly: true });
  } catch (err) {
    throw new StoreError(`${path}: cannot open database read-only: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  try {
    db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const seen = schemaVersion(db, path);
    if (seen > SCHEMA_VERSION) throw new SchemaTooNewError(path, seen, SCHEMA_VERSION);
    if (seen < SCHEMA_VERSION) throw new SchemaTooOldError(path, seen, SCHEMA_VERSION);
    return db;
  } catch (err) {
    db.close(false);
    if (err instanceof StoreError) throw err;
    throw new NotAKeelDatabaseError(path, err instanceof Error ? err.message : String(err), { cause: err });
  }
}
