/** The token format and its verification: a round trip, and each way a token is refused. */
import { describe, expect, test } from "bun:test";
import { hostname } from "node:os";
import { generateKeyPair, importPrivateKey, importPublicKey, keyIdOf } from "../../src/auth/keys.ts";
import { parsePayload, signToken, splitToken } from "../../src/auth/token.ts";
import { verifyToken, type DenialCode } from "../../src/auth/verify.ts";
import { payload, tamper, tamperByte, testKey, token } from "./fixtures.ts";

const NOW = Date.parse("2026-11-25T12:00:00.000Z");
const HOST = hostname();

describe("keys", () => {
  test("PEM key pairs: PKCS#8 private, SPKI public, key id from the public half", async () => {
    const pair = await generateKeyPair();
    expect(pair.privatePem).toStartWith("-----BEGIN PRIVATE KEY-----\n");
    expect(pair.publicPem).toStartWith("-----BEGIN PUBLIC KEY-----\n");
    expect(pair.keyId).toMatch(/^[0-9a-f]{16}$/);
    const priv = await importPrivateKey(pair.privatePem, "k");
    const pub = await importPublicKey(pair.publicPem, "p");
    if (typeof priv === "string" || typeof pub === "string") throw new Error(`${priv} ${pub}`);
    // Both halves name the same key.
    expect(priv.keyId).toBe(pair.keyId);
    expect(pub.keyId).toBe(pair.keyId);
    const der = new Uint8Array(Buffer.from(pair.publicPem.replace(/-----[A-Z ]+-----|\s/g, ""), "base64"));
    expect(await keyIdOf(der)).toBe(pair.keyId);
    expect((await generateKeyPair()).keyId).not.toBe(pair.keyId);
  });

  test("the wrong half, or not a key at all, is a message naming the file", async () => {
    const pair = await generateKeyPair();
    expect(await importPublicKey(pair.privatePem, "trusted key x.pem")).toContain("x.pem is a private key");
    expect(await importPrivateKey(pair.publicPem, "k.pub")).toBe("k.pub is a public key; signing needs the private key (PKCS#8 PEM)");
    expect(await importPublicKey("hello", "h.pub")).toBe("h.pub: expected a PEM block '-----BEGIN PUBLIC KEY-----'");
    // A valid PEM block that is not an Ed25519 key.
    const junk = `-----BEGIN PUBLIC KEY-----\n${Buffer.from("not a key at all").toString("base64")}\n-----END PUBLIC KEY-----\n`;
    expect(await importPublicKey(junk, "j.pub")).toBe("j.pub is not an Ed25519 public key (SPKI PEM, as 'keel auth keygen' writes)");
  });
});

describe("tokens", () => {
  test("sign then verify: the authorisation carries host, window, key and caps", async () => {
    const key = await testKey();
    const t = await token(key, NOW, { caps: { max_order_notional: 50_000 } });
    expect(t).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const v = await verifyToken(t, [key.trusted], HOST, NOW);
    if (!v.ok) throw new Error(v.message);
    expect(v.auth).toEqual({
      host: HOST, keyId: key.pair.keyId, keySource: "test.pub", issuedAt: NOW, notBefore: NOW - 60_000, expiresAt: NOW + 3_600_000,
      caps: { max_order_notional: 50_000 },
    });
    // The payload is readable JSON, as documented.
    const parts = splitToken(t);
    if (typeof parts === "string") throw new Error(parts);
    expect(JSON.parse(Buffer.from(parts.payloadBytes).toString())).toMatchObject({ v: 1, mode: "live", host: HOST });
  });

  test("verifies against whichever trusted key signed it; the host compares case-insensitively", async () => {
    const [a, b] = [await testKey(), await testKey()];
    const v = await verifyToken(await token(b, NOW, { host: HOST.toUpperCase() }), [a.trusted, b.trusted], HOST.toLowerCase(), NOW);
    expect(v.ok && v.auth.keyId).toBe(b.pair.keyId);
  });

  test("the window: valid from not_before (inclusive) to expires_at (exclusive)", async () => {
    const key = await testKey();
    const t = await token(key, NOW, { not_before: new Date(NOW).toISOString(), expires_at: new Date(NOW + 1000).toISOString() });
    expect((await verifyToken(t, [key.trusted], HOST, NOW)).ok).toBe(true);
    expect((await verifyToken(t, [key.trusted], HOST, NOW + 999)).ok).toBe(true);
    expect(await verifyToken(t, [key.trusted], HOST, NOW - 1)).toMatchObject({ ok: false, code: "not_yet_valid" });
    expect(await verifyToken(t, [key.trusted], HOST, NOW + 1000)).toMatchObject({ ok: false, code: "expired" });
  });

  test("each refusal has its own code and a message saying what is wrong", async () => {
    const key = await testKey();
    const other = await testKey();
    const good = await token(key, NOW);
    const at = (code: DenialCode, message: string) => ({ ok: false as const, code, message });
    expect(await verifyToken("not-a-token", [key.trusted], HOST, NOW)).toEqual(
      at("malformed_token", "the token is malformed: expected two base64url parts joined by '.', found 1 part(s)"),
    );
    expect(await verifyToken(good, [], HOST, NOW)).toEqual(at("no_trusted_key", "no trusted public key to verify the token against"));
    expect(await verifyToken(await token(other, NOW), [key.trusted], HOST, NOW)).toEqual(
      at("untrusted_key", `the token is signed by key ${other.pair.keyId}, which is not a trusted key (trusted: ${key.pair.keyId} (test.pub))`),
    );
    // Flip one byte of the payload (the expiry's decade: 2026 -> 2036) and keep the signature.
    const tampered = tamperByte(good, '"expires_at":"20');
    expect(tampered).not.toBe(good);
    expect(await verifyToken(tampered, [key.trusted], HOST, NOW)).toEqual(
      at("bad_signature", `the token's signature does not verify against trusted key ${key.pair.keyId}: its payload or signature was altered after signing`),
    );
    expect(await verifyToken(await token(key, NOW, { mode: "paper" }), [key.trusted], HOST, NOW)).toEqual(
      at("wrong_mode", 'the token authorises mode "paper", not "live"'),
    );
    expect(await verifyToken(await token(key, NOW, { host: "elsewhere-01" }), [key.trusted], HOST, NOW)).toEqual(
      at("wrong_host", `the token is for host "elsewhere-01", but this host is "${HOST}"`),
    );
    expect(await verifyToken(good, [key.trusted], HOST, NOW - 61_000 - 3_600_000)).toEqual(
      at("not_yet_valid", "the token is not valid before 2026-11-25T11:59:00.000Z (in 1h1s; it is now 2026-11-25T10:58:59.000Z)"),
    );
    expect(await verifyToken(good, [key.trusted], HOST, NOW + 3_600_000 + 90_000)).toEqual(
      at("expired", "the token expired at 2026-11-25T13:00:00.000Z (1m30s ago; it is now 2026-11-25T13:01:30.000Z)"),
    );
  });

  test("the signature is checked before the payload is believed", async () => {
    const key = await testKey();
    const good = await token(key, NOW);
    // Tampering the first byte breaks the JSON itself: still a signature failure, not "malformed".
    const v = await verifyToken(tamper(good, 0), [key.trusted], HOST, NOW);
    expect(v).toMatchObject({ ok: false, code: "bad_signature" });
    expect(!v.ok && v.message).toContain("its payload does not decode: it was altered or damaged after signing");
    // A signature moved from another token does not verify either.
    const other = await token(key, NOW, { host: "elsewhere" });
    const swapped = `${good.split(".")[0]}.${other.split(".")[1]}`;
    expect(await verifyToken(swapped, [key.trusted], HOST, NOW)).toMatchObject({ ok: false, code: "bad_signature" });
  });

  test("a signed payload this build does not understand is malformed, naming the field", async () => {
    const key = await testKey();
    const t = await signToken({ ...payload(key, NOW), caps: { max_orders: 5 } }, key.sign);
    expect(await verifyToken(t, [key.trusted], HOST, NOW)).toMatchObject({ ok: false, code: "malformed_token" });
    expect(parsePayload(new TextEncoder().encode('{"v":2}'))).toStartWith("payload field 'v'");
    expect(parsePayload(new TextEncoder().encode("[1,"))).toBe("the payload is not JSON");
    const noExpiry = { ...payload(key, NOW) };
    delete noExpiry.expires_at;
    expect(parsePayload(new TextEncoder().encode(JSON.stringify(noExpiry)))).toStartWith("payload field 'expires_at'");
  });

  test("a signature part of the wrong length or alphabet is malformed", () => {
    expect(splitToken("abcd.defg")).toBe("the signature part decodes to 3 bytes; an Ed25519 signature has 64");
    expect(splitToken("ab+c.def")).toBe("a part is empty or has characters outside base64url (A-Z a-z 0-9 - _)");
    expect(splitToken(".def")).toBe("a part is empty or has characters outside base64url (A-Z a-z 0-9 - _)");
    expect(splitToken("a.b.c")).toBe("expected two base64url parts joined by '.', found 3 part(s)");
  });
});
