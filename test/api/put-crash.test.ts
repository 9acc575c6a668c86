/**
 * A PUT interrupted by kill -9 leaves, after a restart, either the old version or the new one
 * active, never a mixture: a version row and its activation are one SQLite transaction, and the
 * engine only swaps once it is committed. The same for PATCHes, stored as changes to their parent. Real processes: keel serve is killed at a random moment
 * while large PUTs (prepared on the config Worker) are in flight, then restarted on the same data.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { generateDocument, rng } from "../../bench/gen-config.ts";
import { prepareValue } from "../../src/config/prepare.ts";
import { openStoreReader } from "../../src/store/sqlite.ts";
import { cleanup, MAIN, Output, tempDir, type Proc } from "../cli/serve-helpers.ts";

afterEach(cleanup);

const TOKEN = "put-crash-token";
const procs: Proc[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) {
    if (p.exitCode === null) p.kill("SIGKILL");
    await p.exited;
  }
});

/** Start serve on `data` with ephemeral ports; returns the process and its admin URL. */
async function serve(data: string): Promise<{ p: Proc; url: string; out: Output }> {
  const p = Bun.spawn([process.execPath, MAIN, "serve", "--data", data, "--admin", "127.0.0.1:0", "--ingest", "127.0.0.1:0", "--no-export-snapshot"], {
    stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, KEEL_ADMIN_TOKEN: TOKEN },
  }) as Proc;
  procs.push(p);
  const out = new Output(p);
  const text = await out.waitFor("running");
  const url = /admin API on (http:\/\/[0-9.:]+)/.exec(text)![1]!;
  return { p, url, out };
}

/** A 3,000-symbol document (large enough for the Worker) whose max_daily_trades is `trades`. */
function documentWith(trades: number): string {
  const doc = generateDocument(3000) as any;
  doc.risk.limits.max_daily_trades = trades;
  doc.admin = { max_config_writes_per_minute: 1000 };
  return JSON.stringify(doc);
}

describe("kill -9 during a PUT", () => {
  test("after a restart the active version is one that was whole: its stored hash is its document's", async () => {
    const seed = Number(process.env.PUT_CRASH_SEED ?? Date.now() % 100_000);
    const rand = rng(seed);
    const data = tempDir();
    const bodies = [documentWith(111), documentWith(222)];
    const hashes = bodies.map((b) => {
      const p = prepareValue(JSON.parse(b));
      if (!p.ok) throw new Error("invalid");
      return p.hash;
    });
    try {
      for (let round = 0; round < 4; round++) {
        const { p, url } = await serve(data);
        // Fire PUTs alternating the two documents, and kill the server while they are in flight.
        const puts: Promise<unknown>[] = [];
        for (let k = 0; k < 6; k++) {
          puts.push(
            fetch(`${url}/config`, { method: "PUT", body: bodies[(round + k) % 2], headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" } })
              .then((r) => r.status)
              .catch(() => "cut"),
          );
        }
        // The first round lets one PUT finish, so the rounds after it start from a PUT's version.
        if (round === 0) expect(await puts[0]).toBe(200);
        await Bun.sleep(Math.floor(rand() * 120));
        p.kill("SIGKILL");
        await p.exited;
        await Promise.all(puts);

        const r = openStoreReader(join(data, "paper.db"));
        try {
          const active = r.activeVersion();
          expect(active).not.toBeNull();
          // Whole: the stored hash is the hash of the stored document, and it is one of the PUT
          // documents (or the start-up default before any PUT landed).
          const again = prepareValue(JSON.parse(active!.canonical));
          if (!again.ok) throw new Error("stored version no longer validates");
          expect(again.hash).toBe(active!.hash);
          if (active!.version > 1) expect(hashes).toContain(active!.hash);
        } finally {
          r.close();
        }
        const db = new Database(join(data, "paper.db"), { readonly: true });
        try {
          expect(db.query<{ integrity_check: string }, []>("PRAGMA integrity_check").get()?.integrity_check).toBe("ok");
        } finally {
          db.close();
        }
      }
      // And it starts on it.
      const { p, url } = await serve(data);
      const health = (await (await fetch(`${url}/health`)).json()) as { config_hash: string };
      const r = openStoreReader(join(data, "paper.db"));
      try {
        expect(health.config_hash).toBe(r.activeVersion()!.hash);
        expect(r.listVersions().length).toBeGreaterThan(1);
      } finally {
        r.close();
      }
      p.kill("SIGTERM");
      await p.exited;
    } catch (err) {
      console.error(`put-crash seed ${seed} (PUT_CRASH_SEED=${seed} replays it)`);
      throw err;
    }
  }, 60_000);
});

describe("kill -9 during PATCHes", () => {
  test("every acknowledged PATCH survives; the active version, rebuilt from its changes, hashes as stored; a restart starts on it", async () => {
    const seed = Number(process.env.PUT_CRASH_SEED ?? Date.now() % 100_000);
    const rand = rng(seed);
    const data = tempDir();
    const body = documentWith(111);
    const symbol = Object.keys(JSON.parse(body).symbols)[7]!;
    const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
    try {
      const { p, url } = await serve(data);
      // A 3,000-symbol version prepared on the config Worker: its patches are planned there.
      expect((await fetch(`${url}/config`, { method: "PUT", body, headers: auth })).status).toBe(200);
      let acked = 0;
      let sent = 0;
      const killAt = 20 + Math.floor(rand() * 150);
      const killer = Bun.sleep(killAt).then(() => p.kill("SIGKILL"));
      for (let k = 1; k <= 2000 && p.exitCode === null; k++) {
        sent = k;
        const status = await fetch(`${url}/config/symbols/${symbol}`, { method: "PATCH", body: JSON.stringify({ reference_price: 1000 + k }), headers: auth })
          .then((r) => r.status)
          .catch(() => 0);
        if (status === 200) acked = k;
        else break;
      }
      await killer;
      await p.exited;
      expect(acked).toBeGreaterThan(0);

      const r = openStoreReader(join(data, "paper.db"));
      let hash: string;
      try {
        const active = r.activeVersion()!;
        const doc = JSON.parse(active.canonical);
        const price = doc.symbols[symbol].reference_price - 1000;
        // Durable: nothing acknowledged is lost, and nothing that was not sent appears.
        expect(price).toBeGreaterThanOrEqual(acked);
        expect(price).toBeLessThanOrEqual(sent);
        const again = prepareValue(doc);
        if (!again.ok) throw new Error("stored version no longer validates");
        expect(again.hash).toBe(active.hash);
        hash = active.hash;
      } finally {
        r.close();
      }
      const restarted = await serve(data);
      const health = (await (await fetch(`${restarted.url}/health`)).json()) as { config_hash: string };
      expect(health.config_hash).toBe(hash);
      // And it patches on from there.
      const next = await fetch(`${restarted.url}/config/symbols/${symbol}`, { method: "PATCH", body: JSON.stringify({ lot_size: 7 }), headers: auth });
      expect(next.status).toBe(200);
      restarted.p.kill("SIGTERM");
      await restarted.p.exited;
    } catch (err) {
      console.error(`patch-crash seed ${seed} (PUT_CRASH_SEED=${seed} replays it)`);
      throw err;
    }
  }, 60_000);
});
