/** Cross-field rules on effective configs, reported at the layer that breaks them; warnings. */
import { describe, expect, spyOn, test } from "bun:test";
import { validate } from "../../src/config/validate.ts";
import { baseDoc, docWith, expectOnlyIssue, issuesOf, pathsAndCodes, symbol, warningsOf, type Raw } from "./fixtures.ts";

describe("max_position_size > default_position_size, at the layer that breaks it", () => {
  test("the defaults: one issue, not one per symbol", () => {
    const d = docWith((d) => (d.trading.position_sizing = { default_position_size: 100, max_position_size: 100 }));
    // AAPL's strategy sets both sizes, so it is fine; MSFT and BRK.B inherit the broken defaults.
    const issue = expectOnlyIssue(d, "trading.position_sizing.max_position_size", "max_not_above_default");
    expect(issue.message).toContain("100");
  });

  test("the defaults broken by default_position_size alone", () => {
    const d = docWith((d) => (d.trading.position_sizing = { default_position_size: 5000 }));
    expectOnlyIssue(d, "trading.position_sizing.max_position_size", "max_not_above_default");
  });

  test("a strategy, and its symbols merely inheriting it add nothing", () => {
    const d = docWith((d) => {
      d.strategies.momentum.position_sizing = { max_position_size: 150, default_position_size: 200 };
      d.symbols.MSFT.strategy = "momentum";
      d.symbols.NVDA = symbol({ strategy: "momentum", limits: { max_positions: 3 } });
    });
    expectOnlyIssue(d, "strategies.momentum.position_sizing.max_position_size", "max_not_above_default");
  });

  test("a symbol setting a size of its own under a broken strategy is reported as well", () => {
    const d = docWith((d) => {
      d.strategies.momentum.position_sizing = { max_position_size: 50 };
      d.symbols.AAPL.position_sizing = { max_position_size: 60 };
      d.symbols.MSFT = symbol({ strategy: "momentum", position_sizing: { method: "fixed" }, execution: { time_in_force: "ioc" } });
    });
    // MSFT touches position_sizing, but not the sizes the rule reads: it merely inherits.
    expect(pathsAndCodes(issuesOf(d))).toEqual([
      ["strategies.momentum.position_sizing.max_position_size", "max_not_above_default"],
      ["symbols.AAPL.position_sizing.max_position_size", "max_not_above_default"],
    ]);
  });

  test("a strategy that only raises default_position_size above the inherited max", () => {
    const d = docWith((d) => (d.strategies.momentum.position_sizing = { default_position_size: 1000 }));
    expectOnlyIssue(d, "strategies.momentum.position_sizing.max_position_size", "max_not_above_default");
  });

  test("a strategy that breaks it is reported even when no symbol uses it", () => {
    const d = docWith((d) => (d.strategies.unused = { position_sizing: { max_position_size: 10 } }));
    expectOnlyIssue(d, "strategies.unused.position_sizing.max_position_size", "max_not_above_default");
  });

  test("a symbol's own override", () => {
    const d = docWith((d) => (d.symbols.MSFT.position_sizing = { max_position_size: 50 }));
    expectOnlyIssue(d, "symbols.MSFT.position_sizing.max_position_size", "max_not_above_default");
  });

  test("a symbol's own override on top of its strategy, with a quoted path", () => {
    const d = docWith((d) => {
      d.symbols["BRK.B"].strategy = "momentum";
      d.symbols["BRK.B"].position_sizing = { default_position_size: 2000 };
    });
    expectOnlyIssue(d, 'symbols["BRK.B"].position_sizing.max_position_size', "max_not_above_default");
  });

  test("a symbol that repairs a broken default still leaves the default's issue", () => {
    const d = docWith((d) => {
      d.trading.position_sizing.max_position_size = 50;
      d.symbols.MSFT.position_sizing = { max_position_size: 600 };
    });
    expectOnlyIssue(d, "trading.position_sizing.max_position_size", "max_not_above_default");
  });

  test("a strategy that repairs a broken default: its symbols are fine", () => {
    const d = docWith((d) => {
      d.trading.position_sizing.max_position_size = 50;
      d.symbols = { AAPL: symbol({ strategy: "momentum" }), "BRK.B": symbol({ sector: "finance", strategy: "momentum" }) };
    });
    // The defaults are still a layer of their own, and are checked as such.
    expect(pathsAndCodes(issuesOf(d))).toEqual([["trading.position_sizing.max_position_size", "max_not_above_default"]]);
  });

  test("several layers broken at once: one issue each", () => {
    const d = docWith((d) => {
      d.trading.position_sizing.max_position_size = 90;
      d.strategies.momentum.position_sizing.max_position_size = 150;
      d.symbols.MSFT.position_sizing = { default_position_size: 10, max_position_size: 5 };
    });
    expect(pathsAndCodes(issuesOf(d))).toEqual([
      ["trading.position_sizing.max_position_size", "max_not_above_default"],
      ["strategies.momentum.position_sizing.max_position_size", "max_not_above_default"],
      ["symbols.MSFT.position_sizing.max_position_size", "max_not_above_default"],
    ]);
  });
});

describe("references", () => {
  test("a sector that is not defined", () => {
    const issue = expectOnlyIssue(docWith((d) => (d.symbols.MSFT.sector = "energy")), "symbols.MSFT.sector", "unknown_sector");
    expect(issue.message).toContain('"energy"');
  });

  test("a strategy that is not defined, with a quoted path", () => {
    const issue = expectOnlyIssue(docWith((d) => (d.symbols["BRK.B"].strategy = "breakout")), 'symbols["BRK.B"].strategy', "unknown_strategy");
    expect(issue.message).toContain('"breakout"');
  });

  test("every broken reference is reported, one per symbol", () => {
    const d = docWith((d) => {
      d.symbols.AAPL.sector = "x";
      d.symbols.MSFT.sector = "y";
      d.symbols.MSFT.strategy = "z";
    });
    expect(pathsAndCodes(issuesOf(d))).toEqual([
      ["symbols.AAPL.sector", "unknown_sector"],
      ["symbols.MSFT.sector", "unknown_sector"],
      ["symbols.MSFT.strategy", "unknown_strategy"],
    ]);
  });

  // Regression: `name in object` found Object.prototype's members, so these passed as defined.
  for (const name of ["toString", "constructor", "hasOwnProperty", "valueOf"]) {
    test(`"${name}" is not a defined sector or strategy`, () => {
      const d = docWith((d) => {
        d.symbols.MSFT.sector = name;
        d.symbols.MSFT.strategy = name;
      });
      expect(pathsAndCodes(issuesOf(d))).toEqual([
        ["symbols.MSFT.sector", "unknown_sector"],
        ["symbols.MSFT.strategy", "unknown_strategy"],
      ]);
    });
  }

  test("a sector or strategy really named like a prototype member works", () => {
    const d = docWith((d) => {
      d.risk.sectors.constructor = { max_gross_exposure: 5 };
      d.strategies.toString = { limits: { max_positions: 3 } };
      d.symbols.MSFT.sector = "constructor";
      d.symbols.MSFT.strategy = "toString";
    });
    const r = validate(d);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.warnings).toEqual([]);
    const msft = r.resolution.symbolNames.indexOf("MSFT");
    expect(r.resolution.profiles[r.resolution.symbolProfile[msft]!]!.limits.max_positions).toBe(3);
  });

  // Regression: zod drops a record key named __proto__ without an issue, so the table vanished.
  for (const [json, path] of [
    ['{"strategies":{"__proto__":{"limits":{"max_positions":1}}}}', "strategies.__proto__"],
    ['{"symbols":{"__proto__":{"sector":"x"}}}', "symbols.__proto__"],
    ['{"risk":{"sectors":{"__proto__":{"max_gross_exposure":1}}}}', "risk.sectors.__proto__"],
  ] as const) {
    test(`${path} is refused, not silently dropped`, () => {
      expectOnlyIssue(JSON.parse(json), path, "invalid_key");
    });
  }

  test("__proto__ in TOML too", () => {
    const raw = Bun.TOML.parse("[strategies.__proto__.limits]\nmax_positions = 1\n");
    expectOnlyIssue(raw, "strategies.__proto__", "invalid_key");
  });

  test("__proto__ as an unknown key of a strict table", () => {
    expectOnlyIssue(JSON.parse('{"trading":{"__proto__":{"mode":"live"}}}'), "trading.__proto__", "unrecognized_key");
  });
});

describe("warnings are collected and returned, with paths and codes", () => {
  const only = (d: Raw) => pathsAndCodes(warningsOf(d));

  test("limit_offset_bps at or above price_collar_bps, at each layer", () => {
    expect(only(docWith((d) => (d.trading.execution.limit_offset_bps = 500)))).toEqual([["trading.execution.limit_offset_bps", "offset_at_or_above_collar"]]);
    expect(only(docWith((d) => (d.risk.limits.price_collar_bps = 1)))).toEqual([["trading.execution.limit_offset_bps", "offset_at_or_above_collar"]]);
    expect(only(docWith((d) => (d.strategies.momentum.execution = { limit_offset_bps: 600 })))).toEqual([
      ["strategies.momentum.execution.limit_offset_bps", "offset_at_or_above_collar"],
    ]);
    expect(only(docWith((d) => (d.symbols["BRK.B"].limits = { price_collar_bps: 2 })))).toEqual([
      ['symbols["BRK.B"].execution.limit_offset_bps', "offset_at_or_above_collar"],
    ]);
  });

  test("just below the collar, or market orders, are fine", () => {
    expect(only(docWith((d) => (d.trading.execution.limit_offset_bps = 499.99)))).toEqual([]);
    expect(only(docWith((d) => (d.trading.execution = { limit_offset_bps: 800, order_type: "market" })))).toEqual([]);
  });

  test("max_position_size over 100x default_position_size", () => {
    expect(only(docWith((d) => (d.trading.position_sizing = { default_position_size: 10, max_position_size: 1001 })))).toEqual([
      ["trading.position_sizing.max_position_size", "max_far_above_default"],
    ]);
    expect(only(docWith((d) => (d.trading.position_sizing = { default_position_size: 10, max_position_size: 1000 })))).toEqual([]);
    expect(only(docWith((d) => (d.symbols.AAPL.position_sizing = { max_position_size: 20_001 })))).toEqual([
      ["symbols.AAPL.position_sizing.max_position_size", "max_far_above_default"],
    ]);
  });

  test("a sector no symbol uses", () => {
    expect(only(docWith((d) => (d.risk.sectors.energy = { max_gross_exposure: 1 })))).toEqual([["risk.sectors.energy", "unused_sector"]]);
  });

  test("max_daily_trades over 200", () => {
    expect(only(docWith((d) => (d.risk.limits.max_daily_trades = 201)))).toEqual([["risk.limits.max_daily_trades", "high_daily_trades"]]);
    expect(only(docWith((d) => (d.risk.limits.max_daily_trades = 200)))).toEqual([]);
    expect(only(docWith((d) => (d.strategies.momentum.limits = { max_daily_trades: 1000 })))).toEqual([
      ["strategies.momentum.limits.max_daily_trades", "high_daily_trades"],
    ]);
  });

  test("more symbols than trading.max_symbols", () => {
    const w = warningsOf(docWith((d) => (d.trading.max_symbols = 2)));
    expect(pathsAndCodes(w)).toEqual([["trading.max_symbols", "symbols_over_capacity_hint"]]);
    expect(w[0]!.message).toContain("3 symbols");
    expect(only(docWith((d) => (d.trading.max_symbols = 3)))).toEqual([]);
  });

  test("a warning inherited from the defaults is not repeated per strategy or symbol", () => {
    const d = docWith((d) => {
      d.risk.limits.max_daily_trades = 500;
      d.symbols.MSFT.limits = { max_positions: 2 };
    });
    expect(only(d)).toEqual([["risk.limits.max_daily_trades", "high_daily_trades"]]);
  });

  test("an invalid document still returns the warnings found", () => {
    const d = docWith((d) => {
      d.risk.sectors.energy = { max_gross_exposure: 1 };
      d.symbols.MSFT.strategy = "nope";
    });
    const r = validate(d);
    expect(r.ok).toBe(false);
    expect(pathsAndCodes(r.warnings)).toEqual([["risk.sectors.energy", "unused_sector"]]);
  });

  test("nothing is logged", () => {
    const spies = (["log", "warn", "error", "info", "debug"] as const).map((m) => spyOn(console, m).mockImplementation(() => {}));
    try {
      expect(warningsOf(docWith((d) => (d.risk.limits.max_daily_trades = 500)))).toHaveLength(1);
      issuesOf(docWith((d) => (d.symbols.MSFT.sector = "nope")));
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  test("the base document stays untouched by validation", () => {
    const d = baseDoc();
    const before = JSON.stringify(d);
    validate(d);
    expect(JSON.stringify(d)).toBe(before);
  });
});
