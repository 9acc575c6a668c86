/** `keel validate [FILE]`: exit 0 with the warnings, or 1 with every issue on its own line. */
import { formatIssue } from "../config/errors.ts";
import { prepareText } from "../config/prepare.ts";
import { parse } from "./args.ts";
import { readSource } from "./source.ts";

export const help = `Usage: keel validate [FILE] [--json]

Check a config file (TOML, or JSON by its .json extension) against every rule, without
starting anything. With no FILE, checks the default config embedded in this binary.

Prints warnings and exits 0 when the config is valid; prints every issue as
'path: message', one per line, and exits 1 when it is not.

Options:
  --json      print the result as one JSON object instead
  -h, --help  show this help`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: "boolean" } }, 1);
  if (values.help) return (console.log(help), 0);
  const source = await readSource(positionals[0]);
  const result = prepareText(source.text, source.format);
  if (values.json) {
    const out = result.ok
      ? { valid: true, source: source.name, hash: result.hash, symbols: result.snapshot.symbolCount, warnings: result.warnings, issues: [] }
      : { valid: false, source: source.name, warnings: result.warnings, issues: result.issues };
    console.log(JSON.stringify(out, null, 2));
    return result.ok ? 0 : 1;
  }
  for (const w of result.warnings) console.error(`warning: ${formatIssue(w)}`);
  if (!result.ok) {
    for (const issue of result.issues) console.error(formatIssue(issue));
    console.error(`${source.name}: invalid (${result.issues.length} issue${result.issues.length === 1 ? "" : "s"})`);
    return 1;
  }
  const s = result.snapshot;
  console.log(
    `${source.name}: valid (${s.symbolCount} symbols, ${s.sectors.length} sectors, ${s.strategies.length} strategies, ` +
      `${s.profileCount} distinct profiles, ${result.warnings.length} warning${result.warnings.length === 1 ? "" : "s"}) sha256 ${result.hash}`,
  );
  return 0;
}
