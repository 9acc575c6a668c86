/**
 * keel's command line, and the compile target of the binary: argv -> subcommand.
 * Exit codes: 0 ok, 1 the work failed (an invalid config, ...), 2 a usage error, 3 live trading
 * refused (`keel serve` with trading.mode = "live" and no valid authorisation: see src/auth/).
 */
import pkg from "../package.json" with { type: "json" };
import { UsageError } from "./cli/args.ts";
import { SourceError } from "./cli/source.ts";

interface Command {
  readonly summary: string;
  readonly load: () => Promise<{ run(argv: string[]): Promise<number> }>;
}

// Loaded lazily so `keel validate` does not pay for the server's imports.
const COMMANDS: Record<string, Command> = {
  serve: { summary: "run the engine (embedded default config, paper mode)", load: () => import("./cli/serve.ts") },
  validate: { summary: "check a config file against every rule", load: () => import("./cli/validate.ts") },
  replay: { summary: "replay a CSV or JSONL signal file through the engine, deterministically", load: () => import("./cli/replay.ts") },
  shard: { summary: "which shard owns a symbol (keel serve --shard I/N)", load: () => import("./cli/shard.ts") },
  schema: { summary: "print the JSON Schema of the config document", load: () => import("./cli/schema.ts") },
  state: { summary: "positions, P&L, exposures and trading state from the database (no server needed)", load: () => import("./cli/state.ts") },
  versions: { summary: "list the stored config versions, newest first", load: () => import("./cli/versions.ts") },
  diff: { summary: "the change list between two stored config versions", load: () => import("./cli/diff.ts") },
  auth: { summary: "make signing keys and sign live trading authorisations (keygen, sign)", load: () => import("./cli/auth.ts") },
  snapshot: { summary: "a symbol's effective config (or a summary) from the memory-mapped snapshot file", load: () => import("./cli/snapshot.ts") },
};

export const VERSION: string = pkg.version;

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `keel ${VERSION}: a single-binary trading engine

Usage: keel <command> [options]

Commands:
${lines.join("\n")}

Options:
  -h, --help     show this help (or 'keel <command> --help')
  -v, --version  print the version

Run 'keel <command> --help' for a command's options.`;
}

/** Run the CLI and return its exit code. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    console.log(usage());
    return first === undefined ? 2 : 0;
  }
  if (first === "-v" || first === "--version") {
    console.log(VERSION);
    return 0;
  }
  const command = COMMANDS[first];
  if (command === undefined) {
    console.error(`keel: unknown ${first.startsWith("-") ? "option" : "command"} '${first}' (see 'keel --help')`);
    return 2;
  }
  try {
    return await (await command.load()).run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`keel ${first}: ${err.message} (see 'keel ${first} --help')`);
      return 2;
    }
    if (err instanceof SourceError) {
      console.error(`keel ${first}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
