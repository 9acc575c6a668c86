/**
 * `keel serve`: load and compile the config, then run until SIGINT/SIGTERM.
 * The engine, ingest and admin API attach here as they land.
 */
import { formatIssue } from "../config/errors.ts";
import { prepareText } from "../config/prepare.ts";
import { parse } from "./args.ts";
import { readSource } from "./source.ts";

export const help = `Usage: keel serve [--config FILE]

Run the engine. Without --config it runs on the default config embedded in this binary,
in paper mode.

Options:
  --config FILE  config file (TOML, or JSON by its .json extension)
  -h, --help     show this help`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: "string" } }, 0);
  if (values.help) return (console.log(help), 0);
  const source = await readSource(values.config);
  const t0 = performance.now();
  const result = prepareText(source.text, source.format);
  const ms = performance.now() - t0;
  for (const w of result.warnings) console.error(`warning: ${formatIssue(w)}`);
  if (!result.ok) {
    for (const issue of result.issues) console.error(formatIssue(issue));
    console.error(`keel: ${source.name} is invalid; not starting`);
    return 1;
  }
  const s = result.snapshot;
  console.log(
    `keel: config ${source.name} sha256 ${result.hash.slice(0, 12)}, mode ${result.document.trading.mode}, ` +
      `${s.symbolCount} symbols in ${s.sectors.length} sectors, ${s.profileCount} profiles, compiled in ${ms.toFixed(1)} ms`,
  );
  console.log("keel: running; Ctrl-C to stop");
  await new Promise<void>((done) => {
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
  });
  console.log("keel: stopped");
  return 0;
}
