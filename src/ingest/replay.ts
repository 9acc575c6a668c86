/**
 * Replay: a CSV or JSONL signal file through Engine.process(), the path TCP ingest uses, with the
 * decisions written as the same reply lines ingest sends back.
 *
 * Deterministic by construction: the signal clock is the file's `ts` column, never the wall
 * clock. A row without a ts takes the ts of the last row that had a finite one (0 before any), so
 * the same file and config always give byte-identical decision files.
 *
 * The file is streamed (Bun.file().stream(), ~512 KiB chunks) and decoded incrementally; memory
 * stays flat whatever the number of rows. Each line is parsed the way ingest parses it: JSONL
 * with JSON.parse + toSignal; a CSV row is turned into the same plain object (numeric cells as
 * numbers, empty cells as absent) and handed to toSignal, so a value error (NaN, a strength out of
 * range, an unknown side) is the engine's `invalid_signal` reject, exactly as over TCP, and only
 * rows toSignal cannot answer (no id, no symbol, bad JSON, wrong column count) are errors.
 */
import { existsSync, realpathSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Engine } from "../engine/engine.ts";
import { errorReply } from "../engine/order.ts";
import { REASONS } from "../engine/reasons.ts";
import { toSignal } from "../engine/signal.ts";
import { Histogram } from "../metrics/histogram.ts";
import { TRADING_STATES, type TradingStateChange, type TradingStateName } from "../risk/trading-state.ts";
import { csvRecord, formatOfPath, parseCsvHeader, sniffFormat, splitCsv, type SignalFormat } from "./csv.ts";

/** A problem with the files themselves (missing, unreadable, bad CSV header): the replay cannot run. */
export class ReplayError extends Error {}

/** Longest line accepted, in UTF-16 units; as TCP ingest, a longer line is an error row. */
export const MAX_LINE = 64 * 1024;


export interface ReplayOptions {
  /** Force a format; by default the extension decides, else the first line is sniffed. */
  readonly format?: SignalFormat;
  /** Where to write one decision line per row. */
  readonly out?: string;
  /** A row that is not a signal (bad JSON, wrong column count, no id, ...). */
  readonly onMalformed?: (line: number, message: string) => void;
  /** Called between chunks, first after `progressAfterMs`, then at most every `progressEveryMs`. */
  readonly onProgress?: (rows: number, elapsedNs: number) => void;
  readonly progressAfterMs?: number;
  readonly progressEveryMs?: number;
}

export interface ReplayResult {
  readonly format: SignalFormat;
  /** Non-empty lines other than a CSV header: signals + errors. */
  readonly rows: number;
  /** Rows decided by the engine: orders + rejects. */
  readonly signals: number;
  readonly orders: number;
  /** Reject counts by reason name (only reasons that occurred), by count descending then name. */
  readonly rejects: Record<string, number>;
  /** Malformed rows. */
  readonly errors: number;
  /** Decision latency (Engine.process, i.e. decide + paper fill) in nanoseconds. */
  readonly latency: Histogram;
  /** Signal clock of the first and last decided signal with a finite ts, or null. */
  readonly firstTs: number | null;
  readonly lastTs: number | null;
  /** Wall time of the whole replay (read, decide, write), nanoseconds. */
  readonly wallNs: number;
}

/**
 * Check the paths before any work: the signal file exists and is not a directory; the --out
 * directory exists; --out is neither a directory nor the input itself. Throws ReplayError.
 */
export function checkPaths(input: string, out?: string): void {
  let st;
  try {
    st = statSync(input);
  } catch {
    throw new ReplayError(`signal file not found: ${input}`);
  }
  // Not isFile(): a FIFO (`keel replay <(generate ...)`) streams just as well.
  if (st.isDirectory()) throw new ReplayError(`${input} is a directory, not a signal file`);
  if (out === undefined) return;
  const dir = dirname(resolve(out));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ReplayError(`--out: directory does not exist: ${dirname(out)}`);
  if (existsSync(out)) {
    if (statSync(out).isDirectory()) throw new ReplayError(`--out: ${out} is a directory`);
    if (realpathSync(out) === realpathSync(input)) throw new ReplayError(`--out would overwrite the signal file ${input}`);
  }
}

/** Flush the pending decision text once it is this many UTF-16 units. */
const OUT_BATCH = 256 * 1024;

/** Runs rows through an engine; one instance per replay. */
class Replayer {
  format: SignalFormat | undefined;
  rows = 0;
  errors = 0;
  firstTs: number | null = null;
  lastTs: number | null = null;
  readonly latency = new Histogram();
  private columns: Int32Array | null = null;
  private width = 0;
  /** The clock for a row without ts: the last finite ts seen (0 before any). */
  private clock = 0;
  private readonly now = () => this.clock;
  private pending = "";
  private sink: ReturnType<ReturnType<typeof Bun.file>["writer"]> | null = null;

  constructor(
    private readonly engine: Engine,
    private readonly opts: ReplayOptions,
  ) {
    this.format = opts.format;
  }

  /** One line (no newline) with its 1-based number in the file. */
  line(raw: string, n: number): void {
    let line = raw;
    if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim().length === 0)) return;
    if (this.format === undefined) this.format = sniffFormat(line);
    if (this.format === "csv" && this.columns === null) {
      const h = parseCsvHeader(line);
      if (!h.ok) throw new ReplayError(`line ${n}: ${h.message}`);
      this.columns = h.columns;
      this.width = h.width;
      return;
    }
    this.rows++;
    if (line.length > MAX_LINE) return this.malformed(n, `line exceeds ${MAX_LINE} characters; skipped`);
    let value: unknown;
    if (this.format === "jsonl") {
      try {
        value = JSON.parse(line);
      } catch (err) {
        return this.malformed(n, `invalid JSON: ${err instanceof Error ? err.message.slice(0, 200) : "parse error"}`);
      }
    } else {
      const cells = splitCsv(line);
      if (cells === null) return this.malformed(n, "unterminated quote");
      if (cells.length !== this.width) return this.malformed(n, `expected ${this.width} columns, got ${cells.length}`);
      value = csvRecord(cells, this.columns!);
    }
    const p = toSignal(value, this.now);
    if (!p.ok) return this.malformed(n, p.message, p.id);
    const s = p.signal;
    if (s.ts - s.ts === 0) {
      this.clock = s.ts;
      if (this.firstTs === null) this.firstTs = s.ts;
      this.lastTs = s.ts;
    }
    const t0 = Bun.nanoseconds();
    const reply = this.engine.process(s);
    this.latency.record(Bun.nanoseconds() - t0);
    if (this.opts.out !== undefined) this.emit(JSON.stringify(reply));
  }

  private malformed(n: number, message: string, id?: string): void {
    this.errors++;
    this.opts.onMalformed?.(n, message);
    if (this.opts.out !== undefined) this.emit(JSON.stringify({ ...errorReply(message, id), line: n }));
  }

  private emit(json: string): void {
    this.pending += json + "\n";
    if (this.pending.length >= OUT_BATCH) this.flush();
  }

  private flush(): void {
    if (this.opts.out === undefined) return;
    // Opened on first use, so a replay refused at the header leaves no file behind.
    this.sink ??= Bun.file(this.opts.out).writer({ highWaterMark: 1 << 20 });
    if (this.pending.length > 0) this.sink.write(this.pending);
    this.pending = "";
  }

  async close(): Promise<void> {
    if (this.opts.out === undefined) return;
    this.flush();
    await this.sink!.end();
  }
}

/**
 * Replay a signal file through `engine` (which should be fresh: its risk state is the replay's
 * starting point). Throws ReplayError when the files cannot be used; malformed rows are counted,
 * reported through onMalformed, written to `out` as error lines, and the replay goes on.
 * @example const r = await replayFile("signals.csv", new Engine(snapshot, 1), { out: "decisions.jsonl" });
 */
export async function replayFile(path: string, engine: Engine, opts: ReplayOptions = {}): Promise<ReplayResult> {
  checkPaths(path, opts.out);
  return replayChunks(readChunks(path), engine, { ...opts, format: opts.format ?? formatOfPath(path) });
}

/** The file's bytes; a read error becomes a ReplayError (an error in the consumer does not pass through here). */
async function* readChunks(path: string): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of Bun.file(path).stream()) yield chunk;
  } catch (err) {
    throw new ReplayError(`cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Replay a byte stream cut anywhere (a line or a character may span chunks). The format is
 * opts.format, else sniffed from the first non-empty line. Does not check opts.out.
 */
export async function replayChunks(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  engine: Engine,
  opts: ReplayOptions = {},
): Promise<ReplayResult> {
  const start = Bun.nanoseconds();
  const before = engine.outcomes.slice();
  const r = new Replayer(engine, opts);
  const afterNs = (opts.progressAfterMs ?? 1000) * 1e6;
  const everyNs = (opts.progressEveryMs ?? 250) * 1e6;
  let nextProgress = start + afterNs;

  const decoder = new TextDecoder(); // strips a UTF-8 BOM
  let rest = "";
  let lineNo = 1;
  let discarding = false;
  for await (const chunk of chunks) {
    const text = decoder.decode(chunk, { stream: true });
    let buf = text;
    let p = 0;
    if (discarding) {
      const nl = text.indexOf("\n");
      if (nl === -1) continue;
      discarding = false;
      lineNo++;
      p = nl + 1;
    } else if (rest.length > 0) {
      buf = rest + text;
    }
    for (;;) {
      const nl = buf.indexOf("\n", p);
      if (nl === -1) break;
      r.line(buf.slice(p, nl), lineNo++);
      p = nl + 1;
    }
    rest = buf.slice(p);
    if (rest.length > MAX_LINE) {
      // A runaway line: count it once, then drop bytes up to its newline instead of holding them.
      r.line(rest, lineNo);
      rest = "";
      discarding = true;
    }
    if (opts.onProgress !== undefined) {
      const now = Bun.nanoseconds();
      if (now >= nextProgress) {
        opts.onProgress(r.rows, now - start);
        nextProgress = now + everyNs;
      }
    }
  }
  if (!discarding) {
    rest += decoder.decode();
    if (rest.length > 0) r.line(rest, lineNo);
  }
  await r.close();

  const counts = engine.outcomes;
  const rejects: [string, number][] = [];
  let signals = 0;
  for (let k = 0; k < REASONS.length; k++) {
    const d = counts[k]! - before[k]!;
    signals += d;
    if (k > 0 && d > 0) rejects.push([REASONS[k]!, d]);
  }
  rejects.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return {
    format: r.format ?? "csv",
    rows: r.rows,
    signals,
    orders: counts[0]! - before[0]!,
    rejects: Object.fromEntries(rejects),
    errors: r.errors,
    latency: r.latency,
    firstTs: r.firstTs,
    lastTs: r.lastTs,
    wallNs: Bun.nanoseconds() - start,
  };
}

/** The summary of a replay as plain data (what `keel replay --json` prints, minus the CLI's fields). */
export interface ReplaySummary {
  format: SignalFormat;
  rows: number;
  signals: number;
  orders: number;
  rejected: number;
  rejects: Record<string, number>;
  errors: number;
  /** Final non-zero positions by symbol, in symbol order. */
  positions: Record<string, number>;
  pnl: { realized: number; unrealized: number; daily: number };
  trading_state: TradingStateName;
  trading_state_changes: TradingStateChange[];
  latency_ns: { count: number; p50: number; p99: number; p999: number; max: number; mean: number };
  clock: { first: string | null; last: string | null };
  wall_ms: number;
  signals_per_sec: number;
}

/** Summarise a replay from its result and the engine's risk state at the end. */
export function summarize(result: ReplayResult, engine: Engine): ReplaySummary {
  const st = engine.decider.state;
  const snap = engine.snapshot;
  const held: [string, number][] = [];
  let realized = 0;
  for (let i = 0; i < snap.symbolCount; i++) {
    realized += st.realized[i]!;
    const pos = st.position(i);
    if (pos !== 0) held.push([snap.symbols[i]!, pos]);
  }
  held.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const h = result.latency;
  const wallMs = result.wallNs / 1e6;
  const iso = (ts: number | null) => (ts === null || !Number.isFinite(new Date(ts).getTime()) ? null : new Date(ts).toISOString());
  return {
    format: result.format,
    rows: result.rows,
    signals: result.signals,
    orders: result.orders,
    rejected: result.signals - result.orders,
    rejects: result.rejects,
    errors: result.errors,
    positions: Object.fromEntries(held),
    pnl: { realized, unrealized: st.unrealized, daily: st.dailyPnl() },
    trading_state: TRADING_STATES[st.tradingState] ?? "ACTIVE",
    trading_state_changes: [...st.changes],
    latency_ns: { count: h.count, p50: h.quantile(0.5), p99: h.quantile(0.99), p999: h.quantile(0.999), max: h.max, mean: Math.round(h.mean()) },
    clock: { first: iso(result.firstTs), last: iso(result.lastTs) },
    wall_ms: Math.round(wallMs * 1000) / 1000,
    signals_per_sec: wallMs > 0 ? Math.round(result.signals / (wallMs / 1000)) : 0,
  };
}
