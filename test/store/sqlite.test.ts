/**
 * The SQLite store: the shared Store contract on a real file and in memory, then what only a
 * database file can show: migrations (fresh, upgrade, refusal of a newer schema), the pragmas,
 * separate paper and live files, a read-only reader beside a writer, durability across a crash
 * of the writing process, and integrity after work.
 */
import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUSY_TIMEOUT_MS, dbPathFor } from "../../src/store/db.ts";
import {
  JournalCommitError,
  NotAKeelDatabaseError,
  SchemaTooNewError,
  SchemaTooOldError,
  StoreClosedError,
  StoreError,
  StoreNotFoundError,
} from "../../src/store/errors.ts";
import { MIGRATIONS, SCHEMA_MIGRATIONS_DDL, SCHEMA_VERSION } from "../../src/store/migrations.ts";
import { rebuildPositions } from "../../src/store/positions.ts";
import { openStore, openStoreReader, type OpenStoreOptions, type SqliteStore } from "../../src/store/sqlite.ts";
import type { Store } from "../../src/store/store.ts";
import { EMBEDDED_DEFAULT } from "../../src/cli/source.ts";
import { prepareText, prepareValue } from "../../src/config/prepare.ts";
import { sha256 } from "../../src/config/sha256.ts";
import { DAY, fillStream, hashOf, newFill, newOrder, newState, newVersion, sorted, storeContract, T0 } from "./store.contract.ts";

const root = mkdtempSync(join(tmpdir(), "keel-store-test-"));
let dirSeq = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh directory under the suite's temp root. */
function freshDir(): string {
  const d = join(root, `t${++dirSeq}`);
  mkdirSync(d);
  return d;
}

storeContract("SQLite file", (now) => {
  const dir = freshDir();
  const path = join(dir, "data", "paper.db"); // "data" does not exist yet: openStore creates it
  let store: Store = openStore(path, { now });
  return {
    get store() {
      return store;
    },
    reopen() {
      store.close();
      store = openStore(path, { now });
      return store;
    },
    dispose() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

storeContract("SQLite :memory:", (now) => {
  const store = openStore(":memory:", { now });
  return { store, dispose: () => store.close() };
});

storeContract("SQLite :memory:, microtask flush", (now) => {
  const store = openStore(":memory:", { now, journal: { schedule: "microtask" } });
  return { store, dispose: () => store.close() };
});

/** Open, run `fn`, close. */
function using<T>(path: string, fn: (s: SqliteStore) => T, opts?: OpenStoreOptions): T {
  const s = openStore(path, opts);
  try {
    return fn(s);
  } finally {
    s.close();
  }
}

/** Every file in a directory with its bytes, to prove a refused database was not touched. */
function filesOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) out[f] = readFileSync(join(dir, f)).toString("base64");
  return out;
}

/** A database as keel left it at schema 5 (journal rows in tables), with config version 1. */
function schema5(path: string): Database {
  const old = new Database(path);
  old.run(SCHEMA_MIGRATIONS_DDL);
  for (const m of MIGRATIONS.slice(0, 5)) {
    old.run(m.sql);
    old.run("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", [m.version, m.version]);
  }
  old.run("INSERT INTO config_versions (version, hash, canonical, parent, author, message, created_at) VALUES (1, ?, '{}', NULL, 'startup', '', 7)", [hashOf(1)]);
  return old;
}

const migrationsOf = (db: Database) => db.query<{ version: number; applied_at: number }, []>("SELECT version, applied_at FROM schema_migrations ORDER BY version").all();

describe("migrations", () => {
  test("a fresh database gets every migration, recorded with its time, in one go", () => {
    const path = join(freshDir(), "paper.db");
    using(path, (s) => {
      expect(s.migratedFrom).toBe(0);
      expect(migrationsOf(s.db)).toEqual(MIGRATIONS.map((m) => ({ version: m.version, applied_at: 1234 })));
      const tables = s.db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((t) => t.name);
      expect(tables).toEqual(["active_version", "audit_log", "config_versions", "day_starts", "fix_sessions", "journal_batches", "marks", "position_carry", "schema_migrations", "state_changes"]);
      // Orders and fills are stored per batch (migration 6) and read as views with the old columns.
      const views = s.db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name").all().map((t) => t.name);
      expect(views).toEqual(["fills", "orders"]);
    }, { now: () => 1234 });
    // Opening again applies nothing.
    using(path, (s) => {
      expect(s.migratedFrom).toBe(SCHEMA_VERSION);
      expect(migrationsOf(s.db).length).toBe(SCHEMA_VERSION);
    });
  });

  test("upgrade from a database made by the first migration only: rows survive, the rest is applied", () => {
    const path = join(freshDir(), "paper.db");
    const old = new Database(path);
    old.run(SCHEMA_MIGRATIONS_DDL);
    old.run(MIGRATIONS[0]!.sql);
    old.run("INSERT INTO schema_migrations (version, applied_at) VALUES (1, 42)");
    old.run("INSERT INTO config_versions (version, hash, canonical, parent, author, message, created_at) VALUES (1, ?, '{\"old\":true}', NULL, 'startup', 'first', 7)", [hashOf(1)]);
    old.run("INSERT INTO active_version (id, version) VALUES (1, 1)");
    old.run(
      "INSERT INTO orders (seq, signal_id, symbol, side, qty, price, order_type, tif, config_version, signal_price, ts, day) VALUES (5, 'old-sig', 'AAA', 1, 10, 99.5, 0, 0, 1, 99.5, ?, ?)",
      [T0, DAY],
    );
    old.run("INSERT INTO fills (seq, order_id, symbol, side, qty, price, ts, day) VALUES (6, 'old-sig', 'AAA', 1, 10, 99.5, ?, ?)", [T0, DAY]);
    old.close();

    using(path, (s) => {
      expect(s.migratedFrom).toBe(1);
      expect(migrationsOf(s.db).map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(migrationsOf(s.db)[0]!.applied_at).toBe(42); // the old record is kept, not rewritten
      expect(s.activeVersion()).toMatchObject({ version: 1, canonical: '{"old":true}', author: "startup", message: "first", createdAt: 7 });
      expect(s.findByHash(hashOf(1))!.version).toBe(1);
      expect(s.dayJournal(DAY).orders).toMatchObject([{ seq: 5, id: "old-sig", qty: 10, price: 99.5 }]);
      // What migration 2 brought works on the old rows: the carry, and seqs continuing after them.
      expect(s.prune(DAY + 1, 100)).toBe(2);
      expect(s.positionCarry()).toEqual([{ symbol: "AAA", position: 10, avgPrice: 99.5, realized: 0, throughSeq: 6 }]);
      expect(s.journal.order(newOrder())).toBeGreaterThan(6);
      const idx = s.db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name").all();
      expect(idx.map((i) => i.name)).toEqual(["config_versions_hash", "journal_batches_day", "state_changes_day"]);
    });
  });

  test("upgrade from schema 5 with journal rows: every order and fill reads back the same, through the store and the views", () => {
    const path = join(freshDir(), "paper.db");
    const old = schema5(path);
    old.run("INSERT INTO config_versions (version, hash, canonical, parent, author, message, created_at) VALUES (2, ?, '{}', 1, 'x', '', 8)", [hashOf(2)]);
    old.run("INSERT INTO active_version (id, version) VALUES (1, 2)");
    const insO = old.prepare(
      "INSERT INTO orders (seq, signal_id, symbol, side, qty, price, order_type, tif, config_version, signal_price, ts, day) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    const insF = old.prepare("INSERT INTO fills (seq, order_id, symbol, side, qty, price, ts, day) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    // Four days, 3,000 orders: paper fills right after their order, market fills at another
    // price, partial fills later, fills of orders from an earlier run, ids that need escaping,
    // a state change taking a seq in between, and a time that is not a whole millisecond.
    const symbols = ["AAA", "BRK.B", "C/D", "E:F"];
    let seq = 10;
    old.run("BEGIN");
    for (let k = 0; k < 3000; k++) {
      const day = DAY - 3 + Math.floor(k / 750);
      const sym = symbols[k % 4]!;
      const id = k % 97 === 0 ? `quote"\\\n\u00e9-${k}` : `sig-${k}`;
      const side = k % 3 === 0 ? -1 : 1;
      const price = 100 + (k % 89) * 0.01;
      const ts = T0 + k * 7 + (k === 1234 ? 0.5 : 0);
      insO.run(++seq, id, sym, side, 10 + (k % 5), price, k % 2, k % 3, 1 + (k % 2), price - 0.02, ts, day);
      if (k % 10 === 9) seq++; // a state change's seq
      if (k % 4 === 0) insF.run(++seq, id, sym, side, 10 + (k % 5), price, ts, day); // the paper fill
      else if (k % 4 === 1) insF.run(++seq, id, sym, side, 10 + (k % 5), price * 1.001, ts, day); // market
      else if (k % 4 === 2) {
        insF.run(++seq, id, sym, side, 4, price, ts + 1, day); // partial fills, later
        insF.run(++seq, `earlier-run-${k}`, sym, -side, 3.5, price, ts + 2, day);
      }
    }
    old.run("COMMIT");
    insO.finalize();
    insF.finalize();
    const ordersBefore = old.query("SELECT * FROM orders ORDER BY seq").all();
    const fillsBefore = old.query("SELECT * FROM fills ORDER BY seq").all();
    old.close();

    using(path, (s) => {
      expect(s.migratedFrom).toBe(5);
      // The views give the old tables back, row for row and column for column.
      expect(s.db.query("SELECT * FROM orders ORDER BY seq").all()).toEqual(ordersBefore);
      expect(s.db.query("SELECT * FROM fills ORDER BY seq").all()).toEqual(fillsBefore);
      // The store reads the same rows, per day and as one stream of fills.
      const asOrder = (r: Record<string, unknown>) => ({
        seq: r.seq, id: r.signal_id, symbol: r.symbol, side: r.side, qty: r.qty, price: r.price, orderType: r.order_type, tif: r.tif,
        configVersion: r.config_version, signalPrice: r.signal_price, ts: r.ts, day: r.day,
      });
      const asFill = (r: Record<string, unknown>) => ({ seq: r.seq, orderId: r.order_id, symbol: r.symbol, side: r.side, qty: r.qty, price: r.price, ts: r.ts, day: r.day });
      for (let day = DAY - 3; day <= DAY; day++) {
        const d = s.dayJournal(day);
        expect(d.orders).toEqual((ordersBefore as Record<string, unknown>[]).filter((r) => r.day === day).map(asOrder) as never);
        expect(d.fills).toEqual((fillsBefore as Record<string, unknown>[]).filter((r) => r.day === day).map(asFill) as never);
        expect(s.dailyTrades(day)).toBe(750);
      }
      expect([...s.fills()]).toEqual((fillsBefore as Record<string, unknown>[]).map(asFill) as never);
      expect(s.lastDay()).toBe(DAY);
      expect(s.lastOrders().map((o) => o.symbol).sort()).toEqual([...symbols].sort());
      const lastStored = Math.max(...[...ordersBefore, ...fillsBefore].map((r) => (r as { seq: number }).seq));
      expect(s.journal.order(newOrder())).toBe(lastStored + 1);
      expect(s.db.query("PRAGMA integrity_check").all()).toEqual([{ integrity_check: "ok" }]);
      // Stored one row per batch now: far fewer rows than orders and fills.
      expect((s.db.query("SELECT COUNT(*) AS n FROM journal_batches").get() as { n: number }).n).toBeLessThan(20);
    });
  });

  test("rows of both layouts in one database: the views and the store's reads give every row back", () => {
    const path = join(freshDir(), "paper.db");
    const old = schema5(path);
    old.run("INSERT INTO active_version (id, version) VALUES (1, 1)");
    // Rows from before migration 7: migration 6 stores them in its layout (price_scale NULL).
    for (let k = 0; k < 50; k++) {
      old.run("INSERT INTO orders (seq, signal_id, symbol, side, qty, price, order_type, tif, config_version, signal_price, ts, day) VALUES (?, ?, 'AAA', 1, 10, ?, 1, 0, 1, ?, ?, ?)", [
        1 + 2 * k, `old-${k}`, 100 + k * 0.01, 100 + k * 0.01 + 1e-9, T0 + k, DAY,
      ]);
      old.run("INSERT INTO fills (seq, order_id, symbol, side, qty, price, ts, day) VALUES (?, ?, 'AAA', 1, 10, ?, ?, ?)", [2 + 2 * k, `old-${k}`, 100 + k * 0.01, T0 + k, DAY]);
    }
    old.close();

    using(path, (s) => {
      expect(s.migratedFrom).toBe(5);
      // Rows written now: the current layout. Paper fills, market fills at a price no scale
      // writes, partial fills later, a fill of an order from an earlier batch, odd ids, a
      // fractional qty, 3- and 4-decimal prices, a price over what an int32 holds at its scale.
      const prices = [190.13, 9.875, 12.3457, 0.1 + 0.2, 25_000_000.5, 1e-7];
      for (let k = 0; k < 120; k++) {
        const price = prices[k % prices.length]!;
        const o = newOrder({ id: k % 17 === 0 ? `q"\\\n\u00e9-${k}` : `new-${k}`, symbol: ["BBB", "C/D"][k % 2]!, side: k % 3 === 0 ? -1 : 1, qty: k % 11 === 0 ? 2.5 : 1 + k, price, signalPrice: price * 0.999, orderType: k % 2, tif: k % 3, ts: T0 + 1000 + k });
        s.journal.order(o);
        if (k % 4 === 0) s.journal.fill({ orderId: o.id, symbol: o.symbol, side: o.side, qty: o.qty, price: o.price, ts: o.ts, day: DAY });
        if (k % 4 === 1) s.journal.fill({ orderId: o.id, symbol: o.symbol, side: o.side, qty: o.qty, price: o.price * 1.0007, ts: o.ts, day: DAY });
        if (k % 4 === 2) s.journal.fill({ orderId: "old-3", symbol: "AAA", side: -1, qty: 4, price: 100.03, ts: o.ts + 1, day: DAY });
        if (k % 20 === 19) s.journal.flush();
      }
      s.journal.flush();
      const scales = s.db.query<{ scale: number | null }, []>("SELECT price_scale AS scale FROM journal_batches ORDER BY seq").all().map((r) => r.scale);
      expect(scales.filter((x) => x === null).length).toBeGreaterThan(0);
      expect(scales.filter((x) => x !== null).length).toBe(6);

      const d = s.dayJournal(DAY);
      expect(d.orders.length).toBe(170);
      expect(d.fills.length).toBe(50 + 90);
      // The views give the same rows, column for column, as the store decodes them.
      const viewOrders = s.db.query("SELECT * FROM orders ORDER BY seq").all() as Record<string, unknown>[];
      const viewFills = s.db.query("SELECT * FROM fills ORDER BY seq").all() as Record<string, unknown>[];
      expect(viewOrders.map((r) => ({
        seq: r.seq, id: r.signal_id, symbol: r.symbol, side: r.side, qty: r.qty, price: r.price, orderType: r.order_type, tif: r.tif,
        configVersion: r.config_version, signalPrice: r.signal_price, ts: r.ts, day: r.day,
      }))).toEqual(d.orders as never);
      expect(viewFills.map((r) => ({ seq: r.seq, orderId: r.order_id, symbol: r.symbol, side: r.side, qty: r.qty, price: r.price, ts: r.ts, day: r.day }))).toEqual(d.fills as never);
      expect([...s.fills()]).toEqual(d.fills);
      // And the decoded rows are what was appended: every price bit for bit.
      const appended = d.orders.filter((o) => o.id.startsWith("new-") || o.id.startsWith("q"));
      expect(appended.map((o) => o.price)).toEqual(Array.from({ length: 120 }, (_, k) => prices[k % prices.length]!));
      expect(appended.map((o) => o.signalPrice)).toEqual(Array.from({ length: 120 }, (_, k) => prices[k % prices.length]! * 0.999));
      expect(appended[11]!.qty).toBe(2.5);
      expect(appended[17]!.id).toBe("q\"\\\n\u00e9-17");
      // A prune step that takes part of a row in migration 6's layout writes the rest back in the
      // current one: the same rows remain, and positions are unchanged.
      const before = rebuildPositions(s.positionCarry(), s.fills());
      expect(s.prune(DAY + 1, 7)).toBe(7);
      const left = s.dayJournal(DAY);
      expect(left.fills).toEqual(d.fills.slice(7));
      expect(left.orders).toEqual(d.orders);
      expect(rebuildPositions(s.positionCarry(), s.fills())).toEqual(before);
      expect(s.db.query("SELECT count(*) AS n FROM journal_batches WHERE price_scale IS NULL").get()).toEqual({ n: scales.filter((x) => x === null).length - 1 });
      expect(s.db.query("PRAGMA integrity_check").all()).toEqual([{ integrity_check: "ok" }]);
    });
  });

  test("upgrade from schema 3: stored hashes (and texts) are recomputed under the current definition, nothing else", () => {
    const path = join(freshDir(), "paper.db");
    const old = new Database(path);
    old.run(SCHEMA_MIGRATIONS_DDL);
    for (const m of MIGRATIONS.slice(0, 3)) old.run(m.sql);
    old.run("INSERT INTO schema_migrations (version, applied_at) VALUES (1, 1), (2, 2), (3, 3)");
    const doc = prepareText(EMBEDDED_DEFAULT.text, "toml");
    if (!doc.ok) throw new Error("default invalid");
    const oldHash = sha256(doc.canonical); // schema 3's definition: the sha256 of the canonical text
    expect(oldHash).not.toBe(doc.hash);
    old.run("INSERT INTO config_versions (version, hash, canonical, parent, author, message, created_at) VALUES (1, ?, ?, NULL, 'startup', '', 7)", [oldHash, doc.canonical]);
    // Schema 3 kept an empty override table in the text (and in the hash): it now means nothing.
    const withEmpty = JSON.stringify({ ...JSON.parse(doc.canonical), strategies: { ...JSON.parse(doc.canonical).strategies, idle: { limits: {} } } });
    const idle = prepareValue({ ...JSON.parse(doc.canonical), strategies: { ...JSON.parse(doc.canonical).strategies, idle: {} } });
    if (!idle.ok) throw new Error("invalid");
    old.run("INSERT INTO config_versions (version, hash, canonical, parent, author, message, created_at) VALUES (3, ?, ?, 1, 'x', '', 9)", [sha256(withEmpty), withEmpty]);
    // Not a document keel would write: left as it was.
    old.run("INSERT INTO config_versions (version, hash, canonical, parent, author, message, created_at) VALUES (2, ?, '{\"n\":2}', 1, 'x', '', 8)", [hashOf(2)]);
    old.run("INSERT INTO active_version (id, version) VALUES (1, 1)");
    old.close();
    using(path, (s) => {
      expect(s.migratedFrom).toBe(3);
      expect(s.getVersion(1)).toMatchObject({ hash: doc.hash, canonical: doc.canonical });
      expect(s.findByHash(doc.hash)!.version).toBe(1);
      expect(s.getVersion(2)).toMatchObject({ hash: hashOf(2), canonical: '{"n":2}' });
      expect(s.getVersion(3)).toMatchObject({ hash: idle.hash, canonical: idle.canonical });
    });
  });

  test("one-symbol versions are stored as a change to their parent and read back whole", () => {
    const base = prepareText(EMBEDDED_DEFAULT.text, "toml");
    if (!base.ok) throw new Error("default invalid");
    const path = join(freshDir(), "paper.db");
    const entry = { ...base.document.symbols.AAPL!, reference_price: 201.5 };
    using(path, (s) => {
      s.createAndActivate({ hash: base.hash, canonical: base.canonical, parent: null, author: "startup", message: "" }, { author: "startup", action: "startup" });
      s.createAndActivate({ hash: "p".repeat(64), canonical: "", delta: { symbol: "AAPL", entry }, parent: 1, author: "ops", message: "" }, { author: "ops", action: "patch" });
      s.createAndActivate({ hash: "d".repeat(64), canonical: "", delta: { symbol: "MSFT", entry: null }, parent: 2, author: "ops", message: "" }, { author: "ops", action: "delete" });
      s.createAndActivate({ hash: "n".repeat(64), canonical: "", delta: { symbol: "NEW", entry }, parent: 3, author: "ops", message: "" }, { author: "ops", action: "patch" });
      // The delta rows hold the change only.
      const stored = s.db.query<{ version: number; n: number; delta: string | null }, []>("SELECT version, length(canonical) AS n, delta FROM config_versions ORDER BY version").all();
      expect(stored.map((r) => [r.n > 0, r.delta === null])).toEqual([[true, true], [false, false], [false, false], [false, false]]);
      const expected = structuredClone(base.document) as any;
      expected.symbols.AAPL = entry;
      expect(JSON.parse(s.getVersion(2)!.canonical)).toEqual(expected);
      delete expected.symbols.MSFT;
      expect(JSON.parse(s.getVersion(3)!.canonical)).toEqual(expected);
      expected.symbols.NEW = entry;
      const v4 = s.activeVersion()!;
      expect(v4.version).toBe(4);
      expect(JSON.parse(v4.canonical)).toEqual(expected);
      // Written out canonically: the same text a whole write of that document stores.
      const whole = prepareValue(expected);
      expect(whole.ok && v4.canonical === whole.canonical).toBe(true);
      expect(s.findByHash("d".repeat(64))!.canonical).toBe(s.getVersion(3)!.canonical);
      // A delta needs something to apply to.
      expect(() => s.createVersion({ hash: "z".repeat(64), canonical: "", delta: { symbol: "A", entry: null }, parent: null, author: "x", message: "" })).toThrow(StoreError);
    });
  });

  test("a database from a newer keel is refused, naming both versions, and left byte-identical", () => {
    const dir = freshDir();
    const path = join(dir, "paper.db");
    using(path, (s) => {
      s.createAndActivate(newVersion(1), { author: "startup", action: "startup" });
      s.db.run("INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)", [SCHEMA_VERSION + 1]);
    });
    const before = filesOf(dir);
    let err: unknown;
    try {
      openStore(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SchemaTooNewError);
    expect((err as SchemaTooNewError).found).toBe(SCHEMA_VERSION + 1);
    expect((err as SchemaTooNewError).known).toBe(SCHEMA_VERSION);
    expect((err as Error).message).toContain(`version ${SCHEMA_VERSION + 1} is newer than this keel knows (${SCHEMA_VERSION})`);
    expect(filesOf(dir)).toEqual(before);
    // A reader refuses too. It may leave the empty -wal/-shm files SQLite needs to read a WAL
    // database (a read-only connection cannot remove them), but the database itself is untouched.
    expect(() => openStoreReader(path)).toThrow(SchemaTooNewError);
    expect(filesOf(dir)["paper.db"]).toBe(before["paper.db"]!);
  });

  test("a newer database still in rollback-journal mode is not even switched to WAL", () => {
    const dir = freshDir();
    const path = join(dir, "live.db");
    const db = new Database(path);
    db.run(SCHEMA_MIGRATIONS_DDL);
    for (let v = 1; v <= SCHEMA_VERSION + 1; v++) db.run("INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)", [v]);
    db.close();
    const before = filesOf(dir);
    expect(() => openStore(path)).toThrow(SchemaTooNewError);
    expect(filesOf(dir)).toEqual(before);
  });

  test("someone else's SQLite file, or a file that is not SQLite, is refused untouched", () => {
    const dir = freshDir();
    const foreign = join(dir, "foreign.db");
    const db = new Database(foreign);
    db.run("CREATE TABLE customers (id INTEGER)");
    db.close();
    const text = join(dir, "notes.db");
    writeFileSync(text, "this is not a database, just some text that is long enough to have a header ".repeat(20));
    const before = filesOf(dir);
    expect(() => openStore(foreign)).toThrow(NotAKeelDatabaseError);
    expect(() => openStore(text)).toThrow(NotAKeelDatabaseError);
    expect(filesOf(dir)).toEqual(before);
  });

  test("a hand-edited schema_migrations with a gap is refused", () => {
    const path = join(freshDir(), "paper.db");
    using(path, (s) => s.db.run("DELETE FROM schema_migrations WHERE version = 1"));
    expect(() => openStore(path)).toThrow(/schema_migrations is inconsistent/);
  });
});

describe("files and connections", () => {
  test("paper and live use different files in the data directory", () => {
    const dir = freshDir();
    const paper = dbPathFor(dir, "paper");
    const live = dbPathFor(dir, "live");
    expect(paper).toBe(join(dir, "paper.db"));
    expect(live).toBe(join(dir, "live.db"));
    expect(() => dbPathFor(dir, "Paper" as never)).toThrow(StoreError);
    using(paper, (s) => s.createVersion(newVersion(1)));
    using(live, (s) => expect(s.listVersions()).toEqual([]));
    expect(existsSync(paper) && existsSync(live)).toBe(true);
  });

  test("the pragmas: WAL, synchronous NORMAL, busy timeout, foreign keys", () => {
    using(join(freshDir(), "paper.db"), (s) => {
      const p = (name: string) => Object.values(s.db.query(`PRAGMA ${name}`).get() as object)[0];
      expect(p("journal_mode")).toBe("wal");
      expect(p("synchronous")).toBe(1);
      expect(p("busy_timeout")).toBe(BUSY_TIMEOUT_MS);
      expect(p("foreign_keys")).toBe(1);
    });
  });

  test("a read-only reader sees committed state while the writer holds an open transaction, and cannot write", () => {
    const path = join(freshDir(), "paper.db");
    const w = openStore(path);
    const r = openStoreReader(path);
    try {
      w.createAndActivate(newVersion(1), { author: "startup", action: "startup" });
      w.journal.order(newOrder());
      w.journal.flush();
      w.db.run("BEGIN IMMEDIATE");
      w.db.run(
        "INSERT INTO journal_batches (seq, last_seq, day, ts, orders_n, fills_n, orders, prices, fills) VALUES (1000, 1000, ?, 0, 1, 0, '[[0,\"open-tx\",\"AAA\",1,1,0,0,1,0]]', '[1,1]', '[]')",
        [DAY],
      );
      expect(w.dailyTrades(DAY)).toBe(2); // the writer sees its own transaction
      expect(r.dailyTrades(DAY)).toBe(1); // the reader does not wait and sees the last commit
      expect(r.activeVersion()!.version).toBe(1);
      w.db.run("COMMIT");
      expect(r.dailyTrades(DAY)).toBe(2);
      expect(() => r.db.run("DELETE FROM journal_batches")).toThrow(/readonly/i);
    } finally {
      r.close();
      w.close();
    }
  });

  test("a reader on a missing file, or on an old schema, is refused without creating or changing anything", () => {
    const dir = freshDir();
    expect(() => openStoreReader(join(dir, "paper.db"))).toThrow(StoreNotFoundError);
    expect(readdirSync(dir)).toEqual([]);
    const old = new Database(join(dir, "paper.db"));
    old.run(SCHEMA_MIGRATIONS_DDL);
    old.run(MIGRATIONS[0]!.sql);
    old.run("INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0)");
    old.close();
    const before = filesOf(dir);
    expect(() => openStoreReader(join(dir, "paper.db"))).toThrow(SchemaTooOldError);
    expect(filesOf(dir)).toEqual(before);
  });

  test("a commit callback runs when another connection can already read the rows", async () => {
    const path = join(freshDir(), "paper.db");
    const w = openStore(path);
    const r = openStoreReader(path);
    try {
      w.createAndActivate(newVersion(1), { author: "startup", action: "startup" });
      const seen: number[] = [];
      for (let k = 0; k < 20; k++) w.journal.order(newOrder());
      w.journal.afterCommit(() => seen.push(r.dailyTrades(DAY)));
      expect(r.dailyTrades(DAY)).toBe(0);
      await w.journal.committed();
      expect(seen).toEqual([20]);
    } finally {
      r.close();
      w.close();
    }
  });

  test("an early commit never separates an order from the fill appended right after it", () => {
    const s = openStore(":memory:", { journal: { maxBatchRows: 3 } });
    try {
      s.createAndActivate({ hash: "c".repeat(64), canonical: "{}", parent: null, author: "t", message: "" }, { author: "t", action: "startup" });
      const committedAtOrder: number[] = [];
      for (let k = 0; k < 7; k++) {
        s.journal.order({ id: `o${k}`, symbol: "AAA", side: 1, qty: 1, price: 10, orderType: 0, tif: 0, configVersion: 1, signalPrice: 10, ts: 1, day: 1 });
        s.journal.fill({ orderId: `o${k}`, symbol: "AAA", side: 1, qty: 1, price: 10, ts: 1, day: 1 });
        // After each pair, what is committed must hold as many fills as orders.
        const d = s.dayJournal(1);
        expect(d.fills.length).toBe(d.orders.length);
        committedAtOrder.push(d.orders.length);
      }
      expect(Math.max(...committedAtOrder)).toBeGreaterThan(0); // early commits did happen
    } finally {
      s.close();
    }
  });

  test("a burst over maxBatchRows commits early; waiters still run at the end of the tick, failures reach them", async () => {
    const errors: Error[] = [];
    const s = openStore(":memory:", { journal: { maxBatchRows: 10, onError: (e) => errors.push(e) } });
    try {
      s.createAndActivate(newVersion(1), { author: "startup", action: "startup" });
      let early = -1;
      for (let k = 0; k < 25; k++) {
        s.journal.order(newOrder());
        if (k === 15) early = s.dailyTrades(DAY);
      }
      expect(early).toBeGreaterThanOrEqual(10); // committed before the tick ended
      await s.journal.committed();
      expect(s.dailyTrades(DAY)).toBe(25);

      // A bad row in an early batch: the waiter registered after it gets the failure.
      for (let k = 0; k < 3; k++) s.journal.order(newOrder());
      s.journal.order(newOrder({ qty: 0 }));
      for (let k = 0; k < 20; k++) s.journal.order(newOrder());
      const p = s.journal.committed();
      await expect(p).rejects.toBeInstanceOf(JournalCommitError);
      expect(errors.length).toBeGreaterThan(0);
      expect(errors[0]).toBeInstanceOf(JournalCommitError);
    } finally {
      s.close();
    }
  });

  test("close() commits what is buffered; appending afterwards is an error", () => {
    const path = join(freshDir(), "paper.db");
    const s = openStore(path);
    s.createAndActivate(newVersion(1), { author: "startup", action: "startup" });
    s.journal.order(newOrder());
    s.close();
    s.close(); // idempotent
    expect(() => s.journal.order(newOrder())).toThrow(StoreClosedError);
    using(path, (again) => expect(again.dailyTrades(DAY)).toBe(1));
  });

  test("a committed batch survives kill -9 of the writing process", async () => {
    const dir = freshDir();
    const path = join(dir, "paper.db");
    const marker = join(dir, "marker");
    const src = join(import.meta.dir, "../../src/store/sqlite.ts");
    // The child commits 500 decisions, says so, then buffers more and dies before they commit.
    const script = `
      import { writeFileSync } from "node:fs";
      import { openStore } from ${JSON.stringify(src)};
      const s = openStore(${JSON.stringify(path)});
      s.createAndActivate({ hash: "${hashOf(1)}", canonical: "{}", parent: null, author: "startup", message: "" }, { author: "startup", action: "startup" });
      for (let k = 0; k < 500; k++) {
        s.journal.order({ id: "c" + k, symbol: "AAA", side: 1, qty: 1, price: 10, orderType: 0, tif: 0, configVersion: 1, signalPrice: 10, ts: ${T0} + k, day: ${DAY} });
        s.journal.fill({ orderId: "c" + k, symbol: "AAA", side: 1, qty: 1, price: 10, ts: ${T0} + k, day: ${DAY} });
      }
      s.journal.afterCommit((err) => {
        writeFileSync(${JSON.stringify(marker)}, err ? "failed" : "committed"); // synchronous, unlike a pipe
        s.journal.order({ id: "never", symbol: "AAA", side: 1, qty: 1, price: 10, orderType: 0, tif: 0, configVersion: 1, signalPrice: 10, ts: ${T0}, day: ${DAY} });
        process.kill(process.pid, "SIGKILL");
      });
    `;
    const child = Bun.spawn([process.execPath, "-e", script], { stdout: "ignore", stderr: "pipe" });
    const stderr = await new Response(child.stderr).text();
    await child.exited;
    expect(stderr).toBe("");
    expect(child.signalCode).toBe("SIGKILL");
    expect(readFileSync(marker, "utf8")).toBe("committed");
    using(path, (s) => {
      expect(s.dailyTrades(DAY)).toBe(500);
      expect(s.dayJournal(DAY).orders.some((o) => o.id === "never")).toBe(false);
      expect(sorted(rebuildPositions(s.positionCarry(), s.fills()))).toEqual([{ symbol: "AAA", position: 500, avgPrice: 10, realized: 0 }]);
      expect(s.db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    });
  });

  test("PRAGMA integrity_check is ok after versions, journal, prune and reopen", () => {
    const path = join(freshDir(), "paper.db");
    using(path, (s) => {
      s.createAndActivate(newVersion(1), { author: "startup", action: "startup" });
      for (let n = 2; n <= 20; n++) s.createAndActivate(newVersion(n, { parent: n - 1 }), { author: "a", action: "activate", changes: [{ path: "n", from: n - 1, to: n }] });
      for (const f of fillStream(3000, 5)) {
        s.journal.order(newOrder({ id: f.orderId, symbol: f.symbol, side: f.side, qty: f.qty, day: f.day }));
        s.journal.fill(f);
      }
      s.journal.stateChange(newState({ day: DAY + 1 }));
      s.journal.flush();
      while (s.prune(DAY + 3, 500) > 0);
      expect(s.db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
      expect(s.db.query("PRAGMA foreign_key_check").all()).toEqual([]);
    });
    using(path, (s) => expect(s.db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" }));
  });
});
