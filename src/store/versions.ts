/**
 * Config versions, the active pointer and the audit log over bun:sqlite. These writes are rare
 * (an operator's PUT, a halt), so each is its own small transaction, committed before the call
 * returns: the admin API answers only after the version is durable.
 */
import type { Database, Statement } from "bun:sqlite";
import { canonicalText } from "../config/canonical.ts";
import type { Change } from "../config/diff.ts";
import type { ConfigDocument } from "../config/schema.ts";
import { StoreError, UnknownVersionError } from "./errors.ts";
import type { Activation, AuditAction, AuditEntry, AuditInput, ConfigVersion, NewVersion, SymbolDelta, VersionInfo } from "./store.ts";

const VERSION_COLUMNS = "version, hash, canonical, parent, author, message, created_at AS createdAt, delta";
// A listing leaves the documents out: a 100,000-symbol document is ~11 MB, and a list shows 50.
const INFO_COLUMNS = "version, hash, parent, author, message, created_at AS createdAt";
const AUDIT_COLUMNS = "id, ts, author, action, from_version AS fromVersion, to_version AS toVersion, changes, reason";

interface AuditRaw {
  id: number;
  ts: number;
  author: string;
  action: AuditAction;
  fromVersion: number | null;
  toVersion: number | null;
  changes: string;
  reason: string;
}

/** A version row as stored: `delta` set (and `canonical` empty) for a one-symbol change. */
type VersionRow = ConfigVersion & { delta: string | null };

function toAudit(r: AuditRaw): AuditEntry {
  return { ...r, changes: JSON.parse(r.changes) as Change[] };
}

/** Reads; usable on a read-only connection. */
export class VersionReads {
  private readonly getStmt: Statement<VersionRow, [number]>;
  private readonly byHashStmt: Statement<VersionRow, [string]>;
  private readonly listStmt: Statement<VersionInfo, [number]>;
  private readonly activeStmt: Statement<VersionRow, []>;
  /** A delta version's ancestry back to its nearest whole document, oldest first. */
  private readonly chainStmt: Statement<{ canonical: string; delta: string | null }, [number]>;
  private readonly auditStmt: Statement<AuditRaw, [number]>;

  constructor(protected readonly db: Database) {
    this.getStmt = db.prepare(`SELECT ${VERSION_COLUMNS} FROM config_versions WHERE version = ?`);
    this.byHashStmt = db.prepare(`SELECT ${VERSION_COLUMNS} FROM config_versions WHERE hash = ? ORDER BY version DESC LIMIT 1`);
    this.listStmt = db.prepare(`SELECT ${INFO_COLUMNS} FROM config_versions ORDER BY version DESC LIMIT ?`);
    this.activeStmt = db.prepare(
      `SELECT ${VERSION_COLUMNS} FROM config_versions WHERE version = (SELECT version FROM active_version WHERE id = 1)`,
    );
    this.auditStmt = db.prepare(`SELECT ${AUDIT_COLUMNS} FROM audit_log ORDER BY id DESC LIMIT ?`);
    this.chainStmt = db.prepare(`
      WITH RECURSIVE chain(version, parent, canonical, delta, depth) AS (
        SELECT version, parent, canonical, delta, 0 FROM config_versions WHERE version = ?
        UNION ALL
        SELECT v.version, v.parent, v.canonical, v.delta, chain.depth + 1
          FROM config_versions v JOIN chain ON v.version = chain.parent WHERE chain.delta IS NOT NULL
      )
      SELECT canonical, delta FROM chain ORDER BY depth DESC`);
  }

  /** One version, or null. */
  getVersion(version: number): ConfigVersion | null {
    return this.whole(this.getStmt.get(version));
  }

  /** The newest version with this hash, or null. */
  findByHash(hash: string): ConfigVersion | null {
    return this.whole(this.byHashStmt.get(hash));
  }

  /** Newest first; every version when limit is omitted. */
  listVersions(limit = -1): VersionInfo[] {
    return this.listStmt.all(limit);
  }

  /** The active version, or null before the first activation. */
  activeVersion(): ConfigVersion | null {
    return this.whole(this.activeStmt.get());
  }

  /**
   * A row with its document: a delta version's is rebuilt by applying the one-symbol changes since
   * its nearest whole ancestor, in order, and writing the result out canonically. O(document +
   * changes); reads of versions are rare (start-up, GET /config/versions/{v}, rollback, diff).
   */
  private whole(row: VersionRow | null): ConfigVersion | null {
    if (row === null) return null;
    const { delta, ...version } = row;
    if (delta === null) return version;
    const chain = this.chainStmt.all(row.version);
    const base = chain[0]!;
    if (base.delta !== null) throw new StoreError(`config version ${row.version}: its ancestry has no whole document`);
    const doc = JSON.parse(base.canonical) as ConfigDocument;
    for (let k = 1; k < chain.length; k++) {
      const d = JSON.parse(chain[k]!.delta!) as SymbolDelta;
      if (d.entry === null) delete doc.symbols[d.symbol];
      else doc.symbols[d.symbol] = d.entry as ConfigDocument["symbols"][string];
    }
    return { ...version, canonical: canonicalText(doc) };
  }

  /** Newest first; every row when limit is omitted. */
  listAudit(limit = -1): AuditEntry[] {
    return this.auditStmt.all(limit).map(toAudit);
  }

  /** Release the prepared statements (before closing the connection). */
  finalize(): void {
    for (const s of [this.getStmt, this.byHashStmt, this.listStmt, this.activeStmt, this.auditStmt, this.chainStmt]) s.finalize();
  }
}

/** Reads and writes; the writer connection only. */
export class VersionLog extends VersionReads {
  private readonly insertVersion: Statement<{ version: number }, [string, string, number | null, string, string, number, string | null]>;
  private readonly setActive: Statement<unknown, [number]>;
  private readonly insertAudit: Statement<
    AuditRaw,
    [number, string, string, number | null, number | null, string, string]
  >;
  private readonly activateTx: { immediate: (version: number, a: Activation) => AuditEntry };
  // Existence and the active number without reading documents (a 100k-symbol one is ~11 MB).
  private readonly existsStmt: Statement<{ n: number }, [number]>;
  private readonly activeNumberStmt: Statement<{ version: number }, []>;
  private readonly createActivateTx: { immediate: (v: NewVersion, a: Activation) => { version: number; audit: AuditEntry } };

  constructor(
    db: Database,
    private readonly now: () => number,
  ) {
    super(db);
    // max + 1 rather than rowid allocation: numbers stay dense and start at 1 even if a row was deleted by hand.
    this.insertVersion = db.prepare(
      `INSERT INTO config_versions (version, hash, canonical, parent, author, message, created_at, delta)
       VALUES ((SELECT COALESCE(MAX(version), 0) + 1 FROM config_versions), ?, ?, ?, ?, ?, ?, ?) RETURNING version`,
    );
    this.setActive = db.prepare("INSERT INTO active_version (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version");
    this.insertAudit = db.prepare(
      `INSERT INTO audit_log (ts, author, action, from_version, to_version, changes, reason)
       VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${AUDIT_COLUMNS}`,
    );
    this.existsStmt = db.prepare("SELECT COUNT(*) AS n FROM config_versions WHERE version = ?");
    this.activeNumberStmt = db.prepare("SELECT version FROM active_version WHERE id = 1");
    this.activateTx = db.transaction((version: number, a: Activation) => this.activateIn(version, a));
    this.createActivateTx = db.transaction((v: NewVersion, a: Activation) => {
      const version = this.createIn(v);
      return { version, audit: this.activateIn(version, a) };
    });
  }

  /** Store a new version; returns its number. */
  createVersion(v: NewVersion): number {
    return this.createIn(v);
  }

  /** Point the active version at `version` and record the audit row, atomically. */
  activate(version: number, a: Activation): AuditEntry {
    return this.activateTx.immediate(version, a);
  }

  /** Create and activate in one transaction. */
  createAndActivate(v: NewVersion, a: Activation): { version: number; audit: AuditEntry } {
    return this.createActivateTx.immediate(v, a);
  }

  /** An audit row that leaves the active version alone; versions default to the active one. */
  recordAudit(a: AuditInput): AuditEntry {
    const active = this.activeNumber();
    const from = a.fromVersion === undefined ? active : a.fromVersion;
    const to = a.toVersion === undefined ? active : a.toVersion;
    return this.audit(a.author, a.action, from, to, a.changes, a.reason);
  }

  private createIn(v: NewVersion): number {
    if (v.parent !== null && !this.exists(v.parent)) throw new UnknownVersionError(v.parent);
    if (v.delta !== undefined && v.parent === null) throw new StoreError("a one-symbol version needs a parent to apply to");
    const delta = v.delta === undefined ? null : JSON.stringify({ symbol: v.delta.symbol, entry: v.delta.entry ?? null });
    return this.insertVersion.get(v.hash, delta === null ? v.canonical : "", v.parent, v.author, v.message, this.now(), delta)!.version;
  }

  private activateIn(version: number, a: Activation): AuditEntry {
    if (!this.exists(version)) throw new UnknownVersionError(version);
    const from = this.activeNumber();
    this.setActive.run(version);
    return this.audit(a.author, a.action, from, version, a.changes ?? [], a.reason ?? "");
  }

  private exists(version: number): boolean {
    return this.existsStmt.get(version)!.n > 0;
  }

  private activeNumber(): number | null {
    return this.activeNumberStmt.get()?.version ?? null;
  }

  private audit(author: string, action: AuditAction, from: number | null, to: number | null, changes: readonly Change[], reason: string): AuditEntry {
    const row = this.insertAudit.get(this.now(), author, action, from, to, JSON.stringify(changes), reason);
    return toAudit(row!);
  }

  /** Release the prepared statements. */
  override finalize(): void {
    super.finalize();
    for (const s of [this.insertVersion, this.setActive, this.insertAudit, this.existsStmt, this.activeNumberStmt]) s.finalize();
  }
}
