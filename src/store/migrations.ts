/**
 * The schema, as numbered migrations embedded in the code, so `bun build --compile` carries them
 * and a binary never depends on SQL files beside it. Append only: a migration that has shipped is
 * never edited (databases out there already ran it); a change is a new entry at the end.
 *
 * Applied versions are recorded in `schema_migrations` (version, applied_at). `migrate()` applies
 * the missing ones in one IMMEDIATE transaction, so a crash or a second process starting at the
 * same moment leaves the schema either before or after, never between. A database with a version
 * this code does not know is refused and left untouched.
 */
import type { Database } from "bun:sqlite";
import { canonicalize } from "../config/canonical.ts";
import { prepareValue } from "../config/prepare.ts";
import type { ConfigDocument } from "../config/schema.ts";
import { MAX_BODY_ROWS, segments, toBatch } from "./batch-body.ts";
import { encodeBodyV6 } from "./body-v6.ts";
import { NotAKeelDatabaseError, SchemaTooNewError, StoreError } from "./errors.ts";
import type { FillRow, OrderRow } from "./store.ts";

export interface Migration {
  /** 1, 2, ...: its position in MIGRATIONS plus one. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /** A data step after the SQL, in the same transaction. */
  readonly run?: (db: Database) => void;
}

/** The bookkeeping table itself; not a migration, because it must exist to record the first. */
export const SCHEMA_MIGRATIONS_DDL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  applied_at INTEGER NOT NULL
)`;

/**
 * Migration 6's views, as it created them (migration 7 replaces them with JOURNAL_VIEWS). An
 * order's two prices are at 2k and 2k + 1 of its row's `prices`; a folded fill ([dseq, k]) takes
 * its fields from orders[k] of its row. `->` with a computed path walks the array to the index
 * (rows are at most MAX_BODY_ROWS long).
 */
const JOURNAL_VIEWS_V6 = `
CREATE VIEW orders AS
SELECT b.seq + (o.value ->> 0) AS seq, o.value ->> 1 AS signal_id, o.value ->> 2 AS symbol,
       o.value ->> 3 AS side, o.value ->> 4 AS qty, b.prices ->> ('$[' || (2 * o.key) || ']') AS price,
       o.value ->> 5 AS order_type, o.value ->> 6 AS tif, o.value ->> 7 AS config_version,
       b.prices ->> ('$[' || (2 * o.key + 1) || ']') AS signal_price, b.ts + (o.value ->> 8) AS ts, b.day AS day
FROM journal_batches AS b, json_each(b.orders) AS o;
CREATE VIEW fills AS
SELECT base + (v ->> 0) AS seq, coalesce(r ->> 1, v ->> 1) AS order_id, coalesce(r ->> 2, v ->> 2) AS symbol,
       coalesce(r ->> 3, v ->> 3) AS side, coalesce(r ->> 4, v ->> 4) AS qty,
       CASE WHEN r IS NULL THEN v ->> 5 ELSE prices ->> ('$[' || (2 * (v ->> 1)) || ']') END AS price,
       ts0 + coalesce(r ->> 8, v ->> 6) AS ts, day
FROM (SELECT b.seq AS base, b.ts AS ts0, b.day AS day, b.prices AS prices, f.value AS v,
             CASE WHEN json_array_length(f.value) = 2 THEN b.orders -> ('$[' || (f.value ->> 1) || ']') END AS r
      FROM journal_batches AS b, json_each(b.fills) AS f);`;

/**
 * The old tables' columns over journal_batches, for rows of both layouts (batch-body.ts): each
 * view is migration 6's over the rows with price_scale NULL, UNION ALL the current layout's
 * (body-v7.ts) over the others. In the current layout sqty is side * qty, and a price x is
 * x / price_scale when positive (`* 1.0` makes SQLite divide in doubles, as JS does, so the
 * double is the one that was encoded) or the (-x - 1)th entry of `prices`. A bare integer fill
 * takes every field from orders[k] and its seq is that order's plus one; [dseq, k] takes them at
 * its own seq, [dseq, k, price] all but the price.
 */
export const JOURNAL_VIEWS = `
CREATE VIEW orders AS
SELECT b.seq + (o.value ->> 0) AS seq, o.value ->> 1 AS signal_id, o.value ->> 2 AS symbol,
       o.value ->> 3 AS side, o.value ->> 4 AS qty, b.prices ->> ('$[' || (2 * o.key) || ']') AS price,
       o.value ->> 5 AS order_type, o.value ->> 6 AS tif, o.value ->> 7 AS config_version,
       b.prices ->> ('$[' || (2 * o.key + 1) || ']') AS signal_price, b.ts + (o.value ->> 8) AS ts, b.day AS day
FROM journal_batches AS b, json_each(b.orders) AS o WHERE b.price_scale IS NULL
UNION ALL
SELECT base + (v ->> 0), v ->> 1, v ->> 2, CASE WHEN (v ->> 3) < 0 THEN -1 ELSE 1 END, abs(v ->> 3),
       CASE WHEN (v ->> 4) > 0 THEN (v ->> 4) * 1.0 / scale ELSE prices ->> (-1 - (v ->> 4)) END,
       v ->> 6, v ->> 7, v ->> 8,
       CASE WHEN (v ->> 5) > 0 THEN (v ->> 5) * 1.0 / scale ELSE prices ->> (-1 - (v ->> 5)) END,
       ts0 + (v ->> 9), day
FROM (SELECT b.seq AS base, b.ts AS ts0, b.day AS day, b.prices AS prices, b.price_scale AS scale, o.value AS v
      FROM journal_batches AS b, json_each(b.orders) AS o WHERE b.price_scale IS NOT NULL);
CREATE VIEW fills AS
SELECT base + (v ->> 0) AS seq, coalesce(r ->> 1, v ->> 1) AS order_id, coalesce(r ->> 2, v ->> 2) AS symbol,
       coalesce(r ->> 3, v ->> 3) AS side, coalesce(r ->> 4, v ->> 4) AS qty,
       CASE WHEN r IS NULL THEN v ->> 5 ELSE prices ->> ('$[' || (2 * (v ->> 1)) || ']') END AS price,
       ts0 + coalesce(r ->> 8, v ->> 6) AS ts, day
FROM (SELECT b.seq AS base, b.ts AS ts0, b.day AS day, b.prices AS prices, f.value AS v,
             CASE WHEN json_array_length(f.value) = 2 THEN b.orders -> ('$[' || (f.value ->> 1) || ']') END AS r
      FROM journal_batches AS b, json_each(b.fills) AS f WHERE b.price_scale IS NULL)
UNION ALL
SELECT base + CASE WHEN t = 'integer' THEN (r ->> 0) + 1 ELSE v ->> 0 END, coalesce(r ->> 1, v ->> 1), coalesce(r ->> 2, v ->> 2),
       CASE WHEN coalesce(r ->> 3, v ->> 3) < 0 THEN -1 ELSE 1 END, abs(coalesce(r ->> 3, v ->> 3)),
       CASE WHEN x > 0 THEN x * 1.0 / scale ELSE prices ->> (-1 - x) END, ts0 + coalesce(r ->> 9, v ->> 5), day
FROM (SELECT base, ts0, day, prices, scale, v, t, r, CASE WHEN n = 3 THEN v ->> 2 ELSE coalesce(r ->> 4, v ->> 4) END AS x
FROM (SELECT b.seq AS base, b.ts AS ts0, b.day AS day, b.prices AS prices, b.price_scale AS scale, f.value AS v, f.type AS t,
             json_array_length(f.value) AS n,
             CASE WHEN f.type = 'integer' THEN b.orders -> f.value
                  WHEN json_array_length(f.value) IN (2, 3) THEN b.orders -> (f.value ->> 1) END AS r
      FROM journal_batches AS b, json_each(b.fills) AS f WHERE b.price_scale IS NOT NULL));`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "config versions, audit log, order journal",
    // Journal enums are small integers (side 1/-1, order type and tif as in config/snapshot.ts);
    // the CHECKs are the last line of defence: a bad row fails its whole batch, never half of it.
    sql: `
CREATE TABLE config_versions (
  version    INTEGER PRIMARY KEY,
  hash       TEXT NOT NULL CHECK (length(hash) = 64),
  canonical  TEXT NOT NULL,
  parent     INTEGER REFERENCES config_versions(version),
  author     TEXT NOT NULL,
  message    TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE TABLE active_version (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL REFERENCES config_versions(version)
);
CREATE TABLE audit_log (
  id           INTEGER PRIMARY KEY,
  ts           INTEGER NOT NULL,
  author       TEXT NOT NULL,
  action       TEXT NOT NULL,
  from_version INTEGER REFERENCES config_versions(version),
  to_version   INTEGER REFERENCES config_versions(version),
  changes      TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(changes)),
  reason       TEXT NOT NULL DEFAULT ''
);
CREATE TABLE orders (
  seq            INTEGER PRIMARY KEY,
  signal_id      TEXT NOT NULL,
  symbol         TEXT NOT NULL,
  side           INTEGER NOT NULL CHECK (side IN (-1, 1)),
  qty            REAL NOT NULL CHECK (qty > 0),
  price          REAL NOT NULL CHECK (price > 0),
  order_type     INTEGER NOT NULL,
  tif            INTEGER NOT NULL,
  config_version INTEGER NOT NULL REFERENCES config_versions(version),
  signal_price   REAL NOT NULL,
  ts             INTEGER NOT NULL,
  day            INTEGER NOT NULL
);
CREATE TABLE fills (
  seq      INTEGER PRIMARY KEY,
  order_id TEXT NOT NULL,
  symbol   TEXT NOT NULL,
  side     INTEGER NOT NULL CHECK (side IN (-1, 1)),
  qty      REAL NOT NULL CHECK (qty > 0),
  price    REAL NOT NULL CHECK (price > 0),
  ts       INTEGER NOT NULL,
  day      INTEGER NOT NULL
);
CREATE TABLE state_changes (
  seq        INTEGER PRIMARY KEY,
  from_state TEXT NOT NULL CHECK (from_state IN ('ACTIVE', 'REDUCING', 'HALTED')),
  to_state   TEXT NOT NULL CHECK (to_state IN ('ACTIVE', 'REDUCING', 'HALTED')),
  reason     TEXT NOT NULL,
  ts         INTEGER NOT NULL,
  day        INTEGER NOT NULL
);`,
  },
  {
    version: 2,
    name: "indexes by trading day and hash, position carry for retention",
    // An index on (day) keeps rowid order within a day, so a day reads back in seq order
    // without a sort. WITHOUT ROWID: the carry is looked up by symbol only.
    sql: `
CREATE INDEX config_versions_hash ON config_versions(hash);
CREATE INDEX orders_day ON orders(day);
CREATE INDEX fills_day ON fills(day);
CREATE INDEX state_changes_day ON state_changes(day);
CREATE TABLE position_carry (
  symbol      TEXT PRIMARY KEY,
  position    REAL NOT NULL,
  avg_price   REAL NOT NULL,
  realized    REAL NOT NULL,
  through_seq INTEGER NOT NULL
) WITHOUT ROWID;`,
  },
  {
    version: 3,
    name: "marks and day starts, so exposures and daily P&L are rebuilt exactly",
    // A rejected signal still marks its symbol, and the daily-loss baseline is the unrealised
    // P&L when the day began: neither is in the order journal, and both are needed to rebuild
    // exposures and daily P&L after a crash. One row per symbol and one per day, upserted. A mark
    // carries the journal seq it was written at: an order row (signal_price) with a higher seq is
    // the newer mark, so a mark row is written only when a reject re-marked the symbol after it.
    sql: `
CREATE TABLE marks (
  symbol TEXT PRIMARY KEY,
  price  REAL NOT NULL CHECK (price > 0),
  ts     INTEGER NOT NULL,
  seq    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE day_starts (
  day        INTEGER PRIMARY KEY,
  unrealized REAL NOT NULL
);`,
  },
  {
    version: 4,
    name: "one-symbol versions stored as a change to their parent; hashes over the symbol trie",
    // A PATCH of one symbol in a 100,000-symbol document stored the whole 11 MB document again.
    // Such a version now stores `delta` ({"symbol", "entry"}, entry null for a delete) and an
    // empty `canonical`; reads rebuild the document from the nearest full ancestor
    // (store/versions.ts). The version hash changed definition (config/canonical.ts: the symbol
    // table enters it through a Merkle trie, and an empty override table no longer counts), so
    // stored hashes and canonical texts are recomputed to stay the identity of their documents.
    sql: `ALTER TABLE config_versions ADD COLUMN delta TEXT;`,
    run: rehashVersions,
  },
  {
    version: 5,
    name: "FIX session sequence numbers",
    // One row per FIX session (BeginString:Sender->Target), kept apart from the journal: the
    // gateway writes it, nothing else reads it. next_out is a high-water mark (no seq at or
    // above it was ever sent), reserved ahead so a crash can only skip numbers, never reuse them;
    // next_in is the next seq expected from the counterparty.
    sql: `
CREATE TABLE fix_sessions (
  session    TEXT PRIMARY KEY,
  next_out   INTEGER NOT NULL CHECK (next_out >= 1),
  next_in    INTEGER NOT NULL CHECK (next_in >= 1),
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;`,
  },
  {
    version: 6,
    name: "orders and fills stored one row per committed batch; orders and fills become views",
    // Written as table rows, each order and fill cost ~0.9 us of SQLite work under the engine's
    // loop (issue #4: journaling on was 2.6-3.0x slower end to end). A batch's orders and fills
    // are now one row with JSON bodies (store/batch-body.ts has the layout); the views
    // `orders` and `fills` show the same columns the tables had, so SQL over them still works.
    // The old rows are converted by the data step (same encoder as the writer), then dropped.
    sql: `
CREATE TABLE journal_batches (
  seq      INTEGER PRIMARY KEY,
  last_seq INTEGER NOT NULL CHECK (last_seq >= seq),
  day      INTEGER NOT NULL,
  ts       INTEGER NOT NULL,
  orders_n INTEGER NOT NULL CHECK (orders_n >= 0),
  fills_n  INTEGER NOT NULL CHECK (fills_n >= 0),
  orders   TEXT NOT NULL,
  prices   TEXT NOT NULL,
  fills    TEXT NOT NULL
);
CREATE INDEX journal_batches_day ON journal_batches(day);`,
    run: (db) => {
      convertJournal(db);
      db.run(`DROP TABLE orders; DROP TABLE fills; ${JOURNAL_VIEWS_V6}`);
    },
  },
  {
    version: 7,
    name: "journal_batches.price_scale: the current body layout (prices as ints at a scale), tagged per row",
    // Encoding a batch in migration 6's layout was ~55 us of the engine's loop per ~195 signals
    // (store/body-v7.ts says why the new layout is cheaper). Rows already written keep their
    // layout, tagged by price_scale NULL, and are read as before; the views read both.
    sql: `
ALTER TABLE journal_batches ADD COLUMN price_scale INTEGER CHECK (price_scale IS NULL OR price_scale >= 1);
DROP VIEW orders;
DROP VIEW fills;
${JOURNAL_VIEWS}`,
  },
];

/**
 * Migration 6's data step: the old orders and fills tables, in seq order, into journal_batches
 * rows, a chunk of rows at a time through the writer's own encoder.
 */
function convertJournal(db: Database): void {
  const orders = db.query<OrderRow, []>(
    `SELECT seq, signal_id AS id, symbol, side, qty, price, order_type AS orderType, tif, config_version AS configVersion,
            signal_price AS signalPrice, ts, day FROM orders ORDER BY seq`,
  ).iterate();
  const fills = db.query<FillRow, []>("SELECT seq, order_id AS orderId, symbol, side, qty, price, ts, day FROM fills ORDER BY seq").iterate();
  // Migration 6's layout and columns: price_scale arrives with migration 7.
  const ins = db.prepare("INSERT INTO journal_batches (seq, last_seq, day, ts, orders_n, fills_n, orders, prices, fills) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  const os: OrderRow[] = [];
  const fs: FillRow[] = [];
  const write = () => {
    const b = toBatch(os, fs);
    segments(b, (o0, o1, f0, f1, day) => {
      const e = encodeBodyV6(b, o0, o1, f0, f1, day);
      ins.run(e.seq, e.lastSeq, e.day, e.ts, e.ordersN, e.fillsN, e.orders, e.prices, e.fills);
    });
    os.length = 0;
    fs.length = 0;
  };
  let o = orders.next();
  let f = fills.next();
  while (!o.done || !f.done) {
    if (!o.done && (f.done || o.value.seq < f.value.seq)) {
      os.push(o.value);
      o = orders.next();
    } else {
      fs.push(f.value as FillRow);
      f = fills.next();
    }
    if (os.length + fs.length >= 8 * MAX_BODY_ROWS) write();
  }
  write();
  ins.finalize();
}

/**
 * Migration 4's data step: every stored document's hash under the current definition, and its
 * canonical text as this version writes it (an empty override table now parses as absent).
 */
function rehashVersions(db: Database): void {
  const rows = db.query<{ version: number; canonical: string }, []>("SELECT version, canonical FROM config_versions").all();
  const update = db.prepare("UPDATE config_versions SET hash = ?, canonical = ? WHERE version = ?");
  for (const r of rows) {
    let doc: unknown;
    try {
      doc = JSON.parse(r.canonical);
    } catch {
      continue;
    }
    // Only keel writes this table, always a whole document; leave anything else as it was.
    const symbols = (doc as { symbols?: unknown } | null)?.symbols;
    if (symbols === null || typeof symbols !== "object" || Array.isArray(symbols)) continue;
    const p = prepareValue(doc);
    if (p.ok) update.run(p.hash, p.canonical, r.version);
    else update.run(canonicalize(doc as ConfigDocument).hash, r.canonical, r.version);
  }
  update.finalize();
}

for (let k = 0; k < MIGRATIONS.length; k++) {
  // A numbering slip would make databases disagree about what version N means; fail at load.
  if (MIGRATIONS[k]!.version !== k + 1) throw new Error(`MIGRATIONS[${k}] has version ${MIGRATIONS[k]!.version}, expected ${k + 1}`);
}

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * The schema version recorded in a database: 0 for an empty one. Only reads, so it is safe on a
 * database that is about to be refused. Throws NotAKeelDatabaseError for someone else's database.
 */
export function schemaVersion(db: Database, path: string): number {
  let tables: { name: string }[];
  try {
    tables = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'").all();
  } catch (err) {
    // "file is not a database", "database disk image is malformed", ...
    throw new NotAKeelDatabaseError(path, err instanceof Error ? err.message : String(err), { cause: err });
  }
  if (!tables.some((t) => t.name === "schema_migrations")) {
    if (tables.length > 0) throw new NotAKeelDatabaseError(path, `it has tables (${tables.slice(0, 3).map((t) => t.name).join(", ")}) but no schema_migrations`);
    return 0;
  }
  const rows = db.query<{ version: number }, []>("SELECT version FROM schema_migrations ORDER BY version").all();
  // Versions must be exactly 1..N: a gap means someone edited the table by hand.
  for (let k = 0; k < rows.length; k++) {
    if (rows[k]!.version !== k + 1) throw new StoreError(`${path}: schema_migrations is inconsistent (versions ${rows.map((r) => r.version).join(", ")}); refusing to open it`);
  }
  return rows.length;
}

/**
 * Bring the database up to SCHEMA_VERSION in one transaction; returns the versions before and after.
 * Throws SchemaTooNewError (nothing written) when the database is ahead of this code.
 */
export function migrate(db: Database, path: string, now: () => number = Date.now): { from: number; to: number } {
  const known = SCHEMA_VERSION;
  // Check before BEGIN IMMEDIATE: refusing must not even take the write lock.
  const seen = schemaVersion(db, path);
  if (seen > known) throw new SchemaTooNewError(path, seen, known);
  if (seen === known) return { from: seen, to: seen };
  const apply = db.transaction(() => {
    // Another process may have migrated between the check and the lock: read again under it.
    const from = schemaVersion(db, path);
    if (from > known) throw new SchemaTooNewError(path, from, known);
    db.run(SCHEMA_MIGRATIONS_DDL);
    const record = db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)");
    for (const m of MIGRATIONS) {
      if (m.version <= from) continue;
      db.run(m.sql);
      m.run?.(db);
      record.run(m.version, now());
    }
    record.finalize();
    return from;
  });
  const from = apply.immediate();
  return { from, to: known };
}
