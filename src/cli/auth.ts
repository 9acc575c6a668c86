/**
 * `keel auth keygen` and `keel auth sign`: the signer's side of live authorisation. The private
 * key stays with whoever may authorise live trading (never on the trading host); the trading host
 * holds only public keys (DIR/trusted_keys/) and a token for itself. `keel serve` verifies
 * (auth/gate.ts). Formats: auth/keys.ts (PEM files) and auth/token.ts (the token).
 * Exit codes: 0 done, 1 a key that cannot be used or a file that would be overwritten, 2 bad flags.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CAP_FIELDS, type CapField } from "../auth/caps.ts";
import { formatDuration, MAX_DURATION_MS, parseDuration, parseInstant } from "../auth/duration.ts";
import { TRUSTED_KEYS_DIR } from "../auth/gate.ts";
import { generateKeyPair, importPrivateKey } from "../auth/keys.ts";
import { signToken, TOKEN_VERSION, type Payload } from "../auth/token.ts";
import { parse, UsageError } from "./args.ts";

export const DEFAULT_NAME = "keel-auth";

export const help = `Usage: keel auth keygen --out DIR [--name NAME]
       keel auth sign --key PRIVATE --host HOSTNAME --expires DURATION [--not-before TIME]
                      [--max-order-notional X] [--max-gross-exposure X] [--max-daily-loss X] [--out FILE]

Live trading needs a signed authorisation that no config edit can produce. The signer keeps an
Ed25519 private key; the trading host trusts its public key and starts live only with a token
signed by it, naming that host, and valid now ('keel serve --live-auth').

Commands:
  keygen   make a key pair: DIR/NAME.key (private, PKCS#8 PEM, mode 0600) and DIR/NAME.pub
           (public, SPKI PEM). Never overwrites.
  sign     write a token for one host, valid for DURATION

Run 'keel auth keygen --help' or 'keel auth sign --help' for their options.

Example:
  keel auth keygen --out ~/.keel
  scp ~/.keel/${DEFAULT_NAME}.pub trading-01:/var/lib/keel/${TRUSTED_KEYS_DIR}/
  keel auth sign --key ~/.keel/${DEFAULT_NAME}.key --host trading-01 --expires 8h --max-order-notional 50000 --out live.token
  keel serve --config live.toml --data /var/lib/keel --live-auth live.token     # on trading-01`;

export const keygenHelp = `Usage: keel auth keygen --out DIR [--name NAME]

Make an Ed25519 key pair for signing live authorisations (WebCrypto):
  DIR/NAME.key   the private key, PKCS#8 PEM, mode 0600: keep it with the signer, never on a
                 trading host
  DIR/NAME.pub   the public key, SPKI PEM: copy it into DATA/${TRUSTED_KEYS_DIR}/ on each trading
                 host (or give it to 'keel serve --trusted-key')
Both are standard PEM ('openssl pkey -in DIR/NAME.key -text' reads the private one). DIR is
created (mode 0700) when missing. The key id printed is the first 16 hex digits of the SHA-256
of the public key's DER bytes; tokens and refusals name keys by it.

Options:
  --out DIR     where to write the pair
  --name NAME   file name without extension (default ${DEFAULT_NAME}); letters, digits, '.', '_', '-'
  -h, --help    show this help

Exit codes: 0 written, 1 a file exists already (nothing is overwritten) or cannot be written,
2 bad flags.`;

export const signHelp = `Usage: keel auth sign --key PRIVATE --host HOSTNAME --expires DURATION [--not-before TIME]
                      [--max-order-notional X] [--max-gross-exposure X] [--max-daily-loss X] [--out FILE]

Write a live trading authorisation token for one host: mode "live", the host, valid from
--not-before (default now) for DURATION, the signing key's id, optional caps, signed with
PRIVATE (Ed25519, from 'keel auth keygen'). The token goes to stdout, or to FILE (mode 0600).

Token format: base64url(JSON payload) "." base64url(signature), where the signature covers
"keel-live-auth.v1." followed by the payload part. The payload is
  {"v":1,"mode":"live","host":...,"key_id":...,"issued_at":...,"not_before":...,"expires_at":...,"caps":{...}}
(times ISO 8601 UTC). It is readable, not secret: anyone can decode it; only the key can make it.

Options:
  --key PRIVATE          the private key file (PKCS#8 PEM); refused when group or others can read it
  --host HOSTNAME        the host it authorises, as that host's 'hostname' prints it (case-insensitive)
  --expires DURATION     how long it is valid from --not-before: 30m, 8h, 7d, 1h30m (at most ${formatDuration(MAX_DURATION_MS)})
  --not-before TIME      when it becomes valid: 'now' (default), +DURATION, or ISO 8601 with a zone
                         (2026-11-26T08:00:00Z)
  --max-order-notional X cap: no order above X notional, whatever the config allows
  --max-gross-exposure X cap: gross exposure at most X
  --max-daily-loss X     cap: halt at a daily loss of X
  --out FILE             write the token to FILE instead of stdout
  -h, --help             show this help

A cap only ever tightens: the limit in force is the smaller of the config's and the cap, for every
symbol, across every config reload, for as long as keel serve runs on this token.

Exit codes: 0 signed, 1 the key cannot be used, 2 bad flags.`;

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = { keygen, sign };

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "-h" || sub === "--help" || sub === "help") {
    console.log(help);
    return sub === undefined ? 2 : 0;
  }
  const command = SUBCOMMANDS[sub];
  if (command === undefined) throw new UsageError(`unknown subcommand '${sub}' (keygen or sign)`);
  try {
    return await command(rest);
  } catch (err) {
    // main.ts prints "keel auth: MESSAGE": name the subcommand too.
    if (err instanceof UsageError) throw new UsageError(`${sub}: ${err.message}`);
    throw err;
  }
}

async function keygen(argv: string[]): Promise<number> {
  const { values } = parse(argv, { out: { type: "string" }, name: { type: "string" } }, 0);
  if (values.help) return (console.log(keygenHelp), 0);
  if (values.out === undefined) throw new UsageError("--out DIR is required");
  const name = values.name ?? DEFAULT_NAME;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) throw new UsageError(`--name expects letters, digits, '.', '_' and '-' (at most 64), got '${name}'`);
  const priv = join(values.out, `${name}.key`);
  const pub = join(values.out, `${name}.pub`);
  for (const path of [priv, pub]) {
    if (existsSync(path)) {
      console.error(`keel auth keygen: ${path} already exists; keygen never overwrites a key (choose another --out or --name)`);
      return 1;
    }
  }
  const pair = await generateKeyPair();
  try {
    mkdirSync(values.out, { recursive: true, mode: 0o700 });
    // "wx": created here or not at all, so a file that appeared since the check is not overwritten.
    writeFileSync(priv, pair.privatePem, { mode: 0o600, flag: "wx" });
    chmodSync(priv, 0o600);
    writeFileSync(pub, pair.publicPem, { mode: 0o644, flag: "wx" });
  } catch (err) {
    console.error(`keel auth keygen: cannot write the key pair: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  console.log(`key id ${pair.keyId}`);
  console.log(`private key: ${priv} (mode 0600; keep it off trading hosts)`);
  console.log(`public key:  ${pub} (copy it into DATA/${TRUSTED_KEYS_DIR}/ on the trading host)`);
  return 0;
}

const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*$/;

async function sign(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      key: { type: "string" }, host: { type: "string" }, expires: { type: "string" }, "not-before": { type: "string" }, out: { type: "string" },
      ...Object.fromEntries(CAP_FIELDS.map((f) => [capFlag(f), { type: "string" }])),
    } as const,
    0,
  );
  if (values.help) return (console.log(signHelp), 0);
  for (const required of ["key", "host", "expires"] as const) {
    if (values[required] === undefined) throw new UsageError(`--${required} is required (--key PRIVATE --host HOSTNAME --expires DURATION)`);
  }
  const host = values.host as string;
  if (host.length > 253 || !HOSTNAME.test(host)) throw new UsageError(`--host expects a host name (letters, digits, '-' and '.'), got '${host}'`);
  const duration = parseDuration(values.expires as string);
  if (typeof duration === "string") throw new UsageError(`--expires: ${duration}`);
  const now = Date.now();
  const notBefore = parseInstant((values["not-before"] as string | undefined) ?? "now", now);
  if (typeof notBefore === "string") throw new UsageError(`--not-before: ${notBefore}`);
  const caps: Partial<Record<CapField, number>> = {};
  for (const f of CAP_FIELDS) {
    const text = (values as Record<string, unknown>)[capFlag(f)] as string | undefined;
    if (text === undefined) continue;
    const x = Number(text);
    if (text.trim() === "" || !Number.isFinite(x) || x <= 0) throw new UsageError(`--${capFlag(f)} expects a positive number, got '${text}'`);
    caps[f] = x;
  }

  const keyPath = values.key as string;
  let pem: string;
  try {
    const mode = statSync(keyPath).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      console.error(`keel auth sign: private key ${keyPath} is readable or writable by group or others (mode ${mode.toString(8).padStart(4, "0")}); chmod 600 it`);
      return 1;
    }
    pem = readFileSync(keyPath, "utf8");
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    console.error(`keel auth sign: ${code === "ENOENT" ? `private key ${keyPath} does not exist` : `cannot read ${keyPath}: ${err instanceof Error ? err.message : String(err)}`}`);
    return 1;
  }
  const key = await importPrivateKey(pem, keyPath);
  if (typeof key === "string") {
    console.error(`keel auth sign: ${key}`);
    return 1;
  }

  const iso = (ms: number) => new Date(ms).toISOString();
  const payload: Payload = {
    v: TOKEN_VERSION, mode: "live", host, key_id: key.keyId, issued_at: iso(now), not_before: iso(notBefore), expires_at: iso(notBefore + duration),
    ...(Object.keys(caps).length > 0 ? { caps } : {}),
  };
  const token = await signToken(payload, key.key);
  const capText = Object.entries(caps).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
  const summary = `signed by key ${key.keyId} for host ${host}, mode live, valid ${payload.not_before} to ${payload.expires_at} (${formatDuration(duration)}), caps: ${capText}`;
  if (values.out === undefined) {
    console.log(token);
    console.error(summary);
    return 0;
  }
  try {
    writeFileSync(values.out as string, `${token}\n`, { mode: 0o600 });
  } catch (err) {
    console.error(`keel auth sign: cannot write ${values.out}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  console.log(`${values.out}: ${summary}`);
  return 0;
}

/** The sign flag of a cap: max_order_notional -> max-order-notional. */
function capFlag(field: string): string {
  return field.replaceAll("_", "-");
}
