/**
 * The order journal's throughput with group commit, on a real file (WAL, synchronous=NORMAL).
 *   bun bench/store.bench.ts
 * Prints, for batches of 1, 100, 1,000 and 10,000 rows per transaction:
 *   - orders per second committed (decision rows only), and decisions per second when each one
 *     also journals its fill (the paper venue's case: two rows per accepted signal);
 *   - a comparison measured in the same run: the same orders as one table row each (the layout
 *     the journal had before migration 6, with its day index), a bare prepared INSERT per order in
 *     one transaction and no buffering; the journal stores a batch as one row (batch-body.ts).
 * Then the end-of-tick scheduling choice: C callbacks per event-loop turn (as C sockets with data
 * would be), each appending M orders and waiting for its commit, with setImmediate vs
 * queueMicrotask flushing: throughput, transactions per turn, and commit latency.
 * Target (issue #4): at least 200,000 orders per second committed.
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, type SqliteStore } from "../src/store/sqlite.ts";
import type { FlushSchedule } from "../src/store/journal.ts";
import type { NewFill, NewOrder } from "../src/store/store.ts";

const dir = mkdtempSync(join(tmpdir(), "keel-store-bench-"));
const SYMBOLS = Array.from({ length: 500 }, (_, k) => `SYM${k}`);
const DAY = 20_417;
const T0 = Date.UTC(2025, 10, 25, 14, 30);
let dbSeq = 0;

function fresh(schedule: FlushSchedule = "immediate"): SqliteStore {
  const store = openStore(join(dir, `b${++dbSeq}.db`), { journal: { schedule, maxBatchRows: 1 << 20 } });
  store.createAndActivate({ hash: "0".repeat(64), canonical: "{}", parent: null, author: "bench", message: "" }, { author: "bench", action: "startup" });
  return store;
}

// One scratch row per kind, rewritten per append: the journal copies fields, as the engine would rely on.
const order = { id: "", symbol: "", side: 1, qty: 100, price: 100, orderType: 0, tif: 0, configVersion: 1, signalPrice: 100, ts: T0, day: DAY } as {
  -readonly [K in keyof NewOrder]: NewOrder[K];
};
const fill = { orderId: "", symbol: "", side: 1, qty: 100, price: 100, ts: T0, day: DAY } as { -readonly [K in keyof NewFill]: NewFill[K] };
const ids = Array.from({ length: 1 << 16 }, (_, k) => `sig-${k}`);

function setOrder(n: number): void {
  order.id = ids[n & 0xffff]!;
  order.symbol = SYMBOLS[n % SYMBOLS.length]!;
  order.side = n & 1 ? -1 : 1;
  order.price = 100 + (n % 97) * 0.01;
  order.signalPrice = order.price;
  order.ts = T0 + n;
}

/** Rows per second over at least `minMs`, committing every `batch` appends with flush(). */
function journalRate(batch: number, withFills: boolean, minMs: number): number {
  const store = fresh();
  const j = store.journal;
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    for (let k = 0; k < batch; k++, n++) {
      setOrder(n);
      j.order(order);
      if (withFills) {
        fill.orderId = order.id;
        fill.symbol = order.symbol;
        fill.side = order.side;
        fill.price = order.price;
        fill.ts = order.ts;
        j.fill(fill);
      }
    }
    j.flush();
    t = performance.now();
  }
  const rate = n / ((t - t0) / 1000);
  const check = store.dailyTrades(DAY);
  if (check !== n) throw new Error(`expected ${n} orders committed, found ${check}`);
  store.close();
  return rate;
}

/** One table row per order (the journal's layout before migration 6), prepared once, in a transaction per batch. */
function rawRate(batch: number, minMs: number): number {
  const store = fresh();
  const db: Database = store.db;
  db.run(`CREATE TABLE row_orders (
    seq INTEGER PRIMARY KEY, signal_id TEXT NOT NULL, symbol TEXT NOT NULL, side INTEGER NOT NULL CHECK (side IN (-1, 1)),
    qty REAL NOT NULL CHECK (qty > 0), price REAL NOT NULL CHECK (price > 0), order_type INTEGER NOT NULL, tif INTEGER NOT NULL,
    config_version INTEGER NOT NULL REFERENCES config_versions(version), signal_price REAL NOT NULL, ts INTEGER NOT NULL, day INTEGER NOT NULL);
    CREATE INDEX row_orders_day ON row_orders(day);`);
  const ins = db.prepare(
    `INSERT INTO row_orders (seq, signal_id, symbol, side, qty, price, order_type, tif, config_version, signal_price, ts, day)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const tx = db.transaction((from: number) => {
    for (let n = from; n < from + batch; n++) {
      setOrder(n);
      ins.run(n + 1, order.id, order.symbol, order.side, order.qty, order.price, 0, 0, 1, order.signalPrice, order.ts, DAY);
    }
  });
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    tx.immediate(n);
    n += batch;
    t = performance.now();
  }
  ins.finalize();
  store.close();
  return n / ((t - t0) / 1000);
}

/** C callbacks per turn, M orders each, every callback awaiting its commit; `turns` rounds. */
async function tickRate(schedule: FlushSchedule, C: number, M: number, turns: number) {
  const store = fresh(schedule);
  const j = store.journal;
  let commits = 0;
  let n = 0;
  let latency = 0;
  const t0 = performance.now();
  for (let r = 0; r < turns; r++) {
    await new Promise<void>((done) => {
      let left = C;
      for (let c = 0; c < C; c++) {
        setImmediate(() => {
          for (let k = 0; k < M; k++, n++) {
            setOrder(n);
            j.order(order);
          }
          const at = performance.now();
          const before = j.pending;
          if (before === M) commits++; // this callback opened a new batch: one more transaction
          j.afterCommit(() => {
            latency += performance.now() - at;
            if (--left === 0) done();
          });
        });
      }
    });
  }
  const ms = performance.now() - t0;
  store.close();
  return { rate: n / (ms / 1000), commitsPerTurn: commits / turns, latencyUs: (latency / (turns * C)) * 1000 };
}

const fmt = (x: number) => Math.round(x).toLocaleString("en-US").padStart(11);
const MIN_MS = 400;

console.log(`journal throughput, file in ${tmpdir()}, WAL + synchronous=NORMAL, ${MIN_MS} ms per case`);
console.log("  rows/txn | orders/s committed | decisions/s (order+fill) | a row per order: INSERT/s | journal/row-per-order");
for (const batch of [1, 100, 1000, 10_000]) {
  const orders = journalRate(batch, false, MIN_MS);
  const pairs = journalRate(batch, true, MIN_MS);
  const floor = rawRate(batch, MIN_MS);
  console.log(`  ${String(batch).padStart(8)} | ${fmt(orders)}        | ${fmt(pairs)}              | ${fmt(floor)}               | ${(orders / floor).toFixed(2)}`);
}

console.log("\nend-of-tick flush: C callbacks per event-loop turn, M orders each, reply after commit");
console.log("  schedule   |  C |   M | orders/s committed | txns per turn | mean commit wait");
for (const [C, M] of [[1, 100], [8, 10], [8, 100], [32, 10]] as const) {
  for (const schedule of ["immediate", "microtask"] as const) {
    const turns = Math.max(20, Math.floor(40_000 / (C * M)));
    const r = await tickRate(schedule, C, M, turns);
    console.log(
      `  ${schedule.padEnd(10)} | ${String(C).padStart(2)} | ${String(M).padStart(3)} | ${fmt(r.rate)}        | ${r.commitsPerTurn.toFixed(1).padStart(13)} | ${r.latencyUs.toFixed(0).padStart(6)} µs`,
    );
  }
}
console.log("\ntarget: >= 200,000 orders/s committed");
rmSync(dir, { recursive: true, force: true });
