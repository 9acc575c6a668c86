/**
 * One targeted test per reject reason, and for acceptance: each with a small config naming only
 * the limit it exercises (fixtures.ts keeps everything else wide), checked through Engine.process
 * on the paper venue, by the exact reason name in the reply.
 */
import { describe, expect, test } from "bun:test";
import { toSignal } from "../../src/engine/signal.ts";
import { ACTIVE, HALTED, REDUCING } from "../../src/risk/trading-state.ts";
import { DAY_MS, engineWith, orderOf, outcome, sig, snapshotOf, T0 } from "./fixtures.ts";

const BUY = 1;
const SELL = -1;

describe("accepted", () => {
  test("a valid signal becomes an order with every field, and the reply carries the config version", () => {
    const e = engineWith({}, 7);
    const r = e.process(sig("AAA", BUY, 100, { id: "first" }));
    expect(r).toEqual({
      id: "first",
      status: "accepted",
      order: { symbol: "AAA", side: "buy", qty: 100, price: 100, type: "limit", tif: "day" },
      config_version: 7,
    });
    expect(e.decider.state.position(0)).toBe(100);
  });

  test("a sell opens a short", () => {
    const e = engineWith();
    expect(orderOf(e.process(sig("BBB", SELL, 50))).side).toBe("sell");
    expect(e.decider.state.position(e.snapshot.index.get("BBB")!)).toBe(-100);
  });

  test("every reply carries config_version, accepted or rejected", () => {
    const e = engineWith({ risk: { limits: { max_daily_trades: 1 } } }, 42);
    const replies = [
      e.process(sig("AAA", BUY, 100)),
      e.process(sig("ZZZ", BUY, 100)),
      e.process(sig("AAA", BUY, Number.NaN)),
      e.process(sig("BBB", BUY, 50)),
    ];
    expect(replies.map(outcome)).toEqual(["accepted", "unknown_symbol", "invalid_signal", "max_daily_trades"]);
    for (const r of replies) expect(r).toMatchObject({ config_version: 42 });
  });
});

describe("unknown_symbol", () => {
  test("a symbol not in the config", () => {
    expect(outcome(engineWith().process(sig("ZZZ", BUY, 100)))).toBe("unknown_symbol");
  });

  test("symbols are case-sensitive", () => {
    expect(outcome(engineWith().process(sig("aaa", BUY, 100)))).toBe("unknown_symbol");
  });

  test("comes before invalid_signal", () => {
    expect(outcome(engineWith().process(sig("ZZZ", 0, Number.NaN, { strength: 5 })))).toBe("unknown_symbol");
  });
});

describe("invalid_signal", () => {
  const cases: [string, Parameters<typeof sig>[3] & { side?: number; price?: number }][] = [
    ["NaN price", { price: Number.NaN }],
    ["+Infinity price", { price: Number.POSITIVE_INFINITY }],
    ["-Infinity price", { price: Number.NEGATIVE_INFINITY }],
    ["zero price", { price: 0 }],
    ["negative price", { price: -100 }],
    ["zero strength", { strength: 0 }],
    ["negative strength", { strength: -0.5 }],
    ["strength above 1", { strength: 1.0000001 }],
    ["NaN strength", { strength: Number.NaN }],
    ["infinite strength", { strength: Number.POSITIVE_INFINITY }],
    ["unknown side (0)", { side: 0 }],
    ["side 2", { side: 2 }],
    ["NaN ts", { ts: Number.NaN }],
  ];
  test.each(cases)("%s", (_name, over) => {
    const e = engineWith();
    const s = sig("AAA", over.side ?? BUY, over.price ?? 100, over);
    expect(outcome(e.process(s))).toBe("invalid_signal");
    // Nothing was marked, counted or filled.
    expect(e.decider.state.dailyTrades).toBe(0);
    expect(e.decider.state.position(0)).toBe(0);
  });

  test("strength exactly 1 is valid, and so is the smallest positive strength under fixed sizing", () => {
    const e = engineWith();
    expect(outcome(e.process(sig("AAA", BUY, 100, { strength: 1 })))).toBe("accepted");
    expect(outcome(e.process(sig("BBB", BUY, 50, { strength: Number.MIN_VALUE })))).toBe("accepted");
  });

  test("a side the edge could not read (toSignal with side 'hold') is invalid_signal, with the signal's id", () => {
    const parsed = toSignal({ id: "x1", symbol: "AAA", side: "hold", strength: 1, price: 100, ts: T0 }, () => T0);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const r = engineWith().process(parsed.signal);
    expect(r).toMatchObject({ id: "x1", status: "rejected", reason: "invalid_signal" });
  });

  test("a price given as a string reaches the engine as NaN and is invalid_signal", () => {
    const parsed = toSignal({ id: "x2", symbol: "AAA", side: "buy", strength: 1, price: "100" }, () => T0);
    if (!parsed.ok) throw new Error("toSignal refused");
    expect(outcome(engineWith().process(parsed.signal))).toBe("invalid_signal");
  });
});

describe("trading_halted", () => {
  test("nothing is accepted in HALTED, not even a reducing order", () => {
    const e = engineWith();
    expect(outcome(e.process(sig("AAA", BUY, 100)))).toBe("accepted");
    e.decider.state.setTradingState(HALTED, "operator", T0);
    expect(outcome(e.process(sig("AAA", SELL, 100, { ts: T0 + 1 })))).toBe("trading_halted");
    expect(outcome(e.process(sig("BBB", BUY, 50, { ts: T0 + 2 })))).toBe("trading_halted");
    expect(e.decider.state.changes).toEqual([{ from: "ACTIVE", to: "HALTED", reason: "operator", ts: T0 }]);
  });

  test("comes before price_collar, and HALTED carries over into the next trading day", () => {
    const e = engineWith({ risk: { limits: { price_collar_bps: 10 } } });
    e.decider.state.setTradingState(HALTED, "operator", T0);
    expect(outcome(e.process(sig("AAA", BUY, 200)))).toBe("trading_halted");
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: T0 + 2 * DAY_MS })))).toBe("trading_halted");
  });

  test("back to ACTIVE, signals are accepted again", () => {
    const e = engineWith();
    e.decider.state.setTradingState(HALTED, "operator", T0);
    e.decider.state.setTradingState(ACTIVE, "operator", T0);
    expect(outcome(e.process(sig("AAA", BUY, 100)))).toBe("accepted");
  });
});

describe("price_collar", () => {
  const collar = { risk: { limits: { price_collar_bps: 100 } } }; // 1% around AAA's reference 100

  test.each([
    [101.01, "price_collar"],
    [98.99, "price_collar"],
    [150, "price_collar"],
    [101, "accepted"], // exactly at the collar: not beyond it
    [99, "accepted"],
    [100.5, "accepted"],
  ])("AAA at %p -> %s", (price, expected) => {
    expect(outcome(engineWith(collar).process(sig("AAA", BUY, price)))).toBe(expected);
  });

  test("is per symbol: measured against each symbol's own reference price", () => {
    const e = engineWith(collar);
    expect(outcome(e.process(sig("CCC", BUY, 20.3)))).toBe("price_collar"); // 1.5% off 20
    expect(outcome(e.process(sig("CCC", BUY, 20.19)))).toBe("accepted");
  });

  test("a collar reject does not mark the price: no phantom loss, no halt", () => {
    const e = engineWith({ risk: { limits: { price_collar_bps: 1000, max_daily_loss: 1000 } } });
    expect(outcome(e.process(sig("AAA", BUY, 100)))).toBe("accepted");
    const st = e.decider.state;
    const grossBefore = st.gross;
    // 50 is 50% off the reference: marked, it would be a 5,000 loss on 100 shares.
    expect(outcome(e.process(sig("AAA", SELL, 50, { ts: T0 + 1 })))).toBe("price_collar");
    expect(st.unrealized).toBe(0);
    expect(st.gross).toBe(grossBefore);
    expect(st.tradingState).toBe(ACTIVE);
    expect(outcome(e.process(sig("AAA", BUY, 99, { ts: T0 + 2 })))).toBe("accepted");
  });
});

describe("max_daily_loss", () => {
  const loss = { risk: { limits: { max_daily_loss: 1000 } } };

  test("a loss strictly above the limit halts trading by itself and records why", () => {
    const e = engineWith(loss);
    expect(outcome(e.process(sig("AAA", BUY, 100)))).toBe("accepted"); // 100 @ 100
    const ts = T0 + 1000;
    // Marked at 89: unrealised -1,100.
    expect(outcome(e.process(sig("AAA", SELL, 89, { ts })))).toBe("max_daily_loss");
    const st = e.decider.state;
    expect(st.tradingState).toBe(HALTED);
    expect(st.changes).toEqual([{ from: "ACTIVE", to: "HALTED", reason: "max_daily_loss", ts }]);
    expect(st.dailyPnl()).toBeCloseTo(-1100, 9);
    // Later signals, on any symbol, are trading_halted.
    expect(outcome(e.process(sig("AAA", SELL, 95, { ts: ts + 1 })))).toBe("trading_halted");
    expect(outcome(e.process(sig("CCC", BUY, 20, { ts: ts + 2 })))).toBe("trading_halted");
    expect(st.changes.length).toBe(1);
  });

  test("a loss exactly at the limit is not above it", () => {
    const e = engineWith(loss);
    e.process(sig("AAA", BUY, 100));
    expect(outcome(e.process(sig("AAA", SELL, 90, { ts: T0 + 1 })))).toBe("accepted"); // -1,000 exactly
    expect(e.decider.state.tradingState).toBe(ACTIVE);
  });

  test("a gain never halts", () => {
    const e = engineWith(loss);
    e.process(sig("AAA", BUY, 100));
    expect(outcome(e.process(sig("AAA", BUY, 150, { ts: T0 + 1 })))).toBe("accepted");
  });

  test("short positions lose when the price rises", () => {
    const e = engineWith(loss);
    e.process(sig("AAA", SELL, 100));
    expect(outcome(e.process(sig("AAA", BUY, 110.01, { ts: T0 + 1 })))).toBe("max_daily_loss");
  });

  test("losses add up across symbols (portfolio-wide)", () => {
    const e = engineWith(loss);
    e.process(sig("AAA", BUY, 100)); // 100 @ 100
    e.process(sig("BBB", BUY, 50)); // 100 @ 50
    expect(outcome(e.process(sig("AAA", BUY, 94, { ts: T0 + 1 })))).toBe("accepted"); // -600 (and adds 100 @ 94)
    expect(outcome(e.process(sig("BBB", BUY, 45.9, { ts: T0 + 2 })))).toBe("max_daily_loss"); // -600 - 410
  });

  test("is compared against the limit of the symbol being decided", () => {
    const e = engineWith({ risk: { limits: { max_daily_loss: 1000 } }, symbols: { BBB: { limits: { max_daily_loss: 100 } } } });
    e.process(sig("AAA", BUY, 100));
    e.process(sig("BBB", BUY, 50));
    // -500 on AAA: within AAA's limit...
    expect(outcome(e.process(sig("AAA", BUY, 95, { ts: T0 + 1 })))).toBe("accepted");
    // ...but BBB's limit is 100.
    expect(outcome(e.process(sig("BBB", BUY, 50, { ts: T0 + 2 })))).toBe("max_daily_loss");
  });

  test("counts only today's change: yesterday's loss is not counted again", () => {
    const e = engineWith(loss);
    e.process(sig("AAA", BUY, 100));
    expect(outcome(e.process(sig("AAA", SELL, 92, { ts: T0 + 1 })))).toBe("accepted"); // -800 today: ok, closes the 100
    e.process(sig("BBB", BUY, 50, { ts: T0 + 2 })); // 100 @ 50
    expect(outcome(e.process(sig("BBB", BUY, 46, { ts: T0 + 3 })))).toBe("max_daily_loss"); // -800 - 400 today
    e.decider.state.setTradingState(ACTIVE, "operator", T0 + 4);
    // Next day: -1,200 since yesterday's start, but only the move since the day's start counts.
    const tomorrow = T0 + DAY_MS;
    expect(outcome(e.process(sig("BBB", BUY, 45, { ts: tomorrow })))).toBe("accepted");
    expect(e.decider.state.dailyPnl()).toBeCloseTo(-100, 9);
  });

  test("a realised loss counts: after closing at a loss above the limit, the next signal on a flat symbol halts", () => {
    // Limit orders with a 100 bps offset: the closing sell fills below the signal price, so the
    // realised loss (-1,041) ends above the unrealised loss the check saw at the mark (-950).
    const e = engineWith({ trading: { execution: { limit_offset_bps: 100 } }, risk: { limits: { max_daily_loss: 1000 } } });
    expect(orderOf(e.process(sig("AAA", BUY, 100))).price).toBe(101);
    expect(orderOf(e.process(sig("AAA", SELL, 91.5, { ts: T0 + 1 }))).price).toBe(90.59);
    const st = e.decider.state;
    expect(st.position(0)).toBe(0);
    expect(st.dailyPnl()).toBeCloseTo(-1041, 6);
    // Daily P&L is below -max_daily_loss: the next decision, on any symbol, must not trade.
    expect(outcome(e.process(sig("BBB", BUY, 50, { ts: T0 + 2 })))).toBe("max_daily_loss");
    expect(st.tradingState).toBe(HALTED);
  });

  test("slippage on market fills counts: a loss made by fills halts the next signal on a flat symbol", () => {
    // Each market buy fills 1% above the signal price: -100 per fill on 100 @ 100.
    const e = engineWith({
      trading: { execution: { order_type: "market", max_slippage_bps: 100 } },
      risk: { limits: { max_daily_loss: 150 } },
    });
    expect(outcome(e.process(sig("AAA", BUY, 100)))).toBe("accepted");
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: T0 + 1 })))).toBe("accepted"); // marked -100: within
    expect(e.decider.state.dailyPnl()).toBeCloseTo(-200, 6);
    expect(outcome(e.process(sig("CCC", BUY, 20, { ts: T0 + 2 })))).toBe("max_daily_loss");
  });
});

describe("max_daily_trades", () => {
  const two = { risk: { limits: { max_daily_trades: 2 } } };

  test("accepted orders in the trading day, portfolio-wide, up to the limit", () => {
    const e = engineWith(two);
    expect(outcome(e.process(sig("AAA", BUY, 100)))).toBe("accepted");
    expect(outcome(e.process(sig("BBB", BUY, 50)))).toBe("accepted");
    expect(outcome(e.process(sig("CCC", BUY, 20)))).toBe("max_daily_trades");
    expect(outcome(e.process(sig("AAA", SELL, 100, { ts: T0 + 1 })))).toBe("max_daily_trades"); // reducing too
  });

  test("rejects do not count", () => {
    const e = engineWith(two);
    e.process(sig("ZZZ", BUY, 100));
    e.process(sig("AAA", BUY, Number.NaN));
    expect(outcome(e.process(sig("AAA", BUY, 100)))).toBe("accepted");
    expect(outcome(e.process(sig("BBB", BUY, 50)))).toBe("accepted");
    expect(e.decider.state.dailyTrades).toBe(2);
  });

  test("the counter resets at the next trading day; positions carry over", () => {
    const e = engineWith(two);
    e.process(sig("AAA", BUY, 100));
    e.process(sig("AAA", BUY, 100, { ts: T0 + 1 }));
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: T0 + 2 })))).toBe("max_daily_trades");
    const midnight = Date.UTC(2026, 10, 26); // day_reset_utc 00:00
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: midnight - 1 })))).toBe("max_daily_trades");
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: midnight })))).toBe("accepted");
    expect(e.decider.state.position(0)).toBe(300);
  });

  test("compared against the effective limit of the symbol being decided", () => {
    const e = engineWith({ risk: { limits: { max_daily_trades: 2 } }, symbols: { CCC: { limits: { max_daily_trades: 3 } } } });
    e.process(sig("AAA", BUY, 100));
    e.process(sig("BBB", BUY, 50));
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: T0 + 1 })))).toBe("max_daily_trades");
    expect(outcome(e.process(sig("CCC", BUY, 20)))).toBe("accepted");
    expect(outcome(e.process(sig("CCC", BUY, 20, { ts: T0 + 1 })))).toBe("max_daily_trades");
  });
});

describe("zero_quantity", () => {
  test("a weak scaled signal on a large lot rounds down to zero lots", () => {
    const e = engineWith({ trading: { position_sizing: { method: "scaled" } }, symbols: { AAA: { lot_size: 100 } } });
    expect(outcome(e.process(sig("AAA", BUY, 100, { strength: 0.99 })))).toBe("zero_quantity");
    expect(outcome(e.process(sig("AAA", BUY, 100, { strength: 1 })))).toBe("accepted");
  });

  test("a default size smaller than the lot is always zero lots", () => {
    const e = engineWith({ symbols: { AAA: { lot_size: 150 } } });
    expect(outcome(e.process(sig("AAA", BUY, 100)))).toBe("zero_quantity");
  });

  test("in REDUCING, a position smaller than one lot cannot be reduced", () => {
    const e = engineWith({ trading: { position_sizing: { method: "scaled" } } });
    e.process(sig("AAA", BUY, 100, { strength: 0.05 })); // 5 shares
    // Reload with a lot of 10: 5 shares is half a lot.
    e.load(snapshotOf({ trading: { position_sizing: { method: "scaled" } }, symbols: { AAA: { lot_size: 10 } } }), 2);
    e.decider.state.setTradingState(REDUCING, "operator", T0);
    expect(outcome(e.process(sig("AAA", SELL, 100, { ts: T0 + 1 })))).toBe("zero_quantity");
  });
});

describe("reduce_only", () => {
  test("in REDUCING, opening a position is refused", () => {
    const e = engineWith();
    e.decider.state.setTradingState(REDUCING, "operator", T0);
    expect(outcome(e.process(sig("AAA", BUY, 100)))).toBe("reduce_only");
    expect(outcome(e.process(sig("AAA", SELL, 100)))).toBe("reduce_only");
  });

  test("in REDUCING, adding to a position is refused; reducing it is accepted", () => {
    const e = engineWith();
    e.process(sig("AAA", BUY, 100));
    e.process(sig("BBB", SELL, 50));
    e.decider.state.setTradingState(REDUCING, "operator", T0);
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: T0 + 1 })))).toBe("reduce_only");
    expect(outcome(e.process(sig("BBB", SELL, 50, { ts: T0 + 1 })))).toBe("reduce_only");
    expect(outcome(e.process(sig("AAA", SELL, 100, { ts: T0 + 2 })))).toBe("accepted");
    expect(outcome(e.process(sig("BBB", BUY, 50, { ts: T0 + 2 })))).toBe("accepted");
  });

  test("in REDUCING, a reducing order is clipped so that it never flips the position", () => {
    const e = engineWith({ trading: { position_sizing: { method: "scaled", default_position_size: 100 } } });
    e.process(sig("AAA", BUY, 100, { strength: 0.3 })); // +30
    e.decider.state.setTradingState(REDUCING, "operator", T0);
    const o = orderOf(e.process(sig("AAA", SELL, 100, { ts: T0 + 1 }))); // would be 100: clipped to 30
    expect(o.qty).toBe(30);
    expect(e.decider.state.position(0)).toBe(0);
    expect(outcome(e.process(sig("AAA", SELL, 100, { ts: T0 + 2 })))).toBe("reduce_only"); // now flat
  });

  test("in REDUCING, the clip is to whole lots", () => {
    const e = engineWith({ trading: { position_sizing: { method: "fixed", default_position_size: 100, max_position_size: 1000 } } });
    e.process(sig("AAA", SELL, 100));
    e.process(sig("AAA", SELL, 100, { ts: T0 + 1 })); // -200
    e.decider.state.setTradingState(REDUCING, "operator", T0);
    expect(orderOf(e.process(sig("AAA", BUY, 100, { ts: T0 + 2 }))).qty).toBe(100);
    expect(orderOf(e.process(sig("AAA", BUY, 100, { ts: T0 + 3 }))).qty).toBe(100);
    expect(e.decider.state.position(0)).toBe(0);
  });
});

describe("max_position_size", () => {
  const cap = { trading: { position_sizing: { default_position_size: 100, max_position_size: 150 } } };

  test("clips to the room left, and rejects a clip to zero", () => {
    const e = engineWith(cap);
    expect(orderOf(e.process(sig("AAA", BUY, 100))).qty).toBe(100);
    expect(orderOf(e.process(sig("AAA", BUY, 100, { ts: T0 + 1 }))).qty).toBe(50);
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: T0 + 2 })))).toBe("max_position_size");
    expect(e.decider.state.position(0)).toBe(150);
  });

  test("the same on the short side", () => {
    const e = engineWith(cap);
    e.process(sig("AAA", SELL, 100));
    expect(orderOf(e.process(sig("AAA", SELL, 100, { ts: T0 + 1 }))).qty).toBe(50);
    expect(outcome(e.process(sig("AAA", SELL, 100, { ts: T0 + 2 })))).toBe("max_position_size");
  });

  test("a reducing order is never blocked by it", () => {
    const e = engineWith(cap);
    e.process(sig("AAA", BUY, 100));
    e.process(sig("AAA", BUY, 100, { ts: T0 + 1 })); // 150, at the limit
    expect(orderOf(e.process(sig("AAA", SELL, 100, { ts: T0 + 2 }))).qty).toBe(100);
  });
});

describe("max_order_notional", () => {
  test("qty * order price above the limit is refused; at the limit is accepted", () => {
    const e = engineWith({ risk: { limits: { max_order_notional: 10_000 } } });
    expect(outcome(e.process(sig("AAA", BUY, 100.01)))).toBe("max_order_notional");
    expect(outcome(e.process(sig("AAA", BUY, 100)))).toBe("accepted"); // 100 * 100 = 10,000
  });

  test("uses the limit price of a limit order, not the signal price", () => {
    // Buy at 99.99 with a 2 bps offset: limit 100.0099..., rounded down to 100.00: 10,000, accepted.
    const e = engineWith({ trading: { execution: { limit_offset_bps: 2 } }, risk: { limits: { max_order_notional: 10_000 } } });
    const o = orderOf(e.process(sig("AAA", BUY, 99.99)));
    expect(o.price).toBe(100);
    // Buy at 99.995: limit 100.0149..., rounded down to 100.01: 10,001, refused.
    expect(outcome(e.process(sig("AAA", BUY, 99.995, { ts: T0 + 1 })))).toBe("max_order_notional");
  });

  test("applies to reducing orders too", () => {
    const e = engineWith({ risk: { limits: { max_order_notional: 10_000 } } });
    e.process(sig("AAA", BUY, 100));
    expect(outcome(e.process(sig("AAA", SELL, 101, { ts: T0 + 1 })))).toBe("max_order_notional");
  });
});

describe("max_positions", () => {
  const two = { risk: { limits: { max_positions: 2 } } };

  test("opening a new position while the open count is at the limit", () => {
    const e = engineWith(two);
    e.process(sig("AAA", BUY, 100));
    e.process(sig("BBB", SELL, 50));
    expect(outcome(e.process(sig("CCC", BUY, 20)))).toBe("max_positions");
    expect(e.decider.state.openPositions).toBe(2);
  });

  test("adding to or reducing an open position is not opening one", () => {
    const e = engineWith(two);
    e.process(sig("AAA", BUY, 100));
    e.process(sig("BBB", SELL, 50));
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: T0 + 1 })))).toBe("accepted");
    expect(outcome(e.process(sig("BBB", BUY, 50, { ts: T0 + 1 })))).toBe("accepted"); // closes BBB
    expect(outcome(e.process(sig("CCC", BUY, 20, { ts: T0 + 2 })))).toBe("accepted"); // room again
  });
});

describe("max_gross_exposure", () => {
  const gross = { risk: { limits: { max_gross_exposure: 14_000 } } };

  test("current gross + added |qty| * signal price above the limit", () => {
    const e = engineWith(gross);
    expect(outcome(e.process(sig("AAA", BUY, 100)))).toBe("accepted"); // 10,000
    expect(outcome(e.process(sig("BBB", SELL, 50)))).toBe("max_gross_exposure"); // + 5,000
    expect(outcome(e.process(sig("CCC", SELL, 20)))).toBe("accepted"); // + 2,000 = 12,000
    expect(outcome(e.process(sig("CCC", SELL, 20, { ts: T0 + 1 })))).toBe("accepted"); // 14,000: at the limit
    expect(outcome(e.process(sig("CCC", SELL, 20.01, { ts: T0 + 2 })))).toBe("max_gross_exposure");
  });

  test("uses the current mark: a price rise uses up room", () => {
    const e = engineWith(gross);
    e.process(sig("AAA", BUY, 100)); // 10,000
    expect(outcome(e.process(sig("AAA", BUY, 105, { ts: T0 + 1 })))).toBe("max_gross_exposure"); // 10,500 + 10,500
    expect(e.decider.state.gross).toBeCloseTo(10_500, 9);
  });

  test("an order that reduces |position| is never refused, even above the limit", () => {
    const e = engineWith(gross);
    e.process(sig("AAA", BUY, 100));
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: T0 + 1 })))).toBe("max_gross_exposure"); // 20,000
    expect(e.decider.state.position(0)).toBe(100);
    // The price rises: gross 15,000 > 14,000. Reducing still goes through.
    expect(outcome(e.process(sig("AAA", SELL, 150, { ts: T0 + 2 })))).toBe("accepted");
  });

  test("compared against the limit of the symbol being decided", () => {
    const e = engineWith({ risk: { limits: { max_gross_exposure: 14_000 } }, symbols: { BBB: { limits: { max_gross_exposure: 20_000 } } } });
    e.process(sig("AAA", BUY, 100));
    expect(outcome(e.process(sig("BBB", SELL, 50)))).toBe("accepted"); // 15,000 within BBB's 20,000
    expect(outcome(e.process(sig("CCC", SELL, 20)))).toBe("max_gross_exposure"); // 17,000 above CCC's 14,000
  });
});

describe("sector_exposure", () => {
  const sector = { risk: { sectors: { tech: { max_gross_exposure: 14_000 } } } };

  test("the sector's gross + added exposure above the sector's limit", () => {
    const e = engineWith(sector);
    expect(outcome(e.process(sig("AAA", BUY, 100)))).toBe("accepted"); // tech 10,000
    expect(outcome(e.process(sig("BBB", BUY, 50)))).toBe("sector_exposure"); // tech + 5,000
    expect(outcome(e.process(sig("CCC", BUY, 20)))).toBe("accepted"); // energy
    expect(outcome(e.process(sig("BBB", BUY, 40)))).toBe("accepted"); // tech 14,000: at the limit
  });

  test("reducing orders in the sector are not refused", () => {
    const e = engineWith(sector);
    e.process(sig("AAA", BUY, 100));
    e.process(sig("BBB", BUY, 40)); // 14,000
    expect(outcome(e.process(sig("BBB", SELL, 40, { ts: T0 + 1 })))).toBe("accepted");
  });

  test("max_gross_exposure is checked first", () => {
    const e = engineWith({ risk: { limits: { max_gross_exposure: 14_000 }, sectors: { tech: { max_gross_exposure: 14_000 } } } });
    e.process(sig("AAA", BUY, 100));
    expect(outcome(e.process(sig("BBB", BUY, 50)))).toBe("max_gross_exposure");
  });
});

describe("max_orders_per_second", () => {
  const rate = { risk: { limits: { max_orders_per_second: 2 } } };

  test("a token bucket per symbol on the signal clock: burst of the limit, refilled at the limit per second", () => {
    const e = engineWith(rate);
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: T0 })))).toBe("accepted");
    expect(outcome(e.process(sig("AAA", BUY, 100.01, { ts: T0 })))).toBe("accepted");
    expect(outcome(e.process(sig("AAA", BUY, 100.02, { ts: T0 + 100 })))).toBe("max_orders_per_second");
    expect(outcome(e.process(sig("BBB", BUY, 50, { ts: T0 + 100 })))).toBe("accepted"); // other symbol, own bucket
    expect(outcome(e.process(sig("AAA", BUY, 100.03, { ts: T0 + 499 })))).toBe("max_orders_per_second"); // 0.998 tokens
    expect(outcome(e.process(sig("AAA", BUY, 100.04, { ts: T0 + 500 })))).toBe("accepted"); // one token back
    expect(outcome(e.process(sig("AAA", BUY, 100.05, { ts: T0 + 500 })))).toBe("max_orders_per_second");
  });

  test("the bucket never holds more than the limit", () => {
    const e = engineWith(rate);
    e.process(sig("AAA", BUY, 100, { ts: T0 }));
    const later = T0 + 60_000; // a minute of refill: still only 2 tokens
    expect(outcome(e.process(sig("AAA", BUY, 100.01, { ts: later })))).toBe("accepted");
    expect(outcome(e.process(sig("AAA", BUY, 100.02, { ts: later })))).toBe("accepted");
    expect(outcome(e.process(sig("AAA", BUY, 100.03, { ts: later })))).toBe("max_orders_per_second");
  });

  test("rejected signals use no token", () => {
    const e = engineWith({ risk: { limits: { max_orders_per_second: 1, max_order_notional: 10_000 } } });
    expect(outcome(e.process(sig("AAA", BUY, 101)))).toBe("max_order_notional");
    expect(outcome(e.process(sig("AAA", BUY, 100)))).toBe("accepted");
  });
});

describe("duplicate_order", () => {
  const dup = { risk: { limits: { duplicate_window_ms: 1000 } } };

  test("same symbol, side, qty and price as the last accepted order within the window", () => {
    const e = engineWith(dup);
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: T0 })))).toBe("accepted");
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: T0 + 999 })))).toBe("duplicate_order");
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: T0 + 1000 })))).toBe("accepted"); // window elapsed
  });

  test("a late copy (older ts) within the window is a duplicate too; a window of 0 checks nothing", () => {
    const e = engineWith(dup);
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: T0 + 500 })))).toBe("accepted");
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: T0 })))).toBe("duplicate_order");
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: T0 - 600 })))).toBe("accepted"); // 1100 ms before: outside
    const off = engineWith({ risk: { limits: { duplicate_window_ms: 0 } } });
    expect(outcome(off.process(sig("AAA", BUY, 100, { ts: T0 + 500 })))).toBe("accepted");
    expect(outcome(off.process(sig("AAA", BUY, 100, { ts: T0 })))).toBe("accepted");
    expect(outcome(off.process(sig("AAA", BUY, 100, { ts: T0 })))).toBe("accepted");
  });

  test("a different side, qty, price or symbol is not a duplicate", () => {
    const e = engineWith({ ...dup, trading: { position_sizing: { method: "scaled" } } });
    e.process(sig("AAA", BUY, 100, { ts: T0 }));
    expect(outcome(e.process(sig("AAA", BUY, 100.01, { ts: T0 + 1 })))).toBe("accepted"); // price
    expect(outcome(e.process(sig("AAA", BUY, 100.01, { ts: T0 + 2, strength: 0.5 })))).toBe("accepted"); // qty
    expect(outcome(e.process(sig("AAA", SELL, 100.01, { ts: T0 + 3, strength: 0.5 })))).toBe("accepted"); // side
    expect(outcome(e.process(sig("BBB", SELL, 50, { ts: T0 + 4, strength: 0.5 })))).toBe("accepted"); // symbol
    e.process(sig("CCC", SELL, 20, { ts: T0 + 5 }));
    expect(outcome(e.process(sig("CCC", SELL, 20, { ts: T0 + 6 })))).toBe("duplicate_order");
  });

  test("compares the order, not the signal: two signal prices rounding to the same limit price are duplicates", () => {
    const e = engineWith({ ...dup, symbols: { AAA: { tick_size: 0.05 } } });
    expect(orderOf(e.process(sig("AAA", BUY, 100.01, { ts: T0 }))).price).toBe(100);
    expect(outcome(e.process(sig("AAA", BUY, 100.04, { ts: T0 + 1 })))).toBe("duplicate_order");
  });

  test("compares with the last accepted order only", () => {
    const e = engineWith(dup);
    e.process(sig("AAA", BUY, 100, { ts: T0 }));
    e.process(sig("AAA", BUY, 100.5, { ts: T0 + 1 }));
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: T0 + 2 })))).toBe("accepted");
  });

  test("a window of 0 disables the check", () => {
    const e = engineWith({ risk: { limits: { duplicate_window_ms: 0 } } });
    e.process(sig("AAA", BUY, 100, { ts: T0 }));
    expect(outcome(e.process(sig("AAA", BUY, 100, { ts: T0 })))).toBe("accepted");
  });
});

describe("order of checks", () => {
  test("the first failing check names the reject", () => {
    // Every limit tight at once: a signal that breaks several gets the earliest reason.
    const e = engineWith({
      risk: { limits: { max_order_notional: 1, max_positions: 1, max_gross_exposure: 1, max_orders_per_second: 1, price_collar_bps: 10 } },
    });
    expect(outcome(e.process(sig("AAA", BUY, 200)))).toBe("price_collar");
    expect(outcome(e.process(sig("AAA", BUY, 100)))).toBe("max_order_notional");
  });

  test("max_daily_trades comes before sizing", () => {
    const e = engineWith({ risk: { limits: { max_daily_trades: 1 } }, symbols: { BBB: { lot_size: 1000 } } });
    e.process(sig("AAA", BUY, 100));
    expect(outcome(e.process(sig("BBB", BUY, 50)))).toBe("max_daily_trades");
  });

  test("max_positions comes before max_gross_exposure", () => {
    const e = engineWith({ risk: { limits: { max_positions: 1, max_gross_exposure: 10_000 } } });
    e.process(sig("AAA", BUY, 100));
    expect(outcome(e.process(sig("BBB", BUY, 50)))).toBe("max_positions");
  });

  test("max_orders_per_second comes before duplicate_order", () => {
    const e = engineWith({ risk: { limits: { max_orders_per_second: 1, duplicate_window_ms: 1000 } } });
    e.process(sig("AAA", BUY, 100));
    expect(outcome(e.process(sig("AAA", BUY, 100)))).toBe("max_orders_per_second");
  });
});
