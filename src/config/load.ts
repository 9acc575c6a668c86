/**
 * Text -> raw document. TOML on disk, JSON over HTTP; both end in the same validate().
 * A syntax error is an issue like any other (path "", code parse_error), never an exception.
 */
import type { ConfigIssue } from "./errors.ts";

export type Format = "toml" | "json";

export type ParseResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly issue: ConfigIssue };

/** The format of a file by its extension: `.json` is JSON, anything else TOML. */
export function formatOf(path: string): Format {
  return path.toLowerCase().endsWith(".json") ? "json" : "toml";
}

/** Parse TOML or JSON text into a raw (unvalidated) value. */
export function parseText(text: string, format: Format): ParseResult {
  try {
    const value = format === "json" ? JSON.parse(text) : Bun.TOML.parse(text);
    return { ok: true, value };
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return { ok: false, issue: { path: "", code: "parse_error", message: `invalid ${format.toUpperCase()}: ${detail}` } };
  }
}
