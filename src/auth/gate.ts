/**
 * The start-up gate for live trading: from `keel serve`'s flags to a verified Authorisation or
 * a denial. Reads the token (given inline or as a file), loads the trusted public keys
 * (`--trusted-key FILE`, repeatable, or else every file in DIR/trusted_keys/), and verifies.
 *
 * A trusted key file that group or others may write is refused, as ssh refuses a loose
 * authorized_keys: whoever can write a trusted key can authorise live trading, so that key is
 * only as safe as the file's permissions.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { importPublicKey, type TrustedKey } from "./keys.ts";
import { splitToken } from "./token.ts";
import { deny, verifyToken, type Verdict } from "./verify.ts";

/** Where `keel serve` looks for trusted keys when no --trusted-key is given: DIR/trusted_keys/. */
export const TRUSTED_KEYS_DIR = "trusted_keys";

export interface GateInput {
  /** --live-auth: the token, or a file holding it. */
  readonly liveAuth: string | undefined;
  /** --trusted-key files; empty: every file in `<dataDir>/trusted_keys/`. */
  readonly trustedKeys: readonly string[];
  readonly dataDir: string;
  readonly host: string;
  readonly now: number;
}

/** Decide whether this process may trade live. */
export async function authoriseLive(o: GateInput): Promise<Verdict> {
  if (o.liveAuth === undefined || o.liveAuth.trim() === "") {
    return deny("missing_token", `trading.mode = "live" needs a signed authorisation: --live-auth TOKEN (a token from 'keel auth sign', or a file holding one)`);
  }
  const token = readToken(o.liveAuth);
  if (typeof token !== "string") return token.verdict;
  // A token that is not even shaped like one is reported as such, whatever the keys.
  const shape = splitToken(token);
  if (typeof shape === "string") {
    const given = token === o.liveAuth.trim() ? `'${clip(token)}' is neither a file nor a token` : `${o.liveAuth} does not hold a token`;
    return deny("malformed_token", `--live-auth ${given}: ${shape}`);
  }
  const keys = await loadTrustedKeys(o.trustedKeys, o.dataDir);
  if (!Array.isArray(keys)) return keys as Verdict;
  return verifyToken(token, keys, o.host, o.now);
}

/** The token text: the flag's value, or the contents of the file it names. */
function readToken(value: string): string | { verdict: Verdict } {
  if (!existsSync(value)) return value;
  try {
    if (!statSync(value).isFile()) return { verdict: deny("malformed_token", `--live-auth ${value} is not a file`) };
    return readFileSync(value, "utf8").trim();
  } catch (err) {
    return { verdict: deny("malformed_token", `cannot read --live-auth ${value}: ${err instanceof Error ? err.message : String(err)}`) };
  }
}

/** The trusted keys, or the denial that says why there are none usable. */
export async function loadTrustedKeys(files: readonly string[], dataDir: string): Promise<TrustedKey[] | Verdict> {
  const dir = join(dataDir, TRUSTED_KEYS_DIR);
  let paths: string[];
  if (files.length > 0) {
    paths = [...files];
  } else {
    const none = deny("no_trusted_key", `no trusted public key: give --trusted-key FILE, or put the signer's public key ('keel auth keygen' writes it as .pub) in ${dir}/`);
    if (!existsSync(dir)) return none;
    const loose = looseness(dir);
    if (loose !== null) return deny("bad_trusted_key", `${dir} ${loose}`);
    paths = readdirSync(dir).filter((n) => !n.startsWith(".")).sort().map((n) => join(dir, n));
    if (paths.length === 0) return none;
  }
  const keys: TrustedKey[] = [];
  for (const path of paths) {
    let text: string;
    try {
      if (!statSync(path).isFile()) return deny("bad_trusted_key", `trusted key ${path} is not a file`);
      const loose = looseness(path);
      if (loose !== null) return deny("bad_trusted_key", `trusted key ${path} ${loose}`);
      text = readFileSync(path, "utf8");
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      return deny("bad_trusted_key", code === "ENOENT" ? `trusted key ${path} does not exist` : `cannot read trusted key ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const key = await importPublicKey(text, `trusted key ${path}`);
    if (typeof key === "string") return deny("bad_trusted_key", key);
    keys.push({ ...key, source: path });
  }
  return keys;
}

/** Why a trusted key file or directory is unsafe (writable by group or others), or null. */
function looseness(path: string): string | null {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o022) === 0) return null;
  return `is writable by group or others (mode ${mode.toString(8).padStart(4, "0")}), so anyone who can write it could authorise live trading; chmod go-w it`;
}

/** A flag value short enough to quote in a message. */
function clip(text: string): string {
  return text.length <= 40 ? text : `${text.slice(0, 37)}...`;
}
