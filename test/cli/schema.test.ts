/** `keel schema`, and the top-level command line (--version, --help, unknown commands). */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };

const MAIN = join(import.meta.dir, "../../src/main.ts");

async function keel(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn([process.execPath, MAIN, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

const lines = (text: string) => text.split("\n").filter((l) => l.length > 0);

type Json = Record<string, any>;

/** Every object in a JSON value, depth first. */
function* objects(v: unknown): Generator<Json> {
  if (v === null || typeof v !== "object") return;
  if (!Array.isArray(v)) yield v as Json;
  for (const x of Object.values(v)) yield* objects(x);
}

describe("keel schema", () => {
  const run = keel("schema");

  test("exits 0 and prints JSON Schema that parses", async () => {
    const r = await run;
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const schema = JSON.parse(r.stdout);
    expect(schema.$schema).toContain("json-schema.org");
    expect(schema.type).toBe("object");
    expect(schema.title).toBe("keel config document");
  });

  test("has the six sections, and nothing else, at the top", async () => {
    const schema = JSON.parse((await run).stdout);
    expect(Object.keys(schema.properties).sort()).toEqual(["admin", "risk", "strategies", "symbols", "trading", "venue"]);
    expect(schema.additionalProperties).toBe(false);
  });

  test("unknown keys are refused in every fixed table", async () => {
    const schema = JSON.parse((await run).stdout);
    const closed = [...objects(schema)].filter((o) => o.type === "object" && o.properties !== undefined);
    expect(closed.length).toBeGreaterThan(5);
    for (const o of closed) expect(o.additionalProperties).toBe(false);
  });

  test("describes the fields' rules", async () => {
    const schema = JSON.parse((await run).stdout);
    const trading = schema.properties.trading.properties;
    expect(trading.mode.enum).toEqual(["paper", "live"]);
    expect(trading.max_symbols.type).toBe("integer");
    expect(trading.position_sizing.properties.method.enum).toEqual(["fixed", "scaled"]);
    expect(trading.position_sizing.properties.default_position_size.exclusiveMinimum).toBe(0);
    expect(trading.execution.properties.time_in_force.enum).toEqual(["day", "ioc", "gtc"]);
    expect(schema.properties.risk.properties.day_reset_utc.pattern).toBeString();

    const symbols = schema.properties.symbols;
    expect(new RegExp(symbols.propertyNames.pattern).test("BRK.B")).toBe(true);
    expect(new RegExp(symbols.propertyNames.pattern).test("aapl")).toBe(false);
    expect([...symbols.additionalProperties.required].sort()).toEqual(["lot_size", "reference_price", "sector", "tick_size"]);
    expect(symbols.additionalProperties.properties.lot_size.type).toBe("integer");
    expect(schema.properties.strategies.additionalProperties.properties.limits.additionalProperties).toBe(false);
  });

  test("--help: exit 0 with usage", async () => {
    const r = await keel("schema", "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toStartWith("Usage: keel schema");
  });

  test("an argument or unknown flag: exit 2 with a one-line error", async () => {
    for (const args of [["schema", "extra"], ["schema", "--pretty"]]) {
      const r = await keel(...args);
      expect(r.code).toBe(2);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toStartWith("keel schema: ");
      expect(r.stdout).toBe("");
    }
  });
});

describe("keel (top level)", () => {
  test("--version and -v print package.json's version", async () => {
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+/);
    for (const flag of ["--version", "-v"]) {
      const r = await keel(flag);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${pkg.version}\n`);
    }
  });

  test("an unknown command: exit 2 with a one-line error", async () => {
    const r = await keel("frobnicate");
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual(["keel: unknown command 'frobnicate' (see 'keel --help')"]);
    expect(r.stdout).toBe("");
  });

  test("an unknown option before any command: exit 2", async () => {
    const r = await keel("--frobnicate");
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual(["keel: unknown option '--frobnicate' (see 'keel --help')"]);
  });

  test("--help: exit 0, lists the commands", async () => {
    const r = await keel("--help");
    expect(r.code).toBe(0);
    for (const command of ["serve", "validate", "schema"]) expect(r.stdout).toContain(`  ${command} `);
  });

  test("no command at all: usage, and exit 2", async () => {
    const r = await keel();
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("Usage: keel <command>");
  });
});
