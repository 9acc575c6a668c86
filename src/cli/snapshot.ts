/**
 * `keel snapshot`: read `<data>/snapshot.bin` (live: `snapshot-live.bin`) through Bun.mmap, as any other process would, and
 * print one symbol's effective config or a summary of the file. The format's own reader
 * (export/snapshot-reader.ts) does the reading, so this command exercises the documented layout,
 * never the engine's memory or the database.
 * Exit codes: 0 printed, 1 no file, not a keel snapshot, or an unknown symbol, 2 bad flags.
 */
import { join } from "node:path";
import { MODE_LIVE } from "../config/snapshot.ts";
import { LIVE_SNAPSHOT_FILE, SNAPSHOT_FILE, snapshotFileFor } from "../export/snapshot-layout.ts";
import { recordJson, SnapshotFileError, SnapshotReader, type BufferInfo } from "../export/snapshot-reader.ts";
import { parse } from "./args.ts";
import { DEFAULT_DATA, iso, readTarget, table } from "./versions.ts";

export const help = `Usage: keel snapshot [--data DIR] [--mode paper|live] [SYMBOL] [--json]

Read DIR/${SNAPSHOT_FILE} (DIR/${LIVE_SNAPSHOT_FILE} with --mode live), the memory-mapped export of the
active config that 'keel serve' writes (unless started with --no-export-snapshot), and print:
  - with SYMBOL: that symbol's effective config (sector, strategy, reference price, tick and lot
    size, position sizing, execution and limits after inheritance), with the config version and
    sequence it was read at;
  - without: a summary (layout version, config version and hash, sequence, symbols, sectors,
    strategies, file size, buffer size, writer pid).

The file is read the way any other process reads it: mapped, with the format's seqlock and CRC
check (docs/snapshot-format.md). No server is needed, and it is safe while 'keel serve' updates it.

Options:
  --data DIR   where the file lives (default ${DEFAULT_DATA}, as for 'keel serve')
  --mode paper|live  which engine's file (default paper): paper and live keep their own, as they
               keep paper.db and live.db
  --json       print one JSON object
  -h, --help   show this help

Exit codes: 0 printed, 1 no snapshot file, not a keel snapshot (or another layout version), or an
unknown symbol, 2 bad flags.

Examples:
  keel snapshot
  keel snapshot AAPL
  keel snapshot --data /var/lib/keel BRK.B --json | jq .limits`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { data: { type: "string" }, mode: { type: "string" }, json: { type: "boolean" } }, 1);
  if (values.help) return (console.log(help), 0);
  const { dataDir, mode } = readTarget(values);
  const path = join(dataDir, snapshotFileFor(mode));
  let reader: SnapshotReader;
  let info: BufferInfo;
  try {
    reader = SnapshotReader.open(path);
    info = reader.info();
  } catch (err) {
    if (!(err instanceof SnapshotFileError)) throw err;
    const hint = err.problem === "missing" ? ` (has keel serve run with --data ${dataDir}? it writes one unless started with --no-export-snapshot)` : "";
    console.error(`keel snapshot: ${err.message}${hint}`);
    return 1;
  }
  const sequence = reader.sequence;
  const symbol = positionals[0];

  if (symbol !== undefined) {
    const record = reader.read(symbol);
    if (record === undefined) {
      console.error(`keel snapshot: no symbol '${symbol}' in config v${info.configVersion} (${info.symbols} symbols in ${path})`);
      return 1;
    }
    const out = { ...recordJson(record), sequence };
    if (values.json) return (console.log(JSON.stringify(out, null, 2)), 0);
    const rows: string[][] = [
      ["sector", `${out.sector} (id ${out.sector_id})`],
      ["strategy", out.strategy ?? "-"],
      ["profile id", String(out.profile_id)],
      ["reference_price", String(out.reference_price)],
      ["tick_size", String(out.tick_size)],
      ["lot_size", String(out.lot_size)],
    ];
    for (const section of ["position_sizing", "execution", "limits"] as const) {
      for (const [key, value] of Object.entries(out[section])) rows.push([`${section}.${key}`, String(value)]);
    }
    console.log(`${out.symbol}: config v${out.config_version}, seq ${sequence}, ${path}`);
    for (const line of table(rows, ["l", "l"])) console.log(line);
    return 0;
  }

  const summary = {
    file: path,
    layout_version: reader.layoutVersion,
    config_version: info.configVersion,
    hash: info.hash,
    sequence,
    symbols: info.symbols,
    profiles: info.profiles,
    mode: info.mode === MODE_LIVE ? "live" : "paper",
    day_reset_utc: `${String(Math.floor(info.dayResetMinute / 60)).padStart(2, "0")}:${String(info.dayResetMinute % 60).padStart(2, "0")}`,
    sectors: info.sectors.map((s) => ({ name: s.name, max_gross_exposure: s.maxGrossExposure })),
    strategies: info.strategies,
    file_size: reader.fileSize,
    buffer_capacity: reader.capacity,
    buffer_used: info.used,
    written_at: iso(info.writtenAt),
    writer_pid: reader.writerPid,
    superseded: reader.superseded,
  };
  if (values.json) return (console.log(JSON.stringify(summary, null, 2)), 0);
  console.log(`${path}: layout ${summary.layout_version}, config v${summary.config_version} (sha256 ${summary.hash.slice(0, 12)}), seq ${sequence}`);
  const rows = [
    ["symbols", `${summary.symbols} (${summary.profiles} distinct profiles)`],
    ["sectors", summary.sectors.map((s) => s.name).join(", ") || "-"],
    ["strategies", summary.strategies.join(", ") || "-"],
    ["mode", summary.mode],
    ["day reset", `${summary.day_reset_utc} UTC`],
    ["file size", `${summary.file_size} bytes (2 buffers of ${summary.buffer_capacity}, ${summary.buffer_used} in use)`],
    ["written", `${summary.written_at ?? "-"} by pid ${summary.writer_pid}`],
  ];
  for (const line of table(rows, ["l", "l"])) console.log(line);
  // A reader of a replaced file would see an old version forever; say so, though the path now names the new one.
  if (summary.superseded) console.log("  (this file has been superseded by a newer one at the same path)");
  return 0;
}
