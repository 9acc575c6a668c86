/**
 * A PUT interrupted by kill -9 leaves, after a restart, either the old version or the new one
 * active, never a mixture: a version row and its activation are one SQLite transaction, and the
 * engine only swaps once it is committed. Real processes: keel serve is killed at a random moment
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
