/**
 * Flag parsing shared by every subcommand: strict (an unknown flag is an error), with one-line
 * messages and exit code 2 for anything the user typed wrong.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A usage error: printed as one line, exit 2. */
export class UsageError extends Error {}

export type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parse argv for one subcommand; `--help` is always accepted. */
export function parse<O extends Options>(argv: string[], options: O, maxPositionals: number) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (err) {
    // node:util's messages span lines and mention internals; keep the first sentence.
    const msg = err instanceof Error ? err.message.split("\n")[0]!.replace(/\. To specify.*$/, "") : String(err);
    throw new UsageError(msg);
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument '${parsed.positionals[maxPositionals]}'`);
  }
  return parsed;
}

/** Parse `HOST:PORT`, refusing anything that is not a port number. */
export function hostPort(value: string, flag: string): { host: string; port: number } {
  const at = value.lastIndexOf(":");
  const host = at > 0 ? value.slice(0, at).replace(/^\[(.*)\]$/, "$1") : "";
  const port = Number(value.slice(at + 1));
  if (host === "" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`${flag} expects HOST:PORT (for example 127.0.0.1:8787), got '${value}'`);
  }
  return { host, port };
}
