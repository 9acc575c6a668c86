/**
 * Crash recovery, for real: `keel serve` as a child process on a temp data dir, three clients
 * streaming pipelined signals at it, and `kill -9` at a random moment while they flow, round
 * after round. After every kill, and at the end, the database must hold every acknowledged order,
 * may hold only such unacknowledged ones as were in flight at a kill, and `keel state` must report
 * exactly the positions and daily trades those committed orders imply; SQLite's integrity check
 * must pass.
 *
 * The rule under test is "acknowledged => committed": a signal whose reply had not arrived when
 * the process died may or may not be in the journal, so the check is not "journal == acks" but
 *   acks ⊆ journal ⊆ acks ∪ in-flight-at-a-kill,
 * and, since one connection's signals are decided and committed in order, each connection's
 * committed signals are a prefix of what it sent.
 *
 * Random but replayable: CRASH_SEED=n bun test test/crash/crash.test.ts reruns a failing seed
 * (the signal contents, windows and kill points; the OS's scheduling is not replayable).
 * CRASH_DEBUG=1 prints each round's counts.
 */
import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dayStart, tradingDay } from "../../src/risk/reset.ts";
import { openStoreReader } from "../../src/store/sqlite.ts";
import { cleanup, tempDir } from "../cli/serve-helpers.ts";
import { rng, startServe, stateOf, stopServe, StreamClient, type SentSignal } from "./harness.ts";

afterEach(cleanup);

const ROUNDS = 6;
const CLIENTS = 3;
/** Signals in flight per connection: drawn per client and round from this range. */
const WINDOW = [8, 256] as const;
const SYMBOLS = ["S0", "S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8"];
/**
 * Each client trades its own symbols, so every symbol's signal clock only moves forward (one
 * connection, and ts blocks that grow with the round): a signal older than its symbol's last
 * order would be a duplicate_order even with duplicate_window_ms = 0. The clients still share
 * every batch and every portfolio counter.
 */
const symbolsOf = (client: number) => SYMBOLS.filter((_, k) => k % CLIENTS === client);
const RESET_MINUTE = 21 * 60;
/** CRASH_DEBUG=1 prints what each round did. */
const DEBUG = process.env.CRASH_DEBUG !== undefined;

/**
 * Limits wide enough that every signal is accepted: the test is about durability, not risk checks.
 * No duplicate window, no reachable position cap, a rate limit far above what we send, exposure
 * and loss limits out of reach, max_positions above the symbol count, a 20% collar around prices
 * that move 1%. (serve warns about the position cap and the daily trades on stderr; harmless.)
 */
function wideConfig(): string {
  const symbols = SYMBOLS.map((s) => `[symbols.${s}]\nsector = "all"\nreference_price = 100\ntick_size = 0.01\nlot_size = 1\n`).join("\n");
  return `[trading]
mode = "paper"

[trading.position_sizing]
method = "scaled"
default_position_size = 100
max_position_size = 1000000

[risk]
day_reset_utc = "21:00"

[risk.limits]
max_daily_trades = 10000000
max_positions = 100
max_order_notional = 1000000000
max_gross_exposure = 1000000000000
max_orders_per_second = 1000000
price_collar_bps = 2000
max_daily_loss = 1000000000000
duplicate_window_ms = 0

[risk.sectors.all]
max_gross_exposure = 1000000000000

${symbols}`;
}

/** Every signal sent, by id, and what became of it. */
interface Ledger {
  readonly signals: Map<string, SentSignal>;
  /** Accepted replies: id -> signed quantity the reply acknowledged. */
  readonly acked: Map<string, { symbol: string; signed: number }>;
  /** Ids written before a kill whose reply never arrived. */
  readonly inFlight: Set<string>;
  /** Per connection (all rounds), ids in send order and how many were answered. */
  readonly connections: { ids: string[]; answered: number }[];
  /** Signals the server rejected, "id: reason" (none expected with the wide config). */
  readonly rejected: string[];
}

describe("crash recovery: kill -9 while signals flow", () => {
  test(`${ROUNDS} rounds of kill -9 under ${CLIENTS} pipelined clients lose no acknowledged order`, async () => {
    const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
    try {
      await crashRounds(seed);
    } catch (err) {
      console.error(`crash test failed with seed ${seed}: replay with CRASH_SEED=${seed} npx bun test test/crash/crash.test.ts`);
      throw err;
    }
  });
});

async function crashRounds(seed: number): Promise<void> {
  const random = rng(seed);
  const data = tempDir();
  const config = join(tempDir(), "wide.toml");
  writeFileSync(config, wideConfig());
  const dbPath = join(data, "paper.db");
  // The current trading day on the wall clock, signals 8 hours into it: far from both resets
  // (and within the retention window, which is counted from the wall clock).
  const day = tradingDay(Date.now(), RESET_MINUTE);
  const base = dayStart(day, RESET_MINUTE) + 8 * 3_600_000;

  const ledger: Ledger = { signals: new Map(), acked: new Map(), inFlight: new Set(), connections: [], rejected: [] };

  for (let round = 0; round < ROUNDS; round++) {
    const served = await startServe(data, ["--config", config]);
    // Kill once this many replies came back in this round, from inside a reply callback (the
    // clients have just written more) or a few ms later from a timer.
    const killAfter = 500 + Math.floor(random() * 3500);
    const killDelay = random() < 0.5 ? 0 : Math.floor(random() * 30);
    let killed = false;
    let timer: Timer | null = null;
    const kill = () => {
      if (killed) return;
      killed = true;
      served.p.kill("SIGKILL");
    };
    const clients: StreamClient[] = [];
    for (let c = 0; c < CLIENTS; c++) {
      const r = rng((seed ^ (round * 7919 + c * 104729)) >>> 0);
      const mine = symbolsOf(c);
      const window = WINDOW[0] + Math.floor(r() * (WINDOW[1] - WINDOW[0]));
      let n = 0;
      // ts: a block of a million ms per (round, client), inside the same trading day.
      const t0 = base + (round * CLIENTS + c) * 1_000_000;
      const next = (): SentSignal => {
        const id = `r${round}c${c}n${n}`;
        const s: SentSignal = {
          id,
          symbol: mine[Math.floor(r() * mine.length)]!,
          side: r() < 0.5 ? "buy" : "sell",
          strength: (1 + Math.floor(r() * 10)) / 10,
          price: Math.round(10_000 * (1 + (r() - 0.5) * 0.02)) / 100,
          ts: t0 + n,
        };
        n++;
        ledger.signals.set(id, s);
        return s;
      };
      clients.push(
        new StreamClient(next, window, () => {
          if (killed || timer !== null || clients.reduce((sum, k) => sum + k.replies.length, 0) < killAfter) return;
          if (killDelay === 0) kill();
          else timer = setTimeout(kill, killDelay);
        }),
      );
    }
    await Promise.all(clients.map((c) => c.connect(served.port)));
    // A fallback so a stalled round ends; the assertions below then say what went wrong.
    const guard = setTimeout(kill, 15_000);
    expect(await served.p.exited).not.toBe(0);
    clearTimeout(guard);
    await Promise.all(clients.map((c) => c.closed));

    for (const c of clients) {
      c.replies.forEach((reply, k) => {
        expect(reply.id).toBe(c.sent[k]!.id); // one connection's replies come back in send order
        if (reply.status === "accepted") {
          ledger.acked.set(reply.id, { symbol: reply.order.symbol, signed: (reply.order.side === "buy" ? 1 : -1) * reply.order.qty });
        } else ledger.rejected.push(`${reply.id}: ${reply.reason ?? reply.message}`);
      });
      for (const s of c.unanswered) ledger.inFlight.add(s.id);
      ledger.connections.push({ ids: c.sent.map((s) => s.id), answered: c.replies.length });
    }
    expect(killed).toBe(true);
    if (DEBUG) console.log(`round ${round + 1}: kill after ${killAfter} replies + ${killDelay} ms; so far ${ledger.signals.size} sent, ${ledger.acked.size} acknowledged, ${ledger.inFlight.size} in flight at a kill`);
    // After each crash, before any restart: the reader opens what kill -9 left (a hot WAL).
    await verify(dbPath, data, ledger, day, `after kill ${round + 1}`);
  }

  // The last restart recovers, reports the same state while it runs, and stops cleanly.
  const served = await startServe(data, ["--config", config]);
  const running = await stateOf(data);
  await stopServe(served);
  const after = await verify(dbPath, data, ledger, day, "after the final stop");
  expect(running).toEqual(after);

  const db = new Database(dbPath, { readonly: true });
  try {
    expect(db.query("PRAGMA integrity_check").all()).toEqual([{ integrity_check: "ok" }]);
  } finally {
    db.close();
  }

  // The test did what it says: real traffic, all of it accepted, kills with signals in flight.
  expect(ledger.rejected).toEqual([]);
  expect(ledger.acked.size).toBeGreaterThan(ROUNDS * 300);
  expect(ledger.inFlight.size).toBeGreaterThan(0);
}

/**
 * Compare the journal and `keel state` with the ledger: acks ⊆ journal ⊆ acks ∪ in-flight,
 * each connection's journaled ids a prefix of its sends, and state = what the journal implies.
 * Returns the state report.
 */
async function verify(dbPath: string, data: string, ledger: Ledger, day: number, when: string): Promise<any> {
  const reader = openStoreReader(dbPath);
  let orders, integrity, lastDay;
  try {
    lastDay = reader.lastDay();
    orders = reader.dayJournal(day).orders;
    integrity = reader.db.query("PRAGMA integrity_check").all();
  } finally {
    reader.close();
  }
  expect(integrity, when).toEqual([{ integrity_check: "ok" }]);
  expect(lastDay, when).toBe(day);

  const journaled = new Map(orders.map((o) => [o.id, o]));
  if (DEBUG) {
    const unacked = orders.filter((o) => !ledger.acked.has(o.id)).length;
    console.log(`${when}: ${orders.length} journaled, ${unacked} of them committed but not acknowledged`);
  }
  expect(journaled.size, `${when}: order ids are unique`).toBe(orders.length);
  for (const [id, ack] of ledger.acked) {
    const o = journaled.get(id);
    expect(o === undefined ? `acknowledged order ${id} missing` : "", when).toBe("");
    expect({ symbol: o!.symbol, signed: o!.side * o!.qty }, `${when}: order ${id}`).toEqual(ack);
  }
  for (const [id, o] of journaled) {
    if (ledger.acked.has(id)) continue;
    expect(ledger.inFlight.has(id) ? "" : `journaled order ${id} was neither acknowledged nor in flight at a kill`, when).toBe("");
    // No reply to compare with: it must at least be the signal that was sent.
    const s = ledger.signals.get(id)!;
    expect({ symbol: o.symbol, side: o.side, price: o.signalPrice, ts: o.ts }, `${when}: unacknowledged order ${id}`).toEqual({
      symbol: s.symbol, side: s.side === "buy" ? 1 : -1, price: s.price, ts: s.ts,
    });
  }
  // Per connection: committed = the answered ones plus possibly a contiguous run right after them.
  const rejected = new Set(ledger.rejected.map((r) => r.slice(0, r.indexOf(":"))));
  for (const c of ledger.connections) {
    // A rejected signal journals nothing but is decided in its turn all the same.
    const committed = c.ids.map((id) => journaled.has(id) || rejected.has(id));
    const k = committed.lastIndexOf(true) + 1;
    expect(committed.slice(0, k).every(Boolean) && k >= c.answered, `${when}: a connection's committed signals are a prefix of its sends`).toBe(true);
  }

  // What the committed orders imply, against what `keel state` rebuilt.
  const implied = new Map<string, number>();
  for (const o of orders) implied.set(o.symbol, (implied.get(o.symbol) ?? 0) + o.side * o.qty);
  const expected = Object.fromEntries([...implied].filter(([, q]) => q !== 0).sort(([a], [b]) => (a < b ? -1 : 1)));
  const state = await stateOf(data);
  expect(state.daily_trades, when).toBe(orders.length);
  expect(state.trading_day_number, when).toBe(day);
  expect(state.trading_state, when).toBe("ACTIVE");
  expect(Object.fromEntries(state.positions.map((p: any) => [p.symbol, p.qty])), when).toEqual(expected);
  expect(state.open_positions, when).toBe(Object.keys(expected).length);
  return state;
}
