/** `keel auth keygen` and `keel auth sign` as processes, and their tokens verified as serve does. */
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { importPublicKey } from "../../src/auth/keys.ts";
import { verifyToken } from "../../src/auth/verify.ts";
import { keel } from "../crash/harness.ts";
import { cleanupDirs, tempDir } from "./fixtures.ts";

afterEach(cleanupDirs);

/** A key pair made by `keel auth keygen` in a fresh dir. */
async function keygen(): Promise<{ dir: string; key: string; pub: string; keyId: string }> {
  const dir = join(tempDir(), "keys");
  const r = await keel(["auth", "keygen", "--out", dir]);
  expect(r.code).toBe(0);
  const keyId = /^key id ([0-9a-f]{16})$/m.exec(r.stdout)![1]!;
  return { dir, key: join(dir, "keel-auth.key"), pub: join(dir, "keel-auth.pub"), keyId };
}

async function trusted(pub: string) {
  const k = await importPublicKey(readFileSync(pub, "utf8"), pub);
  if (typeof k === "string") throw new Error(k);
  return k;
}

describe("keel auth keygen", () => {
  test("writes a PKCS#8 private key (0600, in a 0700 dir) and an SPKI public key, and never overwrites them", async () => {
    const { dir, key, pub, keyId } = await keygen();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(readFileSync(key, "utf8")).toStartWith("-----BEGIN PRIVATE KEY-----\n");
    expect(readFileSync(pub, "utf8")).toStartWith("-----BEGIN PUBLIC KEY-----\n");
    expect((await trusted(pub)).keyId).toBe(keyId);

    const before = readFileSync(key, "utf8");
    const again = await keel(["auth", "keygen", "--out", dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`keel auth keygen: ${key} already exists; keygen never overwrites a key (choose another --out or --name)\n`);
    expect(readFileSync(key, "utf8")).toBe(before);
    // Another name beside it is fine.
    expect((await keel(["auth", "keygen", "--out", dir, "--name", "second"])).code).toBe(0);
  });

  test("bad flags are one-line usage errors, exit 2", async () => {
    const [noOut, badName, unknown] = await Promise.all([
      keel(["auth", "keygen"]),
      keel(["auth", "keygen", "--out", tempDir(), "--name", "../x"]),
      keel(["auth", "frobnicate"]),
    ]);
    expect([noOut.code, badName.code, unknown.code]).toEqual([2, 2, 2]);
    expect(noOut.stderr).toBe("keel auth: keygen: --out DIR is required (see 'keel auth --help')\n");
    expect(badName.stderr).toContain("--name expects letters, digits");
    expect(unknown.stderr).toBe("keel auth: unknown subcommand 'frobnicate' (keygen or sign) (see 'keel auth --help')\n");
  });
});

describe("keel auth sign", () => {
  test("writes a token that verifies against the public key, for the host, window and caps asked for", async () => {
    const { key, pub, keyId } = await keygen();
    const out = join(tempDir(), "live.token");
    const r = await keel([
      "auth", "sign", "--key", key, "--host", "trading-01", "--expires", "7d", "--not-before", "2030-01-01T08:00:00Z",
      "--max-order-notional", "50000", "--max-daily-loss", "1e4", "--out", out,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `${out}: signed by key ${keyId} for host trading-01, mode live, valid 2030-01-01T08:00:00.000Z to 2030-01-08T08:00:00.000Z (7d), caps: max_order_notional 50000, max_daily_loss 10000\n`,
    );
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const v = await verifyToken(readFileSync(out, "utf8"), [await trusted(pub)], "TRADING-01", Date.parse("2030-01-02T00:00:00Z"));
    if (!v.ok) throw new Error(v.message);
    expect(v.auth).toMatchObject({
      host: "trading-01", keyId, notBefore: Date.parse("2030-01-01T08:00:00Z"), expiresAt: Date.parse("2030-01-08T08:00:00Z"),
      caps: { max_order_notional: 50_000, max_daily_loss: 10_000 },
    });
  });

  test("without --out the token goes to stdout and the summary to stderr; not-before defaults to now", async () => {
    const { key, pub } = await keygen();
    const before = Date.now();
    const r = await keel(["auth", "sign", "--key", key, "--host", "h1", "--expires", "30m"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(r.stderr).toContain("for host h1, mode live, valid ");
    expect(r.stderr).toContain("(30m), caps: none");
    const v = await verifyToken(r.stdout, [await trusted(pub)], "h1", Date.now());
    if (!v.ok) throw new Error(v.message);
    expect(v.auth.notBefore).toBeGreaterThanOrEqual(before);
    expect(v.auth.expiresAt - v.auth.notBefore).toBe(30 * 60_000);
    expect(v.auth.caps).toEqual({});
  });

  test("bad input: usage errors (exit 2) name the flag; an unusable key is exit 1", async () => {
    const { key, pub } = await keygen();
    const sign = (...extra: string[]) => keel(["auth", "sign", "--key", key, "--host", "h1", "--expires", "8h", ...extra]);
    const [dur, host, cap, nb, missing] = await Promise.all([
      keel(["auth", "sign", "--key", key, "--host", "h1", "--expires", "8 hours"]),
      keel(["auth", "sign", "--key", key, "--host", "bad host!", "--expires", "8h"]),
      sign("--max-order-notional=0"),
      sign("--not-before", "2030-01-01 08:00"),
      keel(["auth", "sign", "--key", key, "--expires", "8h"]),
    ]);
    expect([dur.code, host.code, cap.code, nb.code, missing.code]).toEqual([2, 2, 2, 2, 2]);
    expect(dur.stderr).toBe("keel auth: sign: --expires: expected a duration like 30m, 8h, 7d or 1h30m (units s, m, h, d), got '8 hours' (see 'keel auth --help')\n");
    expect(host.stderr).toContain("--host expects a host name");
    expect(cap.stderr).toContain("--max-order-notional expects a positive number, got '0'");
    expect(nb.stderr).toContain("--not-before: expected 'now', +DURATION");
    expect(missing.stderr).toContain("keel auth: sign: --host is required");

    chmodSync(pub, 0o600);
    const [loose, wrongHalf, absent] = await Promise.all([
      (async () => {
        chmodSync(key, 0o644);
        return sign();
      })(),
      keel(["auth", "sign", "--key", pub, "--host", "h1", "--expires", "8h"]),
      keel(["auth", "sign", "--key", join(tempDir(), "none.key"), "--host", "h1", "--expires", "8h"]),
    ]);
    expect([loose.code, wrongHalf.code, absent.code]).toEqual([1, 1, 1]);
    expect(loose.stderr).toBe(`keel auth sign: private key ${key} is readable or writable by group or others (mode 0644); chmod 600 it\n`);
    expect(wrongHalf.stderr).toBe(`keel auth sign: ${pub} is a public key; signing needs the private key (PKCS#8 PEM)\n`);
    expect(absent.stderr).toContain("does not exist");
  });

  test("--help on every level, and keel --help lists the command; serve --help documents its flags", async () => {
    const [top, auth, kg, sg, serve] = await Promise.all([
      keel(["--help"]), keel(["auth", "--help"]), keel(["auth", "keygen", "--help"]), keel(["auth", "sign", "--help"]), keel(["serve", "--help"]),
    ]);
    expect([top.code, auth.code, kg.code, sg.code, serve.code]).toEqual([0, 0, 0, 0, 0]);
    expect(top.stdout).toMatch(/^ {2}auth +make signing keys/m);
    expect(auth.stdout).toContain("keel auth keygen --out DIR");
    expect(kg.stdout).toContain("PKCS#8 PEM, mode 0600");
    expect(sg.stdout).toContain('"keel-live-auth.v1."');
    expect(serve.stdout).toContain("--live-auth TOKEN|FILE");
    expect(serve.stdout).toContain("--trusted-key FILE");
    expect(serve.stdout).toContain("3 live trading refused");
  });
});
