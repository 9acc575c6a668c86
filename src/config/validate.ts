/**
 * Validation, run once per version and never on the hot path: the document's shape (zod), then
 * inheritance, then every cross-field rule on the effective configs. Never throws on any input.
 */
import { fromZod, type ConfigIssue, type ConfigWarning } from "./errors.ts";
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
  const parsed = Document.safeParse(raw, { reportInput: true });
  if (!parsed.success) return { ok: false, issues: fromZod(parsed.error.issues), warnings: [] };
  const document = parsed.data;
  const resolution = resolve(document);
  const { issues, warnings } = checkRules(document, resolution);
  if (issues.length > 0) return { ok: false, issues, warnings };
  return { ok: true, document, resolution, warnings };
}
