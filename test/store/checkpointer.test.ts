/**
 * The checkpointer (src/store/checkpointer.ts): WAL pages reach the database file without the
 * writer checkpointing, the WAL stays bounded under continuous commits (the writer's backstop
 * restarts it), and stop() closes the Worker's connection, so the writer's close is the last one
 * (the WAL is removed) and the file reopens whole.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BACKSTOP_PAGES, startCheckpointer } from "../../src/store/checkpointer.ts";
import { openStore } from "../../src/store/sqlite.ts";
import { DAY, newOrder, newVersion } from "./store.contract.ts";

const root = mkdtempSync(join(tmpdir(), "keel-checkpointer-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Wait until `done()` holds, giving up after `ms` (a hang guard, not a timing assertion). */
async function until(done: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) return false;
    await Bun.sleep(10);
  }
  return true;
}

describe("checkpointer", () => {
  test("committed pages reach the database file while the writer's own checkpoint has not come due", async () => {
    const path = join(root, "a.db");
    const store = openStore(path);
    store.createAndActivate(newVersion(1), { author: "startup", action: "startup" });
    const cp = startCheckpointer(store.db, path);
    const autocheckpoint = () => Object.values(store.db.query("PRAGMA wal_autocheckpoint").get() as object)[0];
    expect(autocheckpoint()).toBe(BACKSTOP_PAGES);
    const before = statSync(path).size;
    for (let b = 0; b < 40; b++) {
      for (let k = 0; k < 100; k++) store.journal.order(newOrder());
      store.journal.flush();
    }
    // Far below the backstop's pages: only the Worker can have copied them into the file.
    expect(await until(() => statSync(path).size > before + 100_000)).toBe(true);
    await cp.stop();
    expect(autocheckpoint()).toBe(1000);
    expect(store.dailyTrades(DAY)).toBe(4000);
    store.close();
    // The Worker's connection is really closed: the writer's was the last, so its close
    // checkpointed and removed the WAL.
    expect(existsSync(`${path}-wal`)).toBe(false);
    const again = openStore(path);
    expect(again.dailyTrades(DAY)).toBe(4000);
    expect(again.db.query("PRAGMA integrity_check").all()).toEqual([{ integrity_check: "ok" }]);
    again.close();
  });

  test("under commits that never pause, the WAL is started over and stays bounded", async () => {
    /** The largest the WAL file gets over 4,000 commits of 60 orders. */
    const largestWal = async (path: string, withCheckpointer: boolean): Promise<number> => {
      const store = openStore(path);
      store.createAndActivate(newVersion(1), { author: "startup", action: "startup" });
      if (!withCheckpointer) store.db.run("PRAGMA wal_autocheckpoint = 0");
      const cp = withCheckpointer ? startCheckpointer(store.db, path) : null;
      let largest = 0;
      for (let b = 0; b < 4000; b++) {
        for (let k = 0; k < 60; k++) store.journal.order(newOrder());
        store.journal.flush();
        if (b % 100 === 0) {
          largest = Math.max(largest, statSync(`${path}-wal`).size);
          await Bun.sleep(0); // let the Worker's messages in
        }
      }
      largest = Math.max(largest, statSync(`${path}-wal`).size);
      await cp?.stop();
      expect(store.dailyTrades(DAY)).toBe(240_000);
      store.close();
      return largest;
    };
    // The writer's backstop fires at BACKSTOP_PAGES; the WAL may run past it by what is committed
    // while the Worker holds the checkpoint lock (the writer's attempt is then skipped).
    const frame = 4096 + 24;
    const unbounded = await largestWal(join(root, "b0.db"), false);
    const bounded = await largestWal(join(root, "b1.db"), true);
    // Without any checkpoint the same commits need a WAL three times the backstop's.
    expect(unbounded).toBeGreaterThan(3 * BACKSTOP_PAGES * frame);
    expect(bounded).toBeLessThan(1.5 * BACKSTOP_PAGES * frame);
  });

  test("stop() twice is one stop", async () => {
    const path = join(root, "c.db");
    const store = openStore(path);
    const cp = startCheckpointer(store.db, path);
    const a = cp.stop();
    expect(cp.stop()).toBe(a);
    await a;
    store.close();
  });
});
