/**
 * `keel diff A B`: the change list between two stored config versions, computed by config/diff.ts
 * on their canonical documents (the same list an activation audits), read without a server.
 * Exit codes: 0 compared (with or without changes), 1 no database or an unknown version, 2 bad
 * arguments.
 */
import { diff } from "../config/diff.ts";
import type { ConfigVersion } from "../store/store.ts";
import { parse, UsageError } from "./args.ts";
import { DEFAULT_DATA, openForReading, READ_OPTIONS, readTarget } from "./versions.ts";

export const help = `Usage: keel diff A B [--data DIR] [--mode paper|live] [--json]

Print what changed from config version A to version B, one line per change:
  path: from -> to
Values are JSON (strings quoted). A key present in one version only (a symbol added or removed,
an override appearing) is one line for its whole subtree, with null on the missing side. The
documents are compared in canonical form, so a default written out and the same default left
implicit are no change. Identical versions print 'no changes between vA and vB'.

A and B are version numbers as 'keel versions' lists them; B may be older than A.
Reads DIR/paper.db (DIR/live.db with --mode live); safe while 'keel serve' runs on it.

Options:
  --data DIR          where the database lives (default ${DEFAULT_DATA}, as for 'keel serve')
  --mode paper|live   which database: DIR/paper.db (default) or DIR/live.db
  --json              print one JSON object: {database, mode, from, to, changes: [{path, from, to}]}
  -h, --help          show this help

Exit codes: 0 compared, 1 no database or a version that does not exist (named), 2 A or B
missing or not a positive whole number, or a bad flag.

Examples:
  keel diff 1 2
  keel diff 3 1 --data /var/lib/keel
  keel diff 4 5 --json | jq -r '.changes[].path'`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, READ_OPTIONS, 2);
  if (values.help) return (console.log(help), 0);
  if (positionals.length < 2) throw new UsageError(positionals.length === 0 ? "missing versions A and B" : "missing version B");
  const [a, b] = positionals.map(versionNumber) as [number, number];
  const target = readTarget(values);
  const reader = openForReading("diff", target);
  if (reader === null) return 1;
  let found: { from: ConfigVersion | null; to: ConfigVersion | null };
  try {
    // One read transaction: both documents from the same commit.
    found = reader.db.transaction(() => ({ from: reader.getVersion(a), to: reader.getVersion(b) }))();
  } finally {
    reader.close();
  }
  const { from, to } = found;
  if (from === null || to === null) {
    const missing = [...new Set([from === null ? a : 0, to === null ? b : 0])].filter((v) => v > 0);
    console.error(`keel diff: no config version ${missing.map((v) => `v${v}`).join(" or ")} in ${target.path} (see 'keel versions')`);
    return 1;
  }
  const changes = diff(JSON.parse(from.canonical), JSON.parse(to.canonical));

  if (values.json) {
    console.log(JSON.stringify({ database: target.path, mode: target.mode, from: a, to: b, changes }, null, 2));
    return 0;
  }
  if (changes.length === 0) {
    console.log(`no changes between v${a} and v${b}`);
    return 0;
  }
  for (const c of changes) console.log(`${c.path}: ${show(c.from)} -> ${show(c.to)}`);
  return 0;
}

/** A positional version number; anything but a positive whole number is a usage error. */
function versionNumber(text: string): number {
  const n = Number(text);
  if (!/^[1-9]\d*$/.test(text) || !Number.isSafeInteger(n)) throw new UsageError(`versions are positive whole numbers, got '${text}'`);
  return n;
}

function show(v: unknown): string {
  return JSON.stringify(v ?? null);
}
