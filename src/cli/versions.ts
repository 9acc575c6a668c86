/**
 * `keel versions`: the stored config versions, newest first, read from the database without a
 * server (or beside a running one: WAL lets a read-only connection see the last commit).
 *
 * Also the read side shared by `keel state` and `keel diff`: the --data/--mode flags, the
 * read-only open with its error messages, and the aligned tables. Never the writer: these
 * commands must not take the lock, migrate, or hold up `keel serve`.
 * Exit codes: 0 listed (an empty database lists nothing), 1 no usable database, 2 bad flags.
 */
import { dbPathFor } from "../store/db.ts";
import { StoreError, StoreNotFoundError } from "../store/errors.ts";
import { openStoreReader, type SqliteStoreReader } from "../store/sqlite.ts";
import type { TradingMode } from "../store/store.ts";
import { parse, UsageError } from "./args.ts";

/** Where `keel serve` keeps its database by default (its --data). */
export const DEFAULT_DATA = "./data";
export const DEFAULT_LIMIT = 20;

export const help = `Usage: keel versions [--data DIR] [--mode paper|live] [--limit N] [--json]

List the config versions stored in DIR/paper.db (DIR/live.db with --mode live), newest first:
number, creation time (UTC), author, parent version, the first 12 characters of the sha256
hash, and the message. The active version is marked with '*'.

Reads the database only: no server needed, and safe while 'keel serve' runs on it.

Options:
  --data DIR          where the database lives (default ${DEFAULT_DATA}, as for 'keel serve')
  --mode paper|live   which database: DIR/paper.db (default) or DIR/live.db
  --limit N           show the newest N versions (default ${DEFAULT_LIMIT})
  --json              print one JSON object: {database, mode, active, total, versions: [{version,
                      created_at, author, parent, hash, message, active}]} with the full hash
  -h, --help          show this help

Exit codes: 0 listed (an empty database lists none), 1 no database or not a keel database,
2 bad flags.

Examples:
  keel versions
  keel versions --data /var/lib/keel --limit 5
  keel versions --json | jq '.versions[] | select(.author != "startup")'`;

/** The flags every read-side command takes. */
export const READ_OPTIONS = {
  data: { type: "string" },
  mode: { type: "string" },
  json: { type: "boolean" },
} as const;

/** The database file named by --data and --mode (usage error for an unknown mode). */
export function readTarget(values: { data?: string; mode?: string }): { dataDir: string; mode: TradingMode; path: string } {
  const mode = values.mode ?? "paper";
  if (mode !== "paper" && mode !== "live") throw new UsageError(`--mode expects paper or live, got '${mode}'`);
  const dataDir = values.data ?? DEFAULT_DATA;
  return { dataDir, mode, path: dbPathFor(dataDir, mode) };
}

/**
 * Open the database read-only, or say why not on stderr and return null (the caller exits 1).
 * A missing file is the common mistake (wrong --data, or serve never ran), so it gets its own hint.
 */
export function openForReading(command: string, target: { dataDir: string; path: string }): SqliteStoreReader | null {
  try {
    return openStoreReader(target.path);
  } catch (err) {
    if (err instanceof StoreNotFoundError) {
      console.error(`keel ${command}: no database at ${target.path} (has keel serve run with --data ${target.dataDir}?)`);
      return null;
    }
    if (err instanceof StoreError) {
      console.error(`keel ${command}: ${err.message}`);
      return null;
    }
    throw err;
  }
}

/** Epoch ms as ISO 8601 UTC; null for anything that is not a time. */
export function iso(ms: number): string | null {
  const d = new Date(ms);
  return Number.isFinite(d.getTime()) ? d.toISOString() : null;
}

/** Rows of cells as aligned columns ("r" right-aligns a column), two spaces apart, each line indented. */
export function table(rows: readonly (readonly string[])[], align: readonly ("l" | "r")[], indent = "  "): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, c) => (widths[c] = Math.max(widths[c] ?? 0, cell.length)));
  return rows.map(
    (row) => indent + row.map((cell, c) => (align[c] === "r" ? cell.padStart(widths[c]!) : c === row.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  ").trimEnd(),
  );
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...READ_OPTIONS, limit: { type: "string" } }, 0);
  if (values.help) return (console.log(help), 0);
  const target = readTarget(values);
  const limitText = values.limit ?? String(DEFAULT_LIMIT);
  const limit = Number(limitText);
  if (!/^[1-9]\d*$/.test(limitText) || !Number.isSafeInteger(limit)) throw new UsageError(`--limit expects a whole number >= 1, got '${limitText}'`);
  const reader = openForReading("versions", target);
  if (reader === null) return 1;
  let listed;
  try {
    // One read transaction: the list and the active pointer come from the same commit.
    listed = reader.db.transaction(() => ({ versions: reader.listVersions(limit), active: reader.activeVersion()?.version ?? null }))();
  } finally {
    reader.close();
  }
  const { versions, active } = listed;
  // Version numbers are dense from 1 (store/versions.ts), so the newest number is the count.
  const total = versions[0]?.version ?? 0;

  if (values.json) {
    const out = {
      database: target.path,
      mode: target.mode,
      active,
      total,
      versions: versions.map((v) => ({
        version: v.version,
        created_at: iso(v.createdAt),
        author: v.author,
        parent: v.parent,
        hash: v.hash,
        message: v.message,
        active: v.version === active,
      })),
    };
    console.log(JSON.stringify(out, null, 2));
    return 0;
  }

  if (versions.length === 0) {
    console.log(`${target.path}: no config versions yet (empty database)`);
    return 0;
  }
  const rows = [["", "version", "created", "author", "parent", "hash", "message"]];
  for (const v of versions) {
    rows.push([
      v.version === active ? "*" : "",
      String(v.version),
      iso(v.createdAt) ?? String(v.createdAt),
      v.author,
      v.parent === null ? "-" : String(v.parent),
      v.hash.slice(0, 12),
      oneLine(v.message),
    ]);
  }
  console.log(`${target.path}: ${total} version${total === 1 ? "" : "s"}, active ${active === null ? "none" : `v${active}`}`);
  for (const line of table(rows, ["l", "r", "l", "l", "r", "l", "l"], "")) console.log(line);
  if (versions.length < total) console.log(`(newest ${versions.length} of ${total} shown; --limit N for more)`);
  return 0;
}

/** A message on one table line: newlines and tabs would break the columns. */
function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}
