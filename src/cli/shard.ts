/** `keel shard SYMBOL... --of N`: which shard owns each symbol, computed locally (no server). */
import { ownerOf } from "../config/shard.ts";
import { parse, UsageError } from "./args.ts";

export const help = `Usage: keel shard SYMBOL... --of N [--json]

Print the shard (0 to N-1) that owns each symbol when the universe is split over N hosts
('keel serve --shard I/N'). The owner is a rendezvous hash of the symbol alone, so clients route
signals without asking any server, and adding a shard moves only the symbols the new one wins.
The hash is documented in src/config/shard.ts for clients in other languages.

Options:
  --of N      how many shards (1 to 1024)
  --json      print {"SYMBOL": shard, ...}
  -h, --help  show this help

Example:
  keel shard AAPL MSFT --of 4`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { of: { type: "string" }, json: { type: "boolean" } }, Number.POSITIVE_INFINITY);
  if (values.help) return (console.log(help), 0);
  if (positionals.length === 0) throw new UsageError("name at least one SYMBOL");
  const n = Number(values.of);
  if (values.of === undefined || !Number.isInteger(n) || n < 1 || n > 1024) throw new UsageError(`--of expects a number of shards from 1 to 1024, got '${values.of ?? ""}'`);
  const owners = positionals.map((symbol) => [symbol, ownerOf(symbol, n)] as const);
  if (values.json) console.log(JSON.stringify(Object.fromEntries(owners)));
  else for (const [symbol, k] of owners) console.log(`${symbol} ${k}`);
  return 0;
}
