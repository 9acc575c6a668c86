/**
 * The store's typed errors. Each one says what was found and what to do; none of them is used for
 * control flow on the hot path (a journal failure reaches the waiters of its batch as data).
 */

/** Base class, so callers can tell a store failure from anything else. */
export class StoreError extends Error {
  override readonly name: string = "StoreError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The database was written by a newer keel: this build does not know its schema and will not touch it. */
export class SchemaTooNewError extends StoreError {
  override readonly name = "SchemaTooNewError";
  constructor(
    readonly path: string,
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `${path}: database schema version ${found} is newer than this keel knows (${known}); ` +
        `it was written by a newer keel. Refusing to open it (the file was not changed): upgrade keel or use another --data directory`,
    );
  }
}

/** A read-only open found a database that still needs migrations only a writer may apply. */
export class SchemaTooOldError extends StoreError {
  override readonly name = "SchemaTooOldError";
  constructor(
    readonly path: string,
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `${path}: database schema version ${found} is older than this keel's (${known}) and a read-only open cannot upgrade it; ` +
        `start \`keel serve\` on it once to migrate`,
    );
  }
}

/** The file is SQLite but not a keel database (tables, but no schema_migrations), or not SQLite at all. */
export class NotAKeelDatabaseError extends StoreError {
  override readonly name = "NotAKeelDatabaseError";
  constructor(
    readonly path: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: not a keel database (${detail}); refusing to open it`, options);
  }
}

/** A read-only open of a database file that does not exist. */
export class StoreNotFoundError extends StoreError {
  override readonly name = "StoreNotFoundError";
  constructor(readonly path: string) {
    super(`${path}: no database here; \`keel serve\` creates it on first start (check --data and --mode)`);
  }
}

/** A journal batch failed to commit: none of its rows were written. */
export class JournalCommitError extends StoreError {
  override readonly name = "JournalCommitError";
  constructor(
    readonly rows: number,
    cause: unknown,
  ) {
    super(`journal commit of ${rows} row(s) failed, none were written: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

/** An order or fill the journal refuses to store (the old tables' CHECKs); fails its whole batch. */
export class JournalRowError extends StoreError {
  override readonly name = "JournalRowError";
}

/** A write after close(). */
export class StoreClosedError extends StoreError {
  override readonly name = "StoreClosedError";
  constructor(what: string) {
    super(`${what}: the store is closed`);
  }
}

/** A version or activation request that names something that does not exist. */
export class UnknownVersionError extends StoreError {
  override readonly name = "UnknownVersionError";
  constructor(readonly version: number) {
    super(`config version ${version} does not exist`);
  }
}
