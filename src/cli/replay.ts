/**
 * `keel replay SIGNALS`: run a CSV or JSONL signal file through the engine on the paper venue,
 * deterministically (the file's ts is the clock), and summarise what it decided.
 * Exit codes: 0 replayed (malformed rows are counted, not fatal), 1 a file or the config cannot be
 * used (missing, unreadable, bad CSV header, invalid config, --out directory missing), 2 bad flags.
 */
import { formatIssue } from "../config/errors.ts";
import { prepareText } from "../config/prepare.ts";
import { Engine } from "../engine/engine.ts";
import { checkPaths, ReplayError, replayFile, summarize, type ReplaySummary } from "../ingest/replay.ts";
import { parse, UsageError } from "./args.ts";
import { readSource } from "./source.ts";

export const help = `Usage: keel replay SIGNALS [--config FILE] [--out DECISIONS.jsonl] [--json]

Replay a signal file through the engine, exactly as if each row had arrived on the ingest
socket, and print a summary: signals, orders, rejects by reason, malformed rows, final
positions, realised/unrealised/daily P&L, the trading state at the end, decision latency
percentiles and throughput.

SIGNALS is CSV or JSONL, told apart by the extension (.csv; .jsonl, .ndjson or .json) or
else by the first line:
  CSV    a header naming the columns ts,id,symbol,side,strength,price,strategy in any order
         (strategy optional; an unknown or missing column is an error, exit 1), then one row
         per signal. Numeric cells are decimal numbers; an empty cell is an absent field.
  JSONL  one signal object per line, as sent to the ingest socket:
         {"id","symbol","side":"buy"|"sell","strength","price","strategy"?,"ts"?}

Deterministic: the signal clock is the file's ts (epoch milliseconds), never the wall clock,
so the same file and config always give byte-identical --out files. A row without a ts takes
the ts of the last row that had one (0 before any).

A row that is not a signal (bad JSON, wrong number of CSV columns, no id or symbol) is
reported on stderr as 'line N: message' (the first 20), counted as an error and skipped; the
replay goes on. A value the engine can judge (NaN, strength outside (0, 1], an unknown side
or symbol) is a reject, as on the socket. Empty lines are skipped.

Orders go to the paper venue, which fills them at once; nothing leaves this process. A config
with trading.mode = "live" is therefore accepted, with a note on stderr: the replay shows what
that config would have decided, on simulated fills.

Options:
  --config FILE             config file (TOML, or JSON by its .json extension); default: the
                            config embedded in this binary
  --out DECISIONS.jsonl     write one decision line per row, the ingest reply format
                            ({"id","status":"accepted","order":{...},"config_version":1},
                            {"id","status":"rejected","reason",...}, and for a malformed row
                            {"status":"error","message","line":N}); its directory must exist
  --json                    print the summary as one JSON object
  -h, --help                show this help

Exit codes: 0 replayed (malformed rows included), 1 the signal file, the --out directory or
the config cannot be used (nothing is replayed), 2 bad flags.

Examples:
  npx bun bench/gen-signals.ts 100000 --out /tmp/signals.csv
  keel replay /tmp/signals.csv --out /tmp/decisions.jsonl
  npx bun bench/gen-signals.ts 100000 --config config/examples/universe-500.toml --out /tmp/u.jsonl
  keel replay /tmp/u.jsonl --config config/examples/universe-500.toml --json
  keel replay s.csv --out a.jsonl && keel replay s.csv --out b.jsonl && cmp a.jsonl b.jsonl`;

/** A replay is one config version: decisions carry version 1. */
const REPLAY_VERSION = 1;
/** Malformed rows printed on stderr; the rest are counted. */
const SHOWN_ERRORS = 20;
/** Position lines printed in the text summary; --json has them all. */
const SHOWN_POSITIONS = 40;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { config: { type: "string" }, out: { type: "string" }, json: { type: "boolean" } }, 1);
  if (values.help) return (console.log(help), 0);
  const file = positionals[0];
  if (file === undefined) throw new UsageError("missing the SIGNALS file to replay");
  try {
    checkPaths(file, values.out);
  } catch (err) {
    if (err instanceof ReplayError) return (console.error(`keel replay: ${err.message}`), 1);
    throw err;
  }

  const source = await readSource(values.config);
  const prepared = prepareText(source.text, source.format);
  for (const w of prepared.warnings) console.error(`warning: ${formatIssue(w)}`);
  if (!prepared.ok) {
    for (const issue of prepared.issues) console.error(formatIssue(issue));
    console.error(`keel replay: ${source.name} is invalid; nothing replayed`);
    return 1;
  }
  const mode = prepared.document.trading.mode;
  if (mode !== "paper") {
    console.error(`keel replay: note: ${source.name} has trading.mode = "${mode}"; the replay simulates it on the paper venue, no order leaves this process`);
  }

  const engine = new Engine(prepared.snapshot, REPLAY_VERSION);
  const progress = new Progress(process.stderr.isTTY === true);
  let shown = 0;
  let result;
  try {
    result = await replayFile(file, engine, {
      out: values.out,
      onMalformed: (line, message) => {
        if (shown++ >= SHOWN_ERRORS) return;
        progress.clear();
        console.error(`line ${line}: ${message}`);
      },
      onProgress: progress.enabled ? (rows, ns) => progress.show(rows, ns) : undefined,
    });
  } catch (err) {
    progress.clear();
    if (err instanceof ReplayError) return (console.error(`keel replay: ${err.message}`), 1);
    throw err;
  }
  progress.clear();
  if (result.errors > SHOWN_ERRORS) {
    console.error(`keel replay: ${result.errors} malformed rows in all (the first ${SHOWN_ERRORS} shown)`);
  }

  const summary = summarize(result, engine);
  const full = { file, config: source.name, config_hash: prepared.hash, mode, venue: engine.venue.name, out: values.out ?? null, ...summary };
  if (values.json) console.log(JSON.stringify(full, null, 2));
  else console.log(formatSummary(file, source.name, engine.venue.name, summary, values.out));
  return 0;
}

/** The `\r`-rewritten progress line on a terminal; silent otherwise. */
class Progress {
  private shown = false;
  constructor(readonly enabled: boolean) {}

  show(rows: number, ns: number): void {
    const rate = Math.round(rows / (ns / 1e9));
    process.stderr.write(`\r${group(rows)} signals, ${group(rate)}/s\x1b[K`);
    this.shown = true;
  }

  clear(): void {
    if (!this.shown) return;
    process.stderr.write("\r\x1b[K");
    this.shown = false;
  }
}

function formatSummary(file: string, config: string, venue: string, s: ReplaySummary, out: string | undefined): string {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(15)}${value}`);
  lines.push(`keel replay: ${file} (${s.format}), config ${config}, ${venue} venue`);
  row("rows", `${group(s.rows)}: ${group(s.signals)} signals, ${group(s.errors)} malformed`);
  row("orders", group(s.orders));
  row("rejects", group(s.rejected));
  const reasons = Object.entries(s.rejects);
  const width = Math.max(0, ...reasons.map(([r]) => r.length));
  for (const [reason, n] of reasons) lines.push(`    ${reason.padEnd(width)}  ${group(n).padStart(12)}`);
  row("errors", group(s.errors));
  const held = Object.entries(s.positions);
  row("positions", held.length === 0 ? "none (flat)" : `${held.length} symbol${held.length === 1 ? "" : "s"}`);
  const symWidth = Math.max(0, ...held.slice(0, SHOWN_POSITIONS).map(([sym]) => sym.length));
  for (const [sym, qty] of held.slice(0, SHOWN_POSITIONS)) lines.push(`    ${sym.padEnd(symWidth)}  ${group(qty).padStart(12)}`);
  if (held.length > SHOWN_POSITIONS) lines.push(`    ... and ${held.length - SHOWN_POSITIONS} more (--json lists them all)`);
  row("P&L", `realised ${money(s.pnl.realized)}, unrealised ${money(s.pnl.unrealized)}, daily ${money(s.pnl.daily)}`);
  row("trading state", s.trading_state);
  for (const c of s.trading_state_changes) {
    lines.push(`    ${c.from} -> ${c.to} (${c.reason}) at ${Number.isFinite(c.ts) ? new Date(c.ts).toISOString() : c.ts}`);
  }
  const l = s.latency_ns;
  row("latency", `p50 ${duration(l.p50)}, p99 ${duration(l.p99)}, p99.9 ${duration(l.p999)}, max ${duration(l.max)} (Engine.process: decide + paper fill)`);
  if (s.clock.first !== null) row("signal clock", `${s.clock.first} .. ${s.clock.last}`);
  row("wall", `${(s.wall_ms / 1000).toFixed(3)} s, ${group(s.signals_per_sec)} signals/s`);
  if (out !== undefined) row("decisions", out);
  return lines.join("\n");
}

/** 1234567 -> "1,234,567". */
function group(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function money(n: number): string {
  return (Math.round(n * 100) / 100 + 0).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

function duration(ns: number): string {
  if (ns < 1000) return `${ns} ns`;
  if (ns < 1e6) return `${(ns / 1000).toFixed(ns < 1e4 ? 2 : 1)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(2)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}
