/**
 * The Store over bun:sqlite: db.ts opens and migrates, versions.ts / recovery.ts / retention.ts /
 * journal.ts hold the prepared statements of one concept each, and this file puts them behind the
 * Store and StoreReader interfaces.
 */
import type { Database } from "bun:sqlite";
import { openReader, openWriter } from "./db.ts";
import { SqliteJournal, type JournalOptions } from "./journal.ts";
import type { PositionCarry } from "./positions.ts";
import { JournalReads } from "./recovery.ts";
import { Retention } from "./retention.ts";
import type {
  MarkRow,
  OrderRow,
  Activation,
  AuditEntry,
  AuditInput,
  ConfigVersion,
  DayJournal,
  FillRow,
  NewVersion,
  StateChangeRow,
  Store,
  StoreReader,
  VersionInfo,
} from "./store.ts";
import { VersionLog, VersionReads } from "./versions.ts";

export interface OpenStoreOptions {
  /** Clock for created_at / audit ts (epoch ms). Default Date.now. */
  readonly now?: () => number;
  readonly journal?: JournalOptions;
}

/** The read side over any connection (read-only or the writer's own). */
export class SqliteStoreReader implements StoreReader {
  protected closed = false;

  constructor(
    /** The underlying connection, for diagnostics (PRAGMA integrity_check) and tests. */
    readonly db: Database,
    protected readonly versions: VersionReads,
    protected readonly reads: JournalReads,
  ) {}

  getVersion(version: number): ConfigVersion | null {
    return this.versions.getVersion(version);
  }
  findByHash(hash: string): ConfigVersion | null {
    return this.versions.findByHash(hash);
  }
  listVersions(limit?: number): VersionInfo[] {
    return this.versions.listVersions(limit);
  }
  activeVersion(): ConfigVersion | null {
    return this.versions.activeVersion();
  }
  listAudit(limit?: number): AuditEntry[] {
    return this.versions.listAudit(limit);
  }
  dayJournal(day: number): DayJournal {
    return this.reads.dayJournal(day);
  }
  dailyTrades(day: number): number {
    return this.reads.dailyTrades(day);
  }
  lastStateChange(): StateChangeRow | null {
    return this.reads.lastStateChange();
  }
  lastDay(): number | null {
    return this.reads.lastDay();
  }
  fills(): IterableIterator<FillRow> {
    return this.reads.fills();
  }
  positionCarry(): PositionCarry[] {
    return this.reads.positionCarry();
  }
  marks(): MarkRow[] {
    return this.reads.marks();
  }
  lastOrders(): OrderRow[] {
    return this.reads.lastOrders();
  }
  dayStartOf(day: number): number | null {
    return this.reads.dayStartOf(day);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.versions.finalize();
    this.reads.finalize();
    this.db.close(false);
  }
}

/** The writer: one per database, held by `keel serve`. */
export class SqliteStore extends SqliteStoreReader implements Store {
  readonly journal: SqliteJournal;
  private readonly log: VersionLog;
  private readonly retention: Retention;

  constructor(
    db: Database,
    /** The schema version the database had before this open (0: created now). */
    readonly migratedFrom: number,
    opts: OpenStoreOptions = {},
  ) {
    const log = new VersionLog(db, opts.now ?? Date.now);
    const reads = new JournalReads(db);
    super(db, log, reads);
    this.log = log;
    this.retention = new Retention(db);
    this.journal = new SqliteJournal(db, reads.maxSeq(), opts.journal);
  }

  createVersion(v: NewVersion): number {
    return this.log.createVersion(v);
  }
  activate(version: number, a: Activation): AuditEntry {
    return this.log.activate(version, a);
  }
  createAndActivate(v: NewVersion, a: Activation): { version: number; audit: AuditEntry } {
    return this.log.createAndActivate(v, a);
  }
  recordAudit(a: AuditInput): AuditEntry {
    return this.log.recordAudit(a);
  }
  prune(beforeDay: number, batchSize: number): number {
    return this.retention.prune(beforeDay, batchSize);
  }

  override close(): void {
    if (this.closed) return;
    try {
      this.journal.close();
    } finally {
      this.retention.finalize();
      super.close();
    }
  }
}

/**
 * Open the writer store at `path` (a file, created with its directory, or ":memory:"), migrating it.
 * @example const store = openStore(dbPathFor(dataDir, "paper"));
 */
export function openStore(path: string, opts: OpenStoreOptions = {}): SqliteStore {
  const { db, migratedFrom } = openWriter(path, opts.now);
  return new SqliteStore(db, migratedFrom, opts);
}

/** Open a read-only view of the store at `path`, safe while a writer runs (WAL). */
export function openStoreReader(path: string): SqliteStoreReader {
  const db = openReader(path);
  return new SqliteStoreReader(db, new VersionReads(db), new JournalReads(db));
}
