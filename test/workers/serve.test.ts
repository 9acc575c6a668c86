import { afterEach, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { cleanup, exchange, freePort, Output, spawn, tempDir } from "../cli/serve-helpers.ts";

afterEach(cleanup);

test("keel serve --workers 2: replies over real TCP, every acknowledged order in the journal, SIGTERM exits 0", async () => {
  const data = tempDir();
  const port = freePort();
  const p = spawn(["--data", data, "--ingest", `127.0.0.1:${port}`, "--workers", "2"]);
  const out = new Output(p);
  await out.waitFor("running");
  expect(out.text).toContain("2 engine workers");
  const replies = await Promise.all(
    [0, 1, 2, 3].map((c) =>
      exchange(port, [0, 1, 2].map((k) => JSON.stringify({ id: `${c}-${k}`, symbol: "AAPL", side: "buy", strength: 0.1, price: 190.5, ts: Date.now() + c * 5000 + k * 1500 })).join("\n") + "\n", 3),
    ),
  );
  const accepted = replies.flat().filter((r) => r.status === "accepted").length;
  expect(accepted).toBe(12);
  p.kill("SIGTERM");
  expect(await p.exited).toBe(0);
  expect(await out.all()).toContain("keel [paper]: stopped");
  const db = new Database(join(data, "paper.db"), { readonly: true });
  try {
    expect((db.query("SELECT count(*) AS n FROM orders").get() as { n: number }).n).toBe(12);
    expect((db.query("SELECT count(*) AS n FROM fills").get() as { n: number }).n).toBe(12);
  } finally {
    db.close();
  }
});

test("--workers takes a whole number from 1 to 256 or auto; anything else is a usage error that starts nothing", async () => {
  for (const bad of ["0", "2.5", "many", "257", "1e1"]) {
    const p = spawn(["--workers", bad]);
    expect(await p.exited).toBe(2);
    expect(await new Response(p.stderr).text()).toContain("--workers expects a whole number from 1 to 256 or 'auto'");
  }
});
