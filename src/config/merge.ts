/**
 * A partial symbol entry merged into a full one (PATCH /config/symbols/{symbol}): top-level fields
 * replace, override tables (position_sizing, execution, limits) merge key by key, and `null`
 * removes a key, so an override can be dropped and fall back to its strategy or the defaults.
 * @example mergeEntry({ lot_size: 1, limits: { max_positions: 5 } }, { limits: { price_collar_bps: 100 } })
 */
export function mergeEntry(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isTable(v) && isTable(out[k])) {
      const merged: Record<string, unknown> = { ...(out[k] as Record<string, unknown>) };
      for (const [f, x] of Object.entries(v)) {
        if (x === null) delete merged[f];
        else merged[f] = x;
      }
      out[k] = merged;
    } else out[k] = v;
  }
  return out;
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
