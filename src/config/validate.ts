/**
 * Validation, run once per version and never on the hot path: the document's shape (zod), then
 * inheritance, then every cross-field rule on the effective configs. Never throws on any input.
 */
import { formatPath, fromZod, type ConfigIssue, type ConfigWarning } from "./errors.ts";
import { resolve, type Resolution } from "./resolve.ts";
import { checkRules } from "./rules.ts";
import { Document, type ConfigDocument } from "./schema.ts";

export type ValidationResult =
  | { readonly ok: true; readonly document: ConfigDocument; readonly resolution: Resolution; readonly warnings: ConfigWarning[] }
  | { readonly ok: false; readonly issues: ConfigIssue[]; readonly warnings: ConfigWarning[] };

/**
 * Validate a raw value (parsed TOML or JSON).
 * @example validate({ trading: { mode: "paper" } }).ok === true
 */
export function validate(raw: unknown): ValidationResult {
  const reserved = reservedNames(raw);
  const parsed = Document.safeParse(raw, { reportInput: true });
  if (!parsed.success) return { ok: false, issues: [...reserved, ...fromZod(parsed.error.issues)], warnings: [] };
  if (reserved.length > 0) return { ok: false, issues: reserved, warnings: [] };
  const document = parsed.data;
  const resolution = resolve(document);
  const { issues, warnings } = checkRules(document, resolution);
  if (issues.length > 0) return { ok: false, issues, warnings };
  return { ok: true, document, resolution, warnings };
}

/**
 * zod skips a record key named `__proto__` without an issue (assigning it would replace the
 * output's prototype), so `[strategies.__proto__]` would vanish silently; refuse it instead.
 */
function reservedNames(raw: unknown): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const check = (record: unknown, path: string[]) => {
    if (record !== null && typeof record === "object" && Object.hasOwn(record, "__proto__")) {
      out.push({ path: formatPath([...path, "__proto__"]), code: "invalid_key", message: '"__proto__" is reserved and cannot be used as a name' });
    }
  };
  if (raw === null || typeof raw !== "object") return out;
  const doc = raw as Record<string, unknown>;
  check(doc.strategies, ["strategies"]);
  check(doc.symbols, ["symbols"]);
  const risk = doc.risk;
  if (risk !== null && typeof risk === "object") check((risk as Record<string, unknown>).sectors, ["risk", "sectors"]);
  return out;
}
