/**
 * Ed25519 keys for live authorisation, through WebCrypto (`crypto.subtle`): no dependency, and
 * the same primitive in Bun and Node. On disk they are the standard PEM forms, so `openssl pkey`
 * reads them and any other tool can produce or check them:
 *   private key: PKCS#8, "-----BEGIN PRIVATE KEY-----"   (written mode 0600)
 *   public key:  SPKI,   "-----BEGIN PUBLIC KEY-----"
 * A key is named by its key id: the first 16 hex digits of the SHA-256 of its SPKI (DER) bytes.
 * A token carries the id of the key that signed it, so a refusal can say which key that was.
 */

const ALG = { name: "Ed25519" } as const;
const PRIVATE_LABEL = "PRIVATE KEY";
const PUBLIC_LABEL = "PUBLIC KEY";

export interface KeyPair {
  /** PKCS#8 PEM. */
  readonly privatePem: string;
  /** SPKI PEM. */
  readonly publicPem: string;
  readonly keyId: string;
}

/** A public key ready to verify with, and where it came from (for messages). */
export interface TrustedKey {
  readonly keyId: string;
  readonly key: CryptoKey;
  readonly source: string;
}

/** A new Ed25519 key pair, as PEM text. */
export async function generateKeyPair(): Promise<KeyPair> {
  const pair = (await crypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  return { privatePem: toPem(PRIVATE_LABEL, pkcs8), publicPem: toPem(PUBLIC_LABEL, spki), keyId: await keyIdOf(spki) };
}

/** The key id of SPKI bytes: 16 hex digits of their SHA-256. */
export async function keyIdOf(spki: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", spki));
  return Buffer.from(digest.subarray(0, 8)).toString("hex");
}

/** A private key from PKCS#8 PEM, with its key id (derived from the public half). */
export async function importPrivateKey(pem: string, source: string): Promise<{ key: CryptoKey; keyId: string } | string> {
  const der = fromPem(pem, PRIVATE_LABEL);
  if (typeof der === "string") {
    return pem.includes(`BEGIN ${PUBLIC_LABEL}`) ? `${source} is a public key; signing needs the private key (PKCS#8 PEM)` : `${source}: ${der}`;
  }
  try {
    // Extractable only long enough to derive the public half for the key id.
    const full = await crypto.subtle.importKey("pkcs8", der, ALG, true, ["sign"]);
    const jwk = await crypto.subtle.exportKey("jwk", full);
    const pub = await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: jwk.x! }, ALG, true, ["verify"]);
    const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pub));
    const key = await crypto.subtle.importKey("pkcs8", der, ALG, false, ["sign"]);
    return { key, keyId: await keyIdOf(spki) };
  } catch {
    return `${source} is not an Ed25519 private key (PKCS#8 PEM, as 'keel auth keygen' writes)`;
  }
}

/** A public key from SPKI PEM. */
export async function importPublicKey(pem: string, source: string): Promise<TrustedKey | string> {
  const der = fromPem(pem, PUBLIC_LABEL);
  if (typeof der === "string") {
    return pem.includes(PRIVATE_LABEL)
      ? `${source} is a private key: a trusted key is the public half (the .pub file); keep private keys off the trading host`
      : `${source}: ${der}`;
  }
  try {
    const key = await crypto.subtle.importKey("spki", der, ALG, false, ["verify"]);
    return { key, keyId: await keyIdOf(der), source };
  } catch {
    return `${source} is not an Ed25519 public key (SPKI PEM, as 'keel auth keygen' writes)`;
  }
}

function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** The DER bytes of the one `label` block in PEM text, or what is wrong. */
function fromPem(pem: string, label: string): Uint8Array<ArrayBuffer> | string {
  const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]*)-----END ${label}-----`).exec(pem);
  if (m === null) return `expected a PEM block '-----BEGIN ${label}-----'`;
  const b64 = m[1]!.replace(/\s+/g, "");
  if (b64.length === 0 || b64.length % 4 !== 0) return `the PEM block '${label}' is damaged (its base64 does not decode)`;
  return new Uint8Array(Buffer.from(b64, "base64"));
}
