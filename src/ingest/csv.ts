/**
 * Signal files as CSV: the header, the cells, and the plain object a row stands for. A row becomes
 * the same object a JSONL line would parse to, so toSignal() judges both alike: numeric cells as
 * numbers, other text as strings (an engine reject, as over TCP), empty cells as absent.
 */
import { extname } from "node:path";

export type SignalFormat = "csv" | "jsonl";

/** CSV columns; the first six are required in the header, `strategy` is optional. */
export const CSV_COLUMNS = ["ts", "id", "symbol", "side", "strength", "price", "strategy"] as const;
const REQUIRED_COLUMNS = 6;
const C_TS = 0;
const C_ID = 1;
const C_SYMBOL = 2;
const C_SIDE = 3;
const C_STRENGTH = 4;
const C_PRICE = 5;
const C_STRATEGY = 6;

/** The format named by a file's extension, or undefined to sniff the content. */
export function formatOfPath(path: string): SignalFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === ".csv") return "csv";
  if (ext === ".jsonl" || ext === ".ndjson" || ext === ".json") return "jsonl";
  return undefined;
}

/** The format of a file from its first non-empty line: a JSON object is JSONL, anything else CSV. */
export function sniffFormat(firstLine: string): SignalFormat {
  return firstLine.trimStart().startsWith("{") ? "jsonl" : "csv";
}

/**
 * The column positions of a CSV header: for each of CSV_COLUMNS, its index in the row, or -1
 * (only `strategy` may be absent). Names are trimmed and case-insensitive; an unknown or repeated
 * column is an error, so a typo never silently drops a field.
 */
export function parseCsvHeader(line: string): { ok: true; columns: Int32Array; width: number } | { ok: false; message: string } {
  const names = splitCsv(line);
  if (names === null) return { ok: false, message: "the CSV header has an unterminated quote" };
  const columns = new Int32Array(CSV_COLUMNS.length).fill(-1);
  const problems: string[] = [];
  for (let c = 0; c < names.length; c++) {
    const name = names[c]!.trim().toLowerCase();
    const k = (CSV_COLUMNS as readonly string[]).indexOf(name);
    if (k === -1) problems.push(`unknown column '${names[c]!.trim()}'`);
    else if (columns[k] !== -1) problems.push(`column '${name}' appears twice`);
    else columns[k] = c;
  }
  const missing = CSV_COLUMNS.slice(0, REQUIRED_COLUMNS).filter((_, k) => columns[k] === -1);
  if (missing.length > 0) problems.unshift(`missing required column${missing.length === 1 ? "" : "s"} ${missing.join(", ")}`);
  if (problems.length > 0) {
    return { ok: false, message: `bad CSV header (${problems.join("; ")}); expected the columns ${CSV_COLUMNS.join(",")} in any order, strategy optional` };
  }
  return { ok: true, columns, width: names.length };
}

/**
 * Split one CSV line into cells. Plain split when there is no quote; otherwise RFC 4180 quoting
 * ("a,b" is one cell, "" inside quotes is a quote). A row is one line: quoted newlines are not
 * supported. Returns null for an unterminated quote.
 */
export function splitCsv(line: string): string[] | null {
  if (line.indexOf('"') === -1) return line.split(",");
  const cells: string[] = [];
  let cell = "";
  let i = 0;
  const n = line.length;
  for (;;) {
    if (line.charCodeAt(i) === 34) {
      // Quoted cell: up to the closing quote; "" is a literal quote.
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q === -1) return null;
        cell += line.slice(i, q);
        if (line.charCodeAt(q + 1) === 34) {
          cell += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      const comma = line.indexOf(",", i);
      // Text between the closing quote and the comma is kept, as most readers do.
      cell += line.slice(i, comma === -1 ? n : comma);
      i = comma === -1 ? n : comma;
    } else {
      const comma = line.indexOf(",", i);
      cell += line.slice(i, comma === -1 ? n : comma);
      i = comma === -1 ? n : comma;
    }
    cells.push(cell);
    cell = "";
    if (i >= n) return cells;
    i++; // past the comma
    if (i === n) {
      cells.push("");
      return cells;
    }
  }
}

// A decimal number as a CSV cell: what a JSON number literal would be, plus a leading '+' or '.'.
// Anything else (empty, hex, "Infinity", spaces) is not a number, as a string would not be in JSON.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A numeric CSV cell as toSignal sees it: a number, a string (-> NaN there) or absent. */
function cellValue(cell: string): number | string | undefined {
  if (cell.length === 0) return undefined;
  return DECIMAL.test(cell) ? Number(cell) : cell;
}

/** The plain object a CSV row stands for, with ingest's field types. */
export function csvRecord(cells: readonly string[], c: Int32Array): Record<string, unknown> {
  const strategyAt = c[C_STRATEGY]!;
  const strategy = strategyAt === -1 ? "" : cells[strategyAt]!;
  return {
    id: cells[c[C_ID]!]!,
    symbol: cells[c[C_SYMBOL]!]!,
    side: cells[c[C_SIDE]!]!,
    strength: cellValue(cells[c[C_STRENGTH]!]!),
    price: cellValue(cells[c[C_PRICE]!]!),
    ts: cellValue(cells[c[C_TS]!]!),
    strategy: strategy.length === 0 ? undefined : strategy,
  };
}
