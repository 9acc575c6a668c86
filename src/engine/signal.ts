/**
 * A signal: what a strategy asks for. Parsing happens at the edge (TCP line, HTTP body, replay
 * row) into one fixed-shape object, so the hot path sees a single hidden class. Field *types*
 * are checked here; field *values* (NaN, strength range, price sign) are the engine's
 * `invalid_signal` reject, so a signal with an id always gets a reply naming it.
 */
export const SIDE_UNKNOWN = 0;
export const SIDE_BUY = 1;
export const SIDE_SELL = -1;

/** The hot path's view of a signal: numbers and the symbol string, nothing optional. */
export interface Signal {
  id: string;
  symbol: string;
  /** SIDE_BUY, SIDE_SELL or SIDE_UNKNOWN. */
  side: number;
  strength: number;
  price: number;
  /** Epoch milliseconds; the signal clock. */
  ts: number;
  /** Strategy tag from the sender, kept for the journal; "" when absent. */
  strategy: string;
}

export type SignalParse = { readonly ok: true; readonly signal: Signal } | { readonly ok: false; readonly message: string; readonly id?: string };

function num(v: unknown): number {
  return typeof v === "number" ? v : Number.NaN;
}

/**
 * Turn a decoded JSON value into a Signal. `now` supplies the wall clock when `ts` is absent.
 * Returns an error only when there is no usable id or symbol to answer with.
 */
export function toSignal(value: unknown, now: () => number): SignalParse {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, message: "a signal must be a JSON object" };
  }
  const v = value as Record<string, unknown>;
  const id = typeof v.id === "number" && Number.isFinite(v.id) ? String(v.id) : v.id;
  if (typeof id !== "string" || id.length === 0 || id.length > 128) {
    return { ok: false, message: "id must be a non-empty string of at most 128 characters" };
  }
  if (typeof v.symbol !== "string" || v.symbol.length === 0 || v.symbol.length > 64) {
    return { ok: false, id, message: "symbol must be a non-empty string" };
  }
  const side = v.side === "buy" ? SIDE_BUY : v.side === "sell" ? SIDE_SELL : SIDE_UNKNOWN;
  const ts = v.ts === undefined ? now() : num(v.ts);
  const strategy = typeof v.strategy === "string" ? v.strategy : "";
  return { ok: true, signal: { id, symbol: v.symbol, side, strength: num(v.strength), price: num(v.price), ts, strategy } };
}
