/**
 * What live authorisation costs, off the hot path:
 *   bun bench/auth.bench.ts
 *   - capSnapshot(), which every reload pays on the engine's thread while a token has caps,
 *     against prepareValue() (validate + hash + compile) of the same document measured in this
 *     run: the share a cap adds to a reload, as a ratio;
 *   - verifying a token (once per start): Ed25519 through crypto.subtle plus the payload checks.
 * decide() is untouched: capped limits are numbers in the same slots, read the same way.
 */
import { hostname } from "node:os";
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { capSnapshot } from "../src/auth/caps.ts";
import { generateKeyPair, importPrivateKey, importPublicKey } from "../src/auth/keys.ts";
import { signToken } from "../src/auth/token.ts";
import { verifyToken } from "../src/auth/verify.ts";
import { prepareValue } from "../src/config/prepare.ts";
import type { ConfigInput } from "../src/config/schema.ts";
import { generateDocument } from "./gen-config.ts";

// Below every generated profile's max_order_notional, so every profile is rewritten.
const CAPS = { max_order_notional: 1_000, max_daily_loss: 1_000 };

/** The worst case for caps: every symbol with its own max_order_notional, so its own profile. */
function profileEach(n: number): ConfigInput {
  const doc = generateDocument(n, { overrideEvery: 0 });
  let i = 0;
  for (const entry of Object.values(doc.symbols!)) entry.limits = { max_order_notional: 200_000 + i++ };
  return doc;
}

const CASES: [string, ConfigInput][] = [
  ["500 symbols", generateDocument(500)],
  ["100,000 symbols", generateDocument(100_000)],
  ["100,000 symbols, a profile each", profileEach(100_000)],
];
const profiles = new Map<string, number>();
for (const [name, raw] of CASES) {
  const p = prepareValue(raw);
  if (!p.ok) throw new Error(`generated config ${name} is invalid`);
  if (capSnapshot(p.snapshot, CAPS) === p.snapshot) throw new Error("the caps changed nothing: the benchmark would measure a no-op");
  profiles.set(name, p.snapshot.profileCount);
  group(name, () => {
    summary(() => {
      bench(`prepareValue (${name})`, () => do_not_optimize(prepareValue(raw))).baseline(true);
      bench(`capSnapshot (${name})`, () => do_not_optimize(capSnapshot(p.snapshot, CAPS)));
    });
  });
}

const pair = await generateKeyPair();
const priv = await importPrivateKey(pair.privatePem, "bench");
const pub = await importPublicKey(pair.publicPem, "bench.pub");
if (typeof priv === "string" || typeof pub === "string") throw new Error("key import failed");
const now = Date.now();
const token = await signToken(
  {
    v: 1, mode: "live", host: hostname(), key_id: pair.keyId, issued_at: new Date(now).toISOString(), not_before: new Date(now).toISOString(),
    expires_at: new Date(now + 3_600_000).toISOString(), caps: { max_order_notional: 50_000 },
  },
  priv.key,
);
bench("verifyToken", async () => do_not_optimize(await verifyToken(token, [pub], hostname(), Date.now())));

const { benchmarks } = await run();
const stat = (name: string) => benchmarks.find((b) => b.alias === name)?.runs[0]?.stats;
console.log("\ncaps on a reload (median, this run):");
for (const [name] of CASES) {
  const cap = stat(`capSnapshot (${name})`)!;
  const prep = stat(`prepareValue (${name})`)!;
  console.log(
    `  ${name}: ${profiles.get(name)} profiles, capSnapshot ${(cap.p50 / 1e3).toFixed(1)} us, ` +
      `prepareValue ${(prep.p50 / 1e6).toFixed(2)} ms: caps add ${((cap.p50 / prep.p50) * 100).toFixed(2)}%`,
  );
}
console.log(`verifyToken: ${(stat("verifyToken")!.p50 / 1e3).toFixed(1)} us (once per start)`);
