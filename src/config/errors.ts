/**
 * Config issues and warnings are data: a union keyed by `code`, with the path of the field as a
 * string, formatted by plain functions. Nothing here throws or logs.
 */
import type { z } from "zod";

export type IssueCode =
  // from the document's shape (zod)
  | "parse_error"
  | "invalid_type"
  | "invalid_value"
  | "invalid_format"
  | "invalid_key"
  | "too_small"
  | "too_big"
  | "not_integer"
  | "unrecognized_key"
  | "invalid"
  // from the cross-field rules on effective configs
  | "max_not_above_default"
  | "unknown_sector"
  | "unknown_strategy";

export type WarningCode =
  | "offset_at_or_above_collar"
  | "max_far_above_default"
  | "unused_sector"
  | "high_daily_trades"
  | "symbols_over_capacity_hint";

export interface ConfigIssue {
  readonly path: string;
  readonly code: IssueCode;
  readonly message: string;
}

export interface ConfigWarning {
  readonly path: string;
  readonly code: WarningCode;
  readonly message: string;
}

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * Join path segments with dots; a key that would make the path ambiguous (a symbol like `BRK.B`)
 * is quoted: `symbols["BRK.B"].lot_size`.
 * @example formatPath(["symbols", "AAPL", "tick_size"]) === "symbols.AAPL.tick_size"
 */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of segments) {
    if (typeof seg === "number") out += `[${seg}]`;
    else {
      const key = String(seg);
      if (PLAIN_KEY.test(key)) out += out === "" ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** One line per issue, `path: message`, as `keel validate` prints them. */
export function formatIssue(issue: { path: string; message: string }): string {
  return `${issue.path === "" ? "(document)" : issue.path}: ${issue.message}`;
}

/** Translate zod's issues into ours; one zod issue may become several (one per unknown key). */
export function fromZod(issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = issue.path as PropertyKey[];
    switch (issue.code) {
      case "unrecognized_keys":
        for (const key of issue.keys) {
          out.push({ path: formatPath([...path, key]), code: "unrecognized_key", message: "unknown key (not part of the config document)" });
        }
        break;
      case "invalid_type":
        out.push({ path: formatPath(path), code: "invalid_type", message: describeType(issue) });
        break;
      case "too_small":
        out.push({ path: formatPath(path), code: "too_small", message: describeBound(issue, "at least", "greater than") });
        break;
      case "too_big":
        out.push({ path: formatPath(path), code: "too_big", message: describeBound(issue, "at most", "less than") });
        break;
      case "invalid_value":
        out.push({
          path: formatPath(path),
          code: "invalid_value",
          message: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`,
        });
        break;
      case "invalid_format":
        out.push({ path: formatPath(path), code: "invalid_format", message: issue.message });
        break;
      case "invalid_key":
        // zod reports a bad record key at the record's path; the key itself belongs in the path.
        for (const inner of issue.issues) {
          out.push({ path: formatPath(path), code: "invalid_key", message: inner.message });
        }
        break;
      default:
        if (issue.code === "not_multiple_of") {
          out.push({ path: formatPath(path), code: "not_integer", message: "expected an integer" });
        } else {
          out.push({ path: formatPath(path), code: "invalid", message: issue.message });
        }
    }
  }
  return out;
}

function describeType(issue: z.core.$ZodIssueInvalidType): string {
  const got = describeValue(issue.input);
  if (issue.expected === "int") return `expected an integer, got ${got}`;
  if (issue.expected === "number" && typeof issue.input === "number") return `expected a finite number, got ${got}`;
  if (issue.input === undefined) return `required (expected ${issue.expected})`;
  return `expected ${issue.expected}, got ${got}`;
}

function describeBound(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, incl: string, excl: string): string {
  const limit = issue.code === "too_small" ? issue.minimum : issue.maximum;
  const unit = issue.origin === "string" ? " characters" : "";
  return `must be ${issue.inclusive ? incl : excl} ${String(limit)}${unit}, got ${describeValue(issue.input)}`;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : String(value);
}
