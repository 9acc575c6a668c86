/**
 * Preparing a one-symbol change (PATCH or DELETE of /config/symbols/{symbol}) without re-validating
 * the rest: the active document was validated when it was activated, so only the changed entry
 * goes through zod; inheritance, the cross-field rules (they read every symbol's effective config,
 * and a sector or strategy reference may break), the hash and the Snapshot still cover the whole
 * document. The result equals prepareValue() on the patched document (a test checks it).
 */
import { canonicalize } from "./canonical.ts";
import { compile } from "./compile.ts";
import { fromZod } from "./errors.ts";
import { mergeEntry } from "./merge.ts";
import type { PrepareResult } from "./prepare.ts";
import { resolve } from "./resolve.ts";
import { checkRules } from "./rules.ts";
import { Symbol as SymbolEntry, type ConfigDocument } from "./schema.ts";
import type { Shard } from "./shard.ts";

/**
 * The active document with `symbol` patched by `partial` (merged as mergeEntry does), or removed
 * when `partial` is null, prepared.
 */
export function preparePatch(active: ConfigDocument, symbol: string, partial: Record<string, unknown> | null, shard?: Shard): PrepareResult {
  const symbols = { ...active.symbols };
  if (partial === null) {
    delete symbols[symbol];
  } else {
    const base = Object.hasOwn(active.symbols, symbol) ? (active.symbols[symbol] as unknown as Record<string, unknown>) : {};
    const parsed = SymbolEntry.safeParse(mergeEntry(base, partial), { reportInput: true });
    if (!parsed.success) {
      // Issues are reported at their place in the document.
      const issues = parsed.error.issues.map((i) => ({ ...i, path: ["symbols", symbol, ...i.path] }));
      return { ok: false, issues: fromZod(issues), warnings: [] };
    }
    symbols[symbol] = parsed.data;
  }
  const doc: ConfigDocument = { ...active, symbols };
  const resolution = resolve(doc);
  const { issues, warnings } = checkRules(doc, resolution);
  if (issues.length > 0) return { ok: false, issues, warnings };
  const { canonical, hash } = canonicalize(doc);
  return { ok: true, document: doc, canonical, hash, warnings, snapshot: compile(doc, hash, resolution, shard) };
}
