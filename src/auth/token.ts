/**
 * The live authorisation token: what `keel auth sign` writes and `keel serve --live-auth` reads.
 *
 *   token   = base64url(payload JSON) "." base64url(Ed25519 signature)       (no padding)
 *   signed  = the ASCII bytes of "keel-live-auth.v1." followed by the payload part as it appears
 *             in the token
 *
 * The signature covers the encoded payload part, as JWS does, so verifying needs no canonical
 * JSON: the bytes checked are the bytes sent. The fixed prefix keeps a signature made for anything
 * else with the same key from ever passing as an authorisation. Payload fields (all required
 * except caps):
 *   v           1
 *   mode        "live"
 *   host        the host name it authorises (compared case-insensitively with os.hostname())
 *   key_id      16 hex digits: the signing key's id (keys.ts)
 *   issued_at, not_before, expires_at   ISO 8601 UTC times; valid from not_before (inclusive)
 *               until expires_at (exclusive)
 *   caps        optional limits, each the most the engine may use whatever the config says
 *               (caps.ts lists them)
 */
import { z } from "zod";
import { CAP_FIELDS } from "./caps.ts";

export const TOKEN_VERSION = 1;
const SIGNING_PREFIX = "keel-live-auth.v1.";

const isoTime = z.iso.datetime({ offset: false });
const capsShape = Object.fromEntries(CAP_FIELDS.map((f) => [f, z.number().positive().optional()])) as Record<
  (typeof CAP_FIELDS)[number],
  z.ZodOptional<z.ZodNumber>
>;

/** The payload as the verifier accepts it: strict, so a field this build does not know is refused. */
export const Payload = z.strictObject({
  v: z.literal(TOKEN_VERSION),
  // Any string here: a token for another mode is signed and valid, but refused with its own message.
  mode: z.string(),
  host: z.string().min(1).max(253),
  key_id: z.string().regex(/^[0-9a-f]{16}$/),
  issued_at: isoTime,
  not_before: isoTime,
  expires_at: isoTime,
  caps: z.strictObject(capsShape).optional(),
});
export type Payload = z.output<typeof Payload>;

/** The token's two parts, decoded but not yet trusted. */
export interface TokenParts {
  /** The base64url payload part, exactly as in the token. */
  readonly payloadPart: string;
  readonly payloadBytes: Uint8Array;
  readonly signature: Uint8Array<ArrayBuffer>;
}

const B64URL = /^[A-Za-z0-9_-]+$/;

/** Split and decode a token, or say why it is not one. Says nothing about trust. */
export function splitToken(token: string): TokenParts | string {
  const parts = token.split(".");
  if (parts.length !== 2) return `expected two base64url parts joined by '.', found ${parts.length} part(s)`;
  const [payloadPart, sigPart] = parts as [string, string];
  if (!B64URL.test(payloadPart) || !B64URL.test(sigPart)) return "a part is empty or has characters outside base64url (A-Z a-z 0-9 - _)";
  const signature = new Uint8Array(Buffer.from(sigPart, "base64url"));
  if (signature.length !== 64) return `the signature part decodes to ${signature.length} bytes; an Ed25519 signature has 64`;
  return { payloadPart, payloadBytes: new Uint8Array(Buffer.from(payloadPart, "base64url")), signature };
}

/** The bytes a signature covers. */
export function signedBytes(payloadPart: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(SIGNING_PREFIX + payloadPart);
}

/** Parse a payload's bytes (after its signature verified), or say what is wrong. */
export function parsePayload(bytes: Uint8Array): Payload | string {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return "the payload is not JSON";
  }
  const r = Payload.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    return `payload field '${i.path.join(".") || "(root)"}': ${i.message}`;
  }
  return r.data;
}

/** Sign a payload with a private key: the token text. */
export async function signToken(payload: object, key: CryptoKey): Promise<string> {
  const payloadPart = Buffer.from(JSON.stringify(payload)).toString("base64url");
  const signature = new Uint8Array(await crypto.subtle.sign("Ed25519", key, signedBytes(payloadPart)));
  return `${payloadPart}.${Buffer.from(signature).toString("base64url")}`;
}
