/** The document's shape: every field's type and bound, with the exact path and code of the issue. */
import { describe, expect, test } from "bun:test";
import { DEFAULTS } from "../../src/config/schema.ts";
import { validate } from "../../src/config/validate.ts";
import { baseDoc, docWith, expectOnlyIssue, issuesOf, pathsAndCodes, symbol, warningsOf, type Raw } from "./fixtures.ts";

/** Set `value` at a dotted path (segments as an array, so "BRK.B" stays one key). */
function setAt(d: Raw, path: readonly string[], value: unknown): Raw {
  let o = d;
  for (const k of path.slice(0, -1)) o = o[k] ??= {};
  o[path[path.length - 1]!] = value;
  return d;
}
const at = (path: readonly string[], value: unknown) => setAt(baseDoc(), path, value);

describe("the base fixture", () => {
  test("is valid with no warnings, and an empty document is valid too", () => {
    expect(warningsOf(baseDoc())).toEqual([]);
    expect(warningsOf({})).toEqual([]);
  });

  test("missing keys take the documented defaults", () => {
    const r = validate({});
    if (!r.ok) throw new Error("invalid");
    expect(r.document.trading).toEqual({ mode: "paper", max_symbols: 500, position_sizing: DEFAULTS.position_sizing, execution: DEFAULTS.execution });
    expect(r.document.risk).toEqual({ limits: DEFAULTS.limits, sectors: {}, day_reset_utc: "00:00" });
    expect(r.document.strategies).toEqual({});
    expect(r.document.symbols).toEqual({});
  });
});

describe("unknown keys are errors at every level", () => {
  const cases: [string, readonly string[], string][] = [
    ["top level", ["colour"], "colour"],
    ["trading", ["trading", "max_symbol"], "trading.max_symbol"],
    ["trading.position_sizing", ["trading", "position_sizing", "max_size"], "trading.position_sizing.max_size"],
    ["trading.execution", ["trading", "execution", "tif"], "trading.execution.tif"],
    ["risk", ["risk", "limit"], "risk.limit"],
    ["risk.limits", ["risk", "limits", "max_trades"], "risk.limits.max_trades"],
    ["a sector", ["risk", "sectors", "tech", "limit"], "risk.sectors.tech.limit"],
    ["a strategy", ["strategies", "momentum", "sizing"], "strategies.momentum.sizing"],
    ["a strategy's limits", ["strategies", "momentum", "limits", "max_loss"], "strategies.momentum.limits.max_loss"],
    ["a symbol", ["symbols", "AAPL", "tick"], "symbols.AAPL.tick"],
    ["a dotted symbol's execution", ["symbols", "BRK.B", "execution", "type"], 'symbols["BRK.B"].execution.type'],
  ];
  for (const [where, path, expected] of cases) {
    test(where, () => {
      expectOnlyIssue(at(path, 1), expected, "unrecognized_key");
    });
  }

  test("several unknown keys give one issue each", () => {
    const d = docWith((d) => {
      d.extra = 1;
      d.trading.position_sizing.a = 1;
      d.trading.position_sizing.b = 2;
    });
    expect(pathsAndCodes(issuesOf(d)).sort()).toEqual([
      ["extra", "unrecognized_key"],
      ["trading.position_sizing.a", "unrecognized_key"],
      ["trading.position_sizing.b", "unrecognized_key"],
    ]);
  });
});

describe("numbers are finite numbers, never coerced", () => {
  const fields: [readonly string[], string][] = [
    [["trading", "position_sizing", "default_position_size"], "trading.position_sizing.default_position_size"],
    [["risk", "limits", "max_order_notional"], "risk.limits.max_order_notional"],
    [["strategies", "momentum", "execution", "limit_offset_bps"], "strategies.momentum.execution.limit_offset_bps"],
    [["symbols", "BRK.B", "reference_price"], 'symbols["BRK.B"].reference_price'],
    [["risk", "sectors", "tech", "max_gross_exposure"], "risk.sectors.tech.max_gross_exposure"],
  ];
  const bad: [string, unknown][] = [["NaN", NaN], ["Infinity", Infinity], ["-Infinity", -Infinity], ['"100"', "100"], ["null", null], ["true", true], ["[1]", [1]], ["{}", {}]];
  for (const [path, expected] of fields) {
    for (const [label, value] of bad) {
      test(`${expected} = ${label}`, () => {
        expectOnlyIssue(at(path, value), expected, "invalid_type");
      });
    }
  }

  test("the message says what was wrong", () => {
    const nan = expectOnlyIssue(at(["risk", "limits", "max_daily_loss"], NaN), "risk.limits.max_daily_loss", "invalid_type");
    expect(nan.message).toContain("NaN");
    const str = expectOnlyIssue(at(["risk", "limits", "max_daily_loss"], "100"), "risk.limits.max_daily_loss", "invalid_type");
    expect(str.message).toContain('"100"');
  });
});

describe("bounds", () => {
  const positive: [readonly string[], string][] = [
    [["trading", "position_sizing", "default_position_size"], "trading.position_sizing.default_position_size"],
    [["trading", "position_sizing", "max_position_size"], "trading.position_sizing.max_position_size"],
    [["risk", "limits", "price_collar_bps"], "risk.limits.price_collar_bps"],
    [["risk", "limits", "max_daily_loss"], "risk.limits.max_daily_loss"],
    [["symbols", "AAPL", "tick_size"], "symbols.AAPL.tick_size"],
    [["symbols", "AAPL", "reference_price"], "symbols.AAPL.reference_price"],
    [["symbols", "MSFT", "position_sizing", "default_position_size"], "symbols.MSFT.position_sizing.default_position_size"],
  ];
  for (const [path, expected] of positive) {
    for (const value of [0, -0, -1, -0.5]) {
      test(`${expected} = ${Object.is(value, -0) ? "-0" : value} is too small`, () => {
        expectOnlyIssue(at(path, value), expected, "too_small");
      });
    }
  }

  test("-0 is named as -0 in the message", () => {
    const issue = expectOnlyIssue(at(["trading", "position_sizing", "default_position_size"], -0), "trading.position_sizing.default_position_size", "too_small");
    expect(issue.message).toContain("-0");
  });

  test("non-negative fields accept 0 and refuse negatives", () => {
    expect(warningsOf(at(["trading", "execution", "limit_offset_bps"], 0))).toEqual([]);
    expect(warningsOf(at(["risk", "limits", "duplicate_window_ms"], 0))).toEqual([]);
    expectOnlyIssue(at(["trading", "execution", "max_slippage_bps"], -1), "trading.execution.max_slippage_bps", "too_small");
    expectOnlyIssue(at(["risk", "limits", "duplicate_window_ms"], -1), "risk.limits.duplicate_window_ms", "too_small");
  });

  const integers: [readonly string[], number, string][] = [
    [["risk", "limits", "max_daily_trades"], 1.5, "risk.limits.max_daily_trades"],
    [["risk", "limits", "max_positions"], 2.25, "risk.limits.max_positions"],
    [["risk", "limits", "max_orders_per_second"], 0.5, "risk.limits.max_orders_per_second"],
    [["risk", "limits", "duplicate_window_ms"], 999.9, "risk.limits.duplicate_window_ms"],
    [["trading", "max_symbols"], 10.5, "trading.max_symbols"],
    [["symbols", "BRK.B", "lot_size"], 2.5, 'symbols["BRK.B"].lot_size'],
    [["strategies", "momentum", "limits", "max_daily_trades"], 7.1, "strategies.momentum.limits.max_daily_trades"],
  ];
  for (const [path, value, expected] of integers) {
    test(`${expected} = ${value} is not an integer`, () => {
      const issue = expectOnlyIssue(at(path, value), expected, "invalid_type");
      expect(issue.message).toContain("integer");
    });
  }

  test("integer fields refuse 0 where they must be > 0", () => {
    expectOnlyIssue(at(["symbols", "AAPL", "lot_size"], 0), "symbols.AAPL.lot_size", "too_small");
    expectOnlyIssue(at(["risk", "limits", "max_positions"], 0), "risk.limits.max_positions", "too_small");
  });

  test("max_symbols has no upper bound of its own", () => {
    expect(warningsOf(at(["trading", "max_symbols"], 10_000_000))).toEqual([]);
    expect(warningsOf(at(["trading", "max_symbols"], 2_000_000_000))).toEqual([]);
  });
});

describe("enums", () => {
  const cases: [readonly string[], unknown, string][] = [
    [["trading", "mode"], "LIVE", "trading.mode"],
    [["trading", "mode"], "backtest", "trading.mode"],
    [["trading", "position_sizing", "method"], "kelly", "trading.position_sizing.method"],
    [["trading", "execution", "order_type"], "stop", "trading.execution.order_type"],
    [["trading", "execution", "time_in_force"], "fok", "trading.execution.time_in_force"],
    [["strategies", "momentum", "execution", "time_in_force"], "DAY", "strategies.momentum.execution.time_in_force"],
    [["symbols", "AAPL", "position_sizing", "method"], "", "symbols.AAPL.position_sizing.method"],
  ];
  for (const [path, value, expected] of cases) {
    test(`${expected} = ${JSON.stringify(value)}`, () => {
      expectOnlyIssue(at(path, value), expected, "invalid_value");
    });
  }

  test("every allowed value is accepted", () => {
    for (const mode of ["paper", "live"]) expect(validate(at(["trading", "mode"], mode)).ok).toBe(true);
    for (const m of ["fixed", "scaled"]) expect(validate(at(["trading", "position_sizing", "method"], m)).ok).toBe(true);
    for (const t of ["limit", "market"]) expect(validate(at(["trading", "execution", "order_type"], t)).ok).toBe(true);
    for (const t of ["day", "ioc", "gtc"]) expect(validate(at(["trading", "execution", "time_in_force"], t)).ok).toBe(true);
  });

  test("a number where an enum belongs is refused as a value", () => {
    expectOnlyIssue(at(["trading", "mode"], 1), "trading.mode", "invalid_value");
  });
});

describe("day_reset_utc", () => {
  for (const bad of ["24:00", "9:00", "09:60", "0900", "09:00:00", "", " 09:00"]) {
    test(`${JSON.stringify(bad)} is refused`, () => {
      expectOnlyIssue(at(["risk", "day_reset_utc"], bad), "risk.day_reset_utc", "invalid_format");
    });
  }
  test("00:00, 09:30 and 23:59 are accepted", () => {
    for (const ok of ["00:00", "09:30", "23:59"]) expect(validate(at(["risk", "day_reset_utc"], ok)).ok).toBe(true);
  });
  test("a number is a type error", () => {
    expectOnlyIssue(at(["risk", "day_reset_utc"], 900), "risk.day_reset_utc", "invalid_type");
  });
});

describe("names", () => {
  // A symbol replaces all the others (they would be fine); a strategy joins "momentum", which AAPL uses.
  const rename = (section: "symbols" | "strategies", name: string) =>
    docWith((d) => {
      if (section === "symbols") d.symbols = { [name]: symbol() };
      else d.strategies[name] = {};
    });

  for (const [name, path] of [["aapl", "symbols.aapl"], ["A".repeat(33), `symbols.${"A".repeat(33)}`], ["BRK B", 'symbols["BRK B"]'], ["", 'symbols[""]']] as const) {
    test(`symbol ${JSON.stringify(name)} is refused at ${path}`, () => {
      expectOnlyIssue(rename("symbols", name), path, "invalid_key");
    });
  }

  test("symbols of 32 characters and with . _ - / : are accepted", () => {
    for (const name of ["A".repeat(32), "BRK.B", "ES_F", "BTC-USD", "EUR/USD", "XETR:SAP", "7203"]) {
      expect(validate(rename("symbols", name)).ok).toBe(true);
    }
  });

  test("strategy names: letters, digits, _ and -, 1-64 characters", () => {
    expectOnlyIssue(rename("strategies", "mean.reversion"), 'strategies["mean.reversion"]', "invalid_key");
    expectOnlyIssue(rename("strategies", "a b"), 'strategies["a b"]', "invalid_key");
    expectOnlyIssue(rename("strategies", "x".repeat(65)), `strategies.${"x".repeat(65)}`, "invalid_key");
    expect(validate(rename("strategies", "Mean_Reversion-2"))).toMatchObject({ ok: true });
  });

  test("sector names follow the same pattern", () => {
    const d = docWith((d) => {
      d.risk.sectors["big tech"] = { max_gross_exposure: 1 };
    });
    expectOnlyIssue(d, 'risk.sectors["big tech"]', "invalid_key");
  });

  test("a symbol's sector and strategy references must be names too", () => {
    expectOnlyIssue(at(["symbols", "AAPL", "sector"], "big tech"), "symbols.AAPL.sector", "invalid_format");
    expectOnlyIssue(at(["symbols", "AAPL", "strategy"], 7), "symbols.AAPL.strategy", "invalid_type");
  });
});

describe("required symbol fields", () => {
  for (const field of ["sector", "reference_price", "tick_size", "lot_size"]) {
    test(`a symbol without ${field}`, () => {
      const d = docWith((d) => delete d.symbols["BRK.B"][field]);
      const issue = expectOnlyIssue(d, `symbols["BRK.B"].${field}`, "invalid_type");
      expect(issue.message).toContain("required");
    });
  }

  test("an empty symbol reports all four, in the document's (sorted) key order", () => {
    const d = docWith((d) => (d.symbols.MSFT = {}));
    expect(pathsAndCodes(issuesOf(d))).toEqual([
      ["symbols.MSFT.lot_size", "invalid_type"],
      ["symbols.MSFT.reference_price", "invalid_type"],
      ["symbols.MSFT.sector", "invalid_type"],
      ["symbols.MSFT.tick_size", "invalid_type"],
    ]);
  });
});

describe("containers of the wrong type", () => {
  for (const [raw, path] of [
    [null, ""], [[], ""], ["text", ""], [42, ""],
    [{ trading: [] }, "trading"], [{ symbols: "AAPL" }, "symbols"], [{ risk: { sectors: null } }, "risk.sectors"],
    [{ strategies: { m: [] } }, "strategies.m"], [{ symbols: { A: 1 } }, "symbols.A"],
  ] as const) {
    test(`${JSON.stringify(raw)} -> ${JSON.stringify(path)}`, () => {
      expectOnlyIssue(raw, path, "invalid_type");
    });
  }
});
