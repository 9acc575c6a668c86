/**
 * Where a config comes from: a file named on the command line, or the default embedded in the
 * binary. Reading never validates; prepareText() does that for every source alike.
 */
import defaultToml from "../../config/default.toml" with { type: "text" };
import { formatOf, type Format } from "../config/load.ts";

export interface ConfigSource {
  readonly name: string;
  readonly text: string;
  readonly format: Format;
}

/** The embedded default config (config/default.toml at build time). */
export const EMBEDDED_DEFAULT: ConfigSource = { name: "embedded config/default.toml", text: defaultToml, format: "toml" };

/** Read a config file, or return the embedded default when no path is given. */
export async function readSource(path: string | undefined): Promise<ConfigSource> {
  if (path === undefined) return EMBEDDED_DEFAULT;
  const file = Bun.file(path);
  if (!(await file.exists())) throw new SourceError(`config file not found: ${path}`);
  try {
    return { name: path, text: await file.text(), format: formatOf(path) };
  } catch (err) {
    throw new SourceError(`cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** A config file that cannot be read at all (as opposed to one that is invalid). */
export class SourceError extends Error {}
