/** Retention on a running engine: startRetention prunes at start and again when the day changes. */
import { afterEach, describe, expect, test } from "bun:test";
import { rebuildPositions } from "../../src/store/positions.ts";
import { startRetention, type Retention } from "../../src/store/pruner.ts";
import { openStore, type SqliteStore } from "../../src/store/sqlite.ts";

const DAY = 20_000;
let store: SqliteStore | null = null;
let retention: Retention | null = null;
afterEach(() => {
  retention?.stop();
  store?.close();
  retention = null;
  store = null;
});

/** A store with version 1 and an order plus a fill on each of `days` trading days ending at DAY. */
function journaled(days: number): SqliteStore {
  const s = openStore(":memory:");
  s.createAndActivate({ hash: "d".repeat(64), canonical: "{}", parent: null, author: "t", message: "" }, { author: "t", action: "startup" });
  for (let k = days - 1; k >= 0; k--) {
    const day = DAY - k;
    const side = k % 3 === 0 ? -1 : 1;
    s.journal.order({ id: `o${day}`, symbol: k % 2 === 0 ? "AAA" : "BBB", side, qty: 10, price: 100 + k, orderType: 0, tif: 0, configVersion: 1, signalPrice: 100 + k, ts: day * 86_400_000, day });
    s.journal.fill({ orderId: `o${day}`, symbol: k % 2 === 0 ? "AAA" : "BBB", side, qty: 10, price: 100 + k, ts: day * 86_400_000, day });
  }
  s.journal.flush();
  return s;
}

function positions(s: SqliteStore) {
  return [...rebuildPositions(s.positionCarry(), s.fills()).values()].sort((a, b) => a.symbol.localeCompare(b.symbol));
}

describe("startRetention", () => {
  test("the first pass prunes days older than retainDays in small batches; positions, versions and audit stay", async () => {
    store = journaled(40);
    const before = positions(store);
    const audit = store.listAudit();
    const passes: [number, number][] = [];
    retention = startRetention(store, { retainDays: 30, currentDay: () => DAY, batch: 7, onPruned: (rows, d) => passes.push([rows, d]) });
    const removed = await retention.firstPass;
    // Days DAY-39 .. DAY-31 (9 days, an order and a fill each) are older than DAY - 30.
    expect(removed).toBe(18);
    expect(passes).toEqual([[18, DAY - 30]]);
    for (let d = DAY - 39; d < DAY - 30; d++) expect(store.dailyTrades(d)).toBe(0);
    for (let d = DAY - 30; d <= DAY; d++) expect(store.dailyTrades(d)).toBe(1);
    expect(positions(store)).toEqual(before);
    expect(store.listAudit()).toEqual(audit);
    expect(store.listVersions().length).toBe(1);
  });

  test("nothing to prune: no report", async () => {
    store = journaled(5);
    let called = false;
    retention = startRetention(store, { retainDays: 30, currentDay: () => DAY, onPruned: () => (called = true) });
    expect(await retention.firstPass).toBe(0);
    expect(called).toBe(false);
  });

  test("a new trading day starts another pass; stop() ends them", async () => {
    store = journaled(12);
    let today = DAY;
    const passes: number[] = [];
    retention = startRetention(store, { retainDays: 10, currentDay: () => today, checkEveryMs: 5, onPruned: (_rows, d) => passes.push(d) });
    await retention.firstPass;
    expect(passes).toEqual([DAY - 10]);
    today = DAY + 1;
    for (let k = 0; k < 100 && passes.length < 2; k++) await Bun.sleep(5);
    expect(passes).toEqual([DAY - 10, DAY - 9]);
    expect(store.dailyTrades(DAY - 10)).toBe(0);
    retention.stop();
    today = DAY + 5;
    await Bun.sleep(30);
    expect(passes.length).toBe(2);
  });
});
