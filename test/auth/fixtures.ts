/** Keys, tokens and live configs for the authorisation tests: real key files in temp dirs. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, importPrivateKey, importPublicKey, type KeyPair, type TrustedKey } from "../../src/auth/keys.ts";
import { signToken, TOKEN_VERSION } from "../../src/auth/token.ts";
import { EMBEDDED_DEFAULT } from "../../src/cli/source.ts";

const dirs: string[] = [];

/** A temp dir removed by cleanupDirs(). */
export function tempDir(prefix = "keel-auth-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

export function cleanupDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A key pair with its signing key and trusted (public) key imported. */
export interface TestKey {
  readonly pair: KeyPair;
  readonly sign: CryptoKey;
  readonly trusted: TrustedKey;
}

export async function testKey(): Promise<TestKey> {
  const pair = await generateKeyPair();
  const priv = await importPrivateKey(pair.privatePem, "test key");
  const pub = await importPublicKey(pair.publicPem, "test.pub");
  if (typeof priv === "string" || typeof pub === "string") throw new Error("key import failed");
  return { pair, sign: priv.key, trusted: pub };
}

/** A live payload for this host valid around `now`, with fields overridden. */
export function payload(key: TestKey, now: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    v: TOKEN_VERSION, mode: "live", host: hostname(), key_id: key.pair.keyId, issued_at: iso(now), not_before: iso(now - 60_000),
    expires_at: iso(now + 3_600_000), ...over,
  };
}

export async function token(key: TestKey, now: number, over: Record<string, unknown> = {}): Promise<string> {
  return signToken(payload(key, now, over), key.sign);
}

/**
 * The token with one byte of its payload changed, the signature kept: the first byte of the
 * decoded payload's JSON at `after`'s end (a field still parses; its value now differs).
 * @example tamperByte(t, '"expires_at":"20') // 2026 -> 2027... as one byte
 */
export function tamperByte(t: string, after: string): string {
  const [p, sig] = t.split(".") as [string, string];
  const bytes = Buffer.from(p, "base64url");
  const at = bytes.indexOf(after) + after.length;
  if (at < after.length) throw new Error(`no ${after} in the payload`);
  bytes[at] = bytes[at] === 0x39 ? 0x38 : bytes[at]! + 1;
  return `${bytes.toString("base64url")}.${sig}`;
}

/** The token with one character of its encoded payload part changed, the signature kept. */
export function tamper(t: string, at: number): string {
  const [p, sig] = t.split(".") as [string, string];
  const c = p[at]!;
  const swapped = c === "A" ? "B" : "A";
  return `${p.slice(0, at)}${swapped}${p.slice(at + 1)}.${sig}`;
}

/** A data dir whose trusted_keys/ holds the key's public half. */
export function dataWithTrust(key: TestKey): string {
  const data = tempDir("keel-auth-data-");
  mkdirSync(join(data, "trusted_keys"), { mode: 0o755 });
  writeFileSync(join(data, "trusted_keys", "signer.pub"), key.pair.publicPem, { mode: 0o644 });
  return data;
}

/** The embedded default config with mode = "live" (and edits), written to a temp file. */
export function liveConfig(edit: (text: string) => string = (t) => t, venuePort = 9): string {
  const path = join(tempDir("keel-auth-config-"), "live.toml");
  // Live orders go to a FIX counterparty: a live config names one (port 9, discard, when the test
  // never gets as far as connecting).
  const venue = `\n[venue]\nhost = "127.0.0.1"\nport = ${venuePort}\nsender_comp_id = "KEEL"\ntarget_comp_id = "VENUE"\nreconnect_initial_ms = 50\nreconnect_max_ms = 500\n`;
  writeFileSync(path, edit(EMBEDDED_DEFAULT.text.replace(/^mode = "paper"/m, 'mode = "live"')) + venue);
  return path;
}
