/**
 * Verifying a live authorisation token: does it parse, is it signed by a trusted key, is it for
 * live trading on this host, is it valid now. Each way to fail is its own coded denial with a
 * message that says exactly what is wrong, because the person reading it is deciding whether
 * real money may move.
 *
 * Order: the signature is checked before the payload is believed, so a tampered payload is
 * reported as a signature failure (never as whatever the tampering made it say), then mode,
 * host and the validity window.
 */
import { formatDuration } from "./duration.ts";
import type { TrustedKey } from "./keys.ts";
import type { LimitCaps } from "./caps.ts";
import { parsePayload, signedBytes, splitToken } from "./token.ts";

/** A token that verified: what it authorises. */
export interface Authorisation {
  readonly host: string;
  readonly keyId: string;
  /** The trusted key file that verified it. */
  readonly keySource: string;
  readonly issuedAt: number;
  readonly notBefore: number;
  readonly expiresAt: number;
  readonly caps: LimitCaps;
}

export type DenialCode =
  | "missing_token" | "malformed_token" | "no_trusted_key" | "bad_trusted_key" | "untrusted_key" | "bad_signature"
  | "wrong_mode" | "wrong_host" | "not_yet_valid" | "expired";

export interface Denial {
  readonly code: DenialCode;
  readonly message: string;
}

export type Verdict = { readonly ok: true; readonly auth: Authorisation } | ({ readonly ok: false } & Denial);

export const deny = (code: DenialCode, message: string): Verdict => ({ ok: false, code, message });

const iso = (ms: number) => new Date(ms).toISOString();

/** Verify token text against trusted keys, for this host, at `now` (epoch ms). */
export async function verifyToken(token: string, trusted: readonly TrustedKey[], host: string, now: number): Promise<Verdict> {
  const parts = splitToken(token.trim());
  if (typeof parts === "string") return deny("malformed_token", `the token is malformed: ${parts}`);
  if (trusted.length === 0) return deny("no_trusted_key", "no trusted public key to verify the token against");

  const signed = signedBytes(parts.payloadPart);
  let by: TrustedKey | null = null;
  for (const k of trusted) {
    if (await crypto.subtle.verify("Ed25519", k.key, parts.signature, signed)) {
      by = k;
      break;
    }
  }
  if (by === null) {
    // Unverified, the payload only suggests which message fits: which key it claims.
    const claimed = claimedKeyId(parts.payloadBytes);
    const ids = trusted.map((k) => `${k.keyId} (${k.source})`).join(", ");
    if (claimed === null) {
      return deny("bad_signature", `the token's signature does not verify against any trusted key, and its payload does not decode: it was altered or damaged after signing (trusted: ${ids})`);
    }
    if (!trusted.some((k) => k.keyId === claimed)) {
      return deny("untrusted_key", `the token is signed by key ${claimed}, which is not a trusted key (trusted: ${ids})`);
    }
    return deny("bad_signature", `the token's signature does not verify against trusted key ${claimed}: its payload or signature was altered after signing`);
  }
  const payload = parsePayload(parts.payloadBytes);
  if (typeof payload === "string") return deny("malformed_token", `the token is malformed: ${payload}`);

  if (payload.mode !== "live") return deny("wrong_mode", `the token authorises mode "${payload.mode}", not "live"`);
  if (payload.host.toLowerCase() !== host.toLowerCase()) {
    return deny("wrong_host", `the token is for host "${payload.host}", but this host is "${host}"`);
  }
  const notBefore = Date.parse(payload.not_before);
  const expiresAt = Date.parse(payload.expires_at);
  if (now < notBefore) {
    return deny("not_yet_valid", `the token is not valid before ${iso(notBefore)} (in ${formatDuration(notBefore - now)}; it is now ${iso(now)})`);
  }
  if (now >= expiresAt) return deny("expired", `the token expired at ${iso(expiresAt)} (${formatDuration(now - expiresAt)} ago; it is now ${iso(now)})`);
  return {
    ok: true,
    auth: {
      host: payload.host, keyId: by.keyId, keySource: by.source, issuedAt: Date.parse(payload.issued_at), notBefore, expiresAt,
      caps: payload.caps ?? {},
    },
  };
}

/** The key_id an unverified payload claims, or null when it does not decode that far. */
function claimedKeyId(bytes: Uint8Array): string | null {
  try {
    const id = (JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as { key_id?: unknown } | null)?.key_id;
    return typeof id === "string" && /^[0-9a-f]{16}$/.test(id) ? id : null;
  } catch {
    return null;
  }
}

/** An authorisation as JSON for people and tools (GET /risk, the start-up log). */
export function describeAuthorisation(a: Authorisation): Record<string, unknown> {
  return {
    host: a.host, key_id: a.keyId, issued_at: iso(a.issuedAt), not_before: iso(a.notBefore), expires_at: iso(a.expiresAt), caps: a.caps,
  };
}
