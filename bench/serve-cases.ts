/**
 * The config and the signal universe of bench/serve.bench.ts, shared by the server side and the
 * load-client child process so both draw from the very same symbols and reference prices.
 *
 * A generated universe (bench/gen-config.ts) with every limit wide, so nearly every signal is
 * ACCEPTED and therefore journaled (an order row, a fill row from the paper venue, a mark):
 * the journal does its full work per signal. The symbol count is odd on purpose: the load client
 * sends symbol (sent * clients + k) mod N with side alternating on `sent`, so with N odd every
 * symbol sees buy, sell, buy, ... for any client count, and positions stay bounded.
 */
import type { ConfigInput } from "../src/config/schema.ts";
import { generateDocument } from "./gen-config.ts";

export const BENCH_SYMBOLS = 501;

/** Limits so wide that nearly every signal becomes an order (and a journal row). */
export const WIDE_LIMITS = {
  max_daily_trades: 1_000_000_000,
  max_positions: 1_000_000,
  max_order_notional: 1e15,
  max_gross_exposure: 1e18,
  max_orders_per_second: 1_000_000,
  price_collar_bps: 5000,
  max_daily_loss: 1e15,
  duplicate_window_ms: 0,
};

/** The bench config document: generated symbols, wide limits everywhere they are set. */
export function serveDocument(): ConfigInput {
  const doc = generateDocument(BENCH_SYMBOLS, { overrideEvery: 0 });
  doc.risk!.limits = { ...WIDE_LIMITS };
  for (const s of Object.values(doc.risk!.sectors!)) s.max_gross_exposure = 1e18;
  doc.trading!.position_sizing!.max_position_size = 1_000_000;
  // Keep the strategies' sizing and execution (variety of order types / tif), drop their limits.
  for (const st of Object.values(doc.strategies!)) {
    delete st.limits;
    if (st.position_sizing) st.position_sizing.max_position_size = 1_000_000;
  }
  return doc;
}

/** Symbols and reference prices, in the shape bench/load-client.ts runLoad() takes. */
export function serveUniverse(doc: ConfigInput = serveDocument()): { symbol: string; reference: number }[] {
  return Object.entries(doc.symbols!).map(([symbol, s]) => ({ symbol, reference: s.reference_price }));
}
