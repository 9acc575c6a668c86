/** `keel validate`, run as a process on real files. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const MAIN = join(import.meta.dir, "../../src/main.ts");
const dir = mkdtempSync(join(tmpdir(), "keel-validate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function keel(...args: string[]): Promise<Run> {
  const p = Bun.spawn([process.execPath, MAIN, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe", cwd: dir });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

/** Write a file into the temp dir and return its absolute path. */
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const lines = (text: string) => text.split("\n").filter((l) => l.length > 0);

const SYMBOL = 'sector = "tech"\nreference_price = 190.5\ntick_size = 0.01\nlot_size = 1\n';
const VALID = `[risk.sectors.tech]\nmax_gross_exposure = 1000000\n\n[symbols.AAPL]\n${SYMBOL}`;
const VALID_JSON = {
  symbols: { AAPL: { lot_size: 1, tick_size: 0.01, reference_price: 190.5, sector: "tech" } },
  risk: { sectors: { tech: { max_gross_exposure: 1_000_000 } } },
};

describe("keel validate", () => {
  test("with no file checks the embedded default: exit 0, nothing on stderr", async () => {
    const r = await keel("validate");
    expect(r.code).toBe(0);
    expect(r.stdout).toStartWith("embedded config/default.toml: valid (28 symbols");
    expect(r.stdout).toMatch(/sha256 [0-9a-f]{64}\n$/);
    expect(r.stderr).toBe("");
  });

  test("a valid file with warnings: exit 0, one 'warning: path: message' line each on stderr", async () => {
    const path = file(
      "warnings.toml",
      `[risk.limits]\nmax_daily_trades = 500\n\n[risk.sectors.energy]\nmax_gross_exposure = 1\n\n${VALID}`,
    );
    const r = await keel("validate", path);
    expect(r.code).toBe(0);
    expect(lines(r.stderr)).toEqual([
      "warning: risk.limits.max_daily_trades: max_daily_trades (500) is over 200",
      "warning: risk.sectors.energy: no symbol uses this sector",
    ]);
    expect(r.stdout).toContain(`${path}: valid (1 symbols, 2 sectors, 0 strategies, 1 distinct profiles, 2 warnings)`);
  });

  test("an invalid file: exit 1, every issue on its own line as 'path: message'", async () => {
    const path = file(
      "invalid.toml",
      `colour = "red"\n\n[risk.limits]\nmax_positions = 0\n\n[risk.sectors.tech]\nmax_gross_exposure = 1\n\n` +
        `[symbols."BRK.B"]\nsector = "tech"\nreference_price = 412.3\ntick_size = 0.01\nlot_size = 2.5\n\n[symbols.aapl]\n${SYMBOL}`,
    );
    const r = await keel("validate", path);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(lines(r.stderr).sort()).toEqual([
      "colour: unknown key (not part of the config document)",
      `${path}: invalid (4 issues)`,
      "risk.limits.max_positions: must be greater than 0, got 0",
      'symbols.aapl: a symbol is 1-32 characters of A-Z, 0-9 and . _ - / :',
      'symbols["BRK.B"].lot_size: expected an integer, got 2.5',
    ].sort());
  });

  test("cross-field issues name the symbol and the full path", async () => {
    const path = file(
      "rules.toml",
      `${VALID}\n[symbols.AAPL.position_sizing]\nmax_position_size = 50\n\n[symbols.MSFT]\n${SYMBOL.replace("tech", "energy")}strategy = "momentum"\n`,
    );
    const r = await keel("validate", path);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      "symbols.AAPL.position_sizing.max_position_size: max_position_size (50) must be greater than default_position_size (100)",
      'symbols.MSFT.sector: sector "energy" is not defined in risk.sectors',
      'symbols.MSFT.strategy: strategy "momentum" is not defined in strategies',
      `${path}: invalid (3 issues)`,
    ]);
  });

  test("a TOML syntax error: exit 1, reported at the document", async () => {
    const r = await keel("validate", file("broken.toml", "[trading\nmode = 'paper'\n"));
    expect(r.code).toBe(1);
    expect(lines(r.stderr)[0]).toStartWith("(document): invalid TOML: ");
    expect(lines(r.stderr)).toHaveLength(2);
  });

  test("a .json file is read as JSON, with the same hash as the same config in TOML", async () => {
    const json = await keel("validate", file("config.json", JSON.stringify(VALID_JSON)));
    const toml = await keel("validate", file("config.toml", VALID));
    expect(json.code).toBe(0);
    expect(toml.code).toBe(0);
    const hash = (r: Run) => r.stdout.match(/sha256 ([0-9a-f]{64})/)?.[1];
    expect(hash(json)).toBeDefined();
    expect(hash(json)).toBe(hash(toml));
    // The same JSON text under a .toml name is parsed as TOML, and fails.
    const misnamed = await keel("validate", file("json-text.toml", JSON.stringify(VALID_JSON)));
    expect(misnamed.code).toBe(1);
    expect(misnamed.stderr).toContain("(document): invalid TOML");
  });

  test("a missing file: exit 1 with one clear line", async () => {
    const path = join(dir, "nope", "missing.toml");
    const r = await keel("validate", path);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([`keel validate: config file not found: ${path}`]);
    expect(r.stdout).toBe("");
  });

  test("--json on a valid file: parseable, valid, with hash and warnings", async () => {
    const r = await keel("validate", "--json", file("json-ok.toml", `[risk.sectors.unused]\nmax_gross_exposure = 1\n\n${VALID}`));
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.valid).toBe(true);
    expect(out.issues).toEqual([]);
    expect(out.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(out.symbols).toBe(1);
    expect(out.warnings).toEqual([{ path: "risk.sectors.unused", code: "unused_sector", message: "no symbol uses this sector" }]);
    expect(r.stderr).toBe("");
  });

  test("--json on an invalid file: exit 1, issues with path, code and message", async () => {
    const r = await keel("validate", file("json-bad.json", JSON.stringify({ ...VALID_JSON, trading: { mode: "LIVE" } })), "--json");
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.valid).toBe(false);
    expect(out.issues).toEqual([{ path: "trading.mode", code: "invalid_value", message: 'expected one of "paper", "live"' }]);
  });

  test("--json with no file checks the embedded default", async () => {
    const r = await keel("validate", "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, symbols: 28, issues: [] });
  });

  test("an unknown flag: exit 2 with a one-line error", async () => {
    const r = await keel("validate", "--bogus", file("flag.toml", VALID));
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain("--bogus");
    expect(r.stderr).toStartWith("keel validate: ");
    expect(r.stdout).toBe("");
  });

  test("two files: exit 2 with a one-line error", async () => {
    const r = await keel("validate", file("a.toml", VALID), file("b.toml", VALID));
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain("unexpected argument");
  });

  test("--help and -h: exit 0 with usage on stdout", async () => {
    for (const flag of ["--help", "-h"]) {
      const r = await keel("validate", flag);
      expect(r.code).toBe(0);
      expect(r.stdout).toStartWith("Usage: keel validate [FILE] [--json]");
      expect(r.stderr).toBe("");
    }
  });
});
