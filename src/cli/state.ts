/**
 * `keel state`: what the engine's risk state is, read from the database without a server (or
 * beside a running one, over WAL, on a read-only connection that never takes the writer's lock).
 *
 * The numbers are not recomputed here: the active version is compiled, an Engine is built over it
 * without a journal, and engine/recover.ts rebuilds its RiskState exactly as `keel serve` does at
 * start. What this prints is therefore what a restart would resume with, by the same code path.
 * Every read happens in one read transaction, so a report taken while serve commits is one
 * commit's state, never half of two.
 * Exit codes: 0 reported (an empty database too), 1 no usable database or an active version
 * that no longer validates, 2 bad flags.
 */
import { formatIssue } from "../config/errors.ts";
import { prepareText, type Prepared } from "../config/prepare.ts";
import { Engine } from "../engine/engine.ts";
import { recover, type Recovery } from "../engine/recover.ts";
import { riskReport, type RiskReport } from "../risk/report.ts";
import type { AuditEntry, ConfigVersion } from "../store/store.ts";
import { parse } from "./args.ts";
import { DEFAULT_DATA, iso, openForReading, READ_OPTIONS, readTarget, table } from "./versions.ts";

/** Audit rows shown: the recent history an operator looks for, not the whole log. */
export const AUDIT_ROWS = 10;

export const help = `Usage: keel state [--data DIR] [--mode paper|live] [--json]

Print the engine's state as recorded in DIR/paper.db (DIR/live.db with --mode live): the active
config version and its hash, the trading state, the current trading day and its trade count,
open positions (quantity, average price, mark, unrealised P&L), gross exposure per sector against
its limit, total gross exposure, realised P&L today, unrealised and daily P&L, and the last
${AUDIT_ROWS} audit rows (activations, halts, resumes, rollbacks).

No server is needed, and it is safe while 'keel serve' runs on the database: it opens it
read-only and sees the last committed batch, so every acknowledged order is in it. The numbers
are rebuilt from the journal by the same code 'keel serve' runs at start, so they are exactly
what a restart would resume with. The trading day is the newest one in the journal (a later
day begins with the first signal after its reset); it is named by the UTC date it ends on.

An empty database (created, but no config version stored yet) is reported as such, exit 0.

Options:
  --data DIR          where the database lives (default ${DEFAULT_DATA}, as for 'keel serve')
  --mode paper|live   which database: DIR/paper.db (default) or DIR/live.db
  --json              print one JSON object: database, mode, config {version, hash, author,
                      message, created_at} (null on an empty database), trading_state,
                      trading_day (YYYY-MM-DD or null), trading_day_number, day_reset_utc,
                      daily_trades, open_positions, positions [{symbol, qty, avg_price, mark,
                      exposure, unrealized, realized}], sectors [{sector, exposure, limit}],
                      gross_exposure, realized_today, unrealized, daily_pnl, limits (the
                      defaults' risk.limits), audit [{id, ts, author, action, from_version,
                      to_version, changes, reason}] newest first, unknown_symbols. The risk
                      fields are those of the admin API's GET /risk.
  -h, --help          show this help

Exit codes: 0 reported, 1 no database (or not a keel database, or one from a newer keel), or
its active version no longer validates with this build, 2 bad flags.

Examples:
  keel state
  keel state --data /var/lib/keel --json | jq '.positions'
  watch -n1 keel state --data /var/lib/keel`;

/**
 * The report; the --json output, field for field. The risk part is risk/report.ts's RiskReport,
 * the same object `GET /risk` answers, so a tool reads both alike.
 */
export type StateReport = {
  database: string;
  mode: string;
  config: { version: number; hash: string; author: string; message: string; created_at: string | null } | null;
} & (RiskReport | EmptyRisk) & {
  trading_day_number: number | null;
  day_reset_utc: string | null;
  audit: AuditOut[];
  unknown_symbols: string[];
};

/** RiskReport's shape with nothing in it: an empty database has no config to report against. */
type EmptyRisk = { [K in keyof RiskReport]: K extends "limits" ? null : RiskReport[K] };

interface AuditOut {
  id: number;
  ts: string | null;
  author: string;
  action: string;
  from_version: number | null;
  to_version: number | null;
  changes: AuditEntry["changes"];
  reason: string;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, READ_OPTIONS, 0);
  if (values.help) return (console.log(help), 0);
  const target = readTarget(values);
  const reader = openForReading("state", target);
  if (reader === null) return 1;

  type Read =
    | { kind: "empty"; audit: AuditEntry[] }
    | { kind: "invalid"; active: ConfigVersion; issues: string[] }
    | { kind: "ok"; active: ConfigVersion; prepared: Prepared; engine: Engine; recovery: Recovery; audit: AuditEntry[] };
  let read: Read;
  try {
    read = reader.db.transaction((): Read => {
      const active = reader.activeVersion();
      if (active === null) return { kind: "empty", audit: reader.listAudit(AUDIT_ROWS) };
      // The stored document validated when it was stored; this build's rules may be stricter.
      const prepared = prepareText(active.canonical, "json");
      if (!prepared.ok) return { kind: "invalid", active, issues: prepared.issues.map(formatIssue) };
      const engine = new Engine(prepared.snapshot, active.version);
      const recovery = recover(engine, reader);
      return { kind: "ok", active, prepared, engine, recovery, audit: reader.listAudit(AUDIT_ROWS) };
    })();
  } finally {
    reader.close();
  }

  if (read.kind === "invalid") {
    for (const issue of read.issues) console.error(issue);
    console.error(`keel state: the active version ${read.active.version} in ${target.path} no longer validates with this keel; its state cannot be rebuilt`);
    return 1;
  }
  const report =
    read.kind === "empty"
      ? emptyReport(target.path, target.mode, read.audit)
      : buildReport(target.path, target.mode, read.active, read.prepared, read.engine, read.recovery, read.audit);
  if (read.kind === "ok" && report.unknown_symbols.length > 0) {
    console.error(`warning: the journal has positions in symbols the active config does not have, not included: ${report.unknown_symbols.join(", ")}`);
  }
  console.log(values.json ? JSON.stringify(report, null, 2) : format(report));
  return 0;
}

/** The report off the recovered engine, by risk/report.ts: no arithmetic of its own. */
function buildReport(
  database: string, mode: string, active: ConfigVersion, prepared: Prepared, engine: Engine, r: Recovery, audit: AuditEntry[],
): StateReport {
  const snap = engine.snapshot;
  const st = engine.decider.state;
  const risk = riskReport(st, snap, prepared.document);
  return {
    database,
    mode,
    config: { version: active.version, hash: active.hash, author: active.author, message: active.message, created_at: iso(active.createdAt) },
    ...risk,
    positions: [...risk.positions].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0)),
    trading_day_number: Number.isFinite(st.day) ? st.day : null,
    day_reset_utc: hhmm(snap.dayResetMinute),
    audit: audit.map(auditOut),
    unknown_symbols: [...r.unknownSymbols],
  };
}

function emptyReport(database: string, mode: string, audit: AuditEntry[]): StateReport {
  return {
    database,
    mode,
    config: null,
    trading_state: "ACTIVE",
    trading_day: null,
    daily_trades: 0,
    open_positions: 0,
    positions: [],
    sectors: [],
    gross_exposure: 0,
    realized_today: 0,
    unrealized: 0,
    daily_pnl: 0,
    limits: null,
    trading_day_number: null,
    day_reset_utc: null,
    audit: audit.map(auditOut),
    unknown_symbols: [],
  };
}

function auditOut(a: AuditEntry): AuditOut {
  return {
    id: a.id,
    ts: iso(a.ts),
    author: a.author,
    action: a.action,
    from_version: a.fromVersion,
    to_version: a.toVersion,
    changes: a.changes,
    reason: a.reason,
  };
}

function format(r: StateReport): string {
  if (r.config === null) {
    return `${r.database}: empty database (no config version yet; 'keel serve' stores one at its first start)`;
  }
  const lines: string[] = [];
  const c = r.config;
  lines.push(`keel state: ${r.database} (${r.mode})`);
  const head: string[][] = [
    ["config", `v${c.version}  sha256 ${c.hash.slice(0, 12)}  (${c.author}, ${c.created_at ?? "?"}${c.message ? `: ${c.message}` : ""})`],
    ["trading state", r.trading_state],
    ["trading day", r.trading_day === null ? "none yet (no journal rows)" : `${r.trading_day} (day ${r.trading_day_number}, rolls at ${r.day_reset_utc} UTC)`],
    ["daily trades", group(r.daily_trades)],
    ["open positions", group(r.open_positions)],
    ["gross exposure", money(r.gross_exposure)],
    ["P&L", `realised today ${money(r.realized_today)}, unrealised ${money(r.unrealized)}, daily ${money(r.daily_pnl)}`],
  ];
  lines.push(...table(head, ["l", "l"]));

  lines.push("", "positions");
  if (r.positions.length === 0) lines.push("  none (flat)");
  else {
    const rows = [["symbol", "qty", "avg price", "mark", "unrealised", "exposure"]];
    for (const p of r.positions) rows.push([p.symbol, qty(p.qty), price(p.avg_price), price(p.mark), money(p.unrealized), money(p.exposure)]);
    lines.push(...table(rows, ["l", "r", "r", "r", "r", "r"]));
  }

  lines.push("", "sector exposure");
  const sectors = [["sector", "gross", "limit", "used"]];
  for (const s of r.sectors) sectors.push([s.sector, money(s.exposure), money(s.limit), s.limit > 0 ? `${((s.exposure / s.limit) * 100).toFixed(1)}%` : "-"]);
  lines.push(...table(sectors, ["l", "r", "r", "r"]));

  lines.push("", `audit (last ${AUDIT_ROWS}, newest first)`);
  if (r.audit.length === 0) lines.push("  none");
  else {
    const rows = [["time", "author", "action", "versions", "change", "reason"]];
    for (const a of r.audit) {
      rows.push([a.ts ?? "?", a.author, a.action, `${v(a.from_version)} -> ${v(a.to_version)}`, changeSummary(a), a.reason.replace(/\s+/g, " ")]);
    }
    lines.push(...table(rows, ["l", "l", "l", "l", "l", "l"]));
  }
  return lines.join("\n");
}

/** One change in full, or how many (keel diff shows them). */
function changeSummary(a: AuditOut): string {
  if (a.changes.length === 0) return "-";
  if (a.changes.length === 1) {
    const ch = a.changes[0]!;
    const text = `${ch.path}: ${JSON.stringify(ch.from ?? null)} -> ${JSON.stringify(ch.to ?? null)}`;
    return text.length <= 60 ? text : `${text.slice(0, 57)}...`;
  }
  return `${a.changes.length} changes`;
}

function v(version: number | null): string {
  return version === null ? "-" : `v${version}`;
}

function hhmm(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
}

function group(n: number): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: 0 });
}

function qty(n: number): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: 8 });
}

function price(n: number): string {
  return n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 6 });
}

function money(n: number): string {
  return (Math.round(n * 100) / 100 + 0).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}
