/** Text -> raw value, and the path and issue formatting every entry point prints. */
import { describe, expect, test } from "bun:test";
import { formatIssue, formatPath } from "../../src/config/errors.ts";
import { formatOf, parseText } from "../../src/config/load.ts";
import { prepareText } from "../../src/config/prepare.ts";

describe("parseText", () => {
  test("TOML and JSON give the same raw value", () => {
    const toml = parseText('[trading]\nmode = "paper"\n[symbols."BRK.B"]\nlot_size = 1\n', "toml");
    const json = parseText('{"trading":{"mode":"paper"},"symbols":{"BRK.B":{"lot_size":1}}}', "json");
    expect(toml).toEqual({ ok: true, value: { trading: { mode: "paper" }, symbols: { "BRK.B": { lot_size: 1 } } } });
    expect(json).toEqual(toml);
  });

  test("a syntax error is an issue at the document, not an exception", () => {
    for (const [text, format] of [["[trading\nmode = 1", "toml"], ["{\"trading\": ", "json"], ["mode = = 1", "toml"]] as const) {
      const r = parseText(text, format);
      if (r.ok) throw new Error(`parsed: ${text}`);
      expect(r.issue.path).toBe("");
      expect(r.issue.code).toBe("parse_error");
      expect(r.issue.message).toStartWith(`invalid ${format.toUpperCase()}: `);
    }
  });

  test("a TOML syntax error names its line and column, on one line", () => {
    const r = parseText('[trading]\nmode = "paper"\nmax_symbols = = 5\n', "toml");
    if (r.ok) throw new Error("parsed");
    expect(r.issue.message).toMatch(/^invalid TOML: line 3, column \d+: \S/);
    expect(r.issue.message).not.toContain("\n");
  });

  test("prepareText carries the parse error as its only issue", () => {
    const r = prepareText("not json", "json");
    if (r.ok) throw new Error("parsed");
    expect(r.issues.map((i) => [i.path, i.code])).toEqual([["", "parse_error"]]);
  });

  test("TOML values that JSON cannot hold are refused by validation, not parsed into numbers", () => {
    const r = prepareText("[trading.position_sizing]\ndefault_position_size = nan\nmax_position_size = inf\n", "toml");
    if (r.ok) throw new Error("valid");
    expect(r.issues.map((i) => [i.path, i.code])).toEqual([
      ["trading.position_sizing.default_position_size", "invalid_type"],
      ["trading.position_sizing.max_position_size", "invalid_type"],
    ]);
  });

  test("formatOf: .json (any case) is JSON, anything else TOML", () => {
    expect(formatOf("a/b.json")).toBe("json");
    expect(formatOf("B.JSON")).toBe("json");
    expect(formatOf("a.toml")).toBe("toml");
    expect(formatOf("config")).toBe("toml");
    expect(formatOf("json.toml")).toBe("toml");
  });
});

describe("formatPath", () => {
  test("plain keys are joined with dots", () => {
    expect(formatPath(["symbols", "AAPL", "tick_size"])).toBe("symbols.AAPL.tick_size");
    expect(formatPath(["strategies", "mean-reversion_2", "limits"])).toBe("strategies.mean-reversion_2.limits");
  });

  test("keys that would be ambiguous are quoted", () => {
    expect(formatPath(["symbols", "BRK.B", "lot_size"])).toBe('symbols["BRK.B"].lot_size');
    expect(formatPath(["symbols", "EUR/USD"])).toBe('symbols["EUR/USD"]');
    expect(formatPath(["symbols", 'A"B'])).toBe('symbols["A\\"B"]');
    expect(formatPath(["a b"])).toBe('["a b"]');
    expect(formatPath(["symbols", ""])).toBe('symbols[""]');
  });

  test("array indices are bracketed, and the empty path is the document", () => {
    expect(formatPath(["x", 0, "y"])).toBe("x[0].y");
    expect(formatPath([])).toBe("");
  });
});

describe("formatIssue", () => {
  test("path: message, with (document) for the root", () => {
    expect(formatIssue({ path: "risk.limits.max_positions", message: "must be greater than 0, got 0" })).toBe(
      "risk.limits.max_positions: must be greater than 0, got 0",
    );
    expect(formatIssue({ path: "", message: "invalid TOML: x" })).toBe("(document): invalid TOML: x");
  });
});
