/**
 * The contract every Store implementation keeps, as one shared suite: call `storeContract` from
 * the implementation's own test file with a factory (sqlite.test.ts does it for a file and for
 * `:memory:`).
 *
 * What the engine and the CLI rely on:
 *   - versions are numbered 1, 2, ... and keep every field; parents chain back to version 1;
 *   - activation moves the active pointer and writes an audit row in one step; listings are newest first;
 *   - journal rows are invisible until their batch commits, a batch commits whole or not at all,
 *     and commit callbacks run only after the commit, in registration order;
 *   - a trading day reads back in append order, with the state carried in from earlier days;
 *   - prune deletes old journal rows in bounded batches and never changes rebuilt positions,
 *     config versions or the audit log.
 * A row the journal must refuse (and so fail its batch): qty or price not above 0, side not 1
 * or -1, an unknown config version.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { JournalCommitError, UnknownVersionError } from "../../src/store/errors.ts";
import { applyFill, type PositionState } from "../../src/risk/position.ts";
import { rebuildPositions, type Position } from "../../src/store/positions.ts";
import type { Change, NewFill, NewOrder, NewStateChange, NewVersion, Store } from "../../src/store/store.ts";

export interface StoreHarness {
  readonly store: Store;
  /** Close this store and open the same database again (persistent implementations only). */
  readonly reopen?: () => Store;
  /** Close whatever is open and delete what was created. */
  dispose(): void;
}

/** Build a fresh, empty store whose clock is `now`. */
export type StoreFactory = (now: () => number) => StoreHarness;

export const DAY = 20_417; // a trading day number (2025-11-25)
export const T0 = Date.UTC(2025, 10, 25, 14, 30);

/** A valid 64-hex-digit hash derived from `n`. */
export function hashOf(n: number): string {
  return n.toString(16).padStart(64, "0");
}

/** A version document; override any field. */
export function newVersion(n: number, over: Partial<NewVersion> = {}): NewVersion {
  return { hash: hashOf(n), canonical: JSON.stringify({ n, risk: { limits: { max_daily_trades: n } } }), parent: null, author: "tester", message: `v${n}`, ...over };
}

let sigSeq = 0;

/** A valid order row under config version 1; override any field. */
export function newOrder(over: Partial<NewOrder> = {}): NewOrder {
  const n = ++sigSeq;
  return { id: `sig-${n}`, symbol: "AAA", side: 1, qty: 100, price: 100.25, orderType: 0, tif: 0, configVersion: 1, signalPrice: 100.25, ts: T0 + n, day: DAY, ...over };
}

/** A valid fill row; override any field. */
export function newFill(over: Partial<NewFill> = {}): NewFill {
  const n = ++sigSeq;
  return { orderId: `sig-${n}`, symbol: "AAA", side: 1, qty: 100, price: 100.25, ts: T0 + n, day: DAY, ...over };
}

/** A state change row; override any field. */
export function newState(over: Partial<NewStateChange> = {}): NewStateChange {
  return { from: "ACTIVE", to: "HALTED", reason: "max_daily_loss breached", ts: T0, day: DAY, ...over };
}

/** Positions as a sorted array, for exact comparison. */
export function sorted(m: Map<string, Position>): Position[] {
  return [...m.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : 1));
}

/** A deterministic pseudo-random fill stream over several days with flips, closes and odd prices. */
export function fillStream(count: number, days: number, seed = 7): NewFill[] {
  let s = seed;
  const rnd = () => ((s = (s * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32);
  const symbols = ["AAA", "BBB", "CCC", "DDD"];
  const out: NewFill[] = [];
  for (let k = 0; k < count; k++) {
    const day = DAY + Math.floor((k * days) / count);
    out.push({
      orderId: `f${k}`,
      symbol: symbols[Math.floor(rnd() * symbols.length)]!,
      side: rnd() < 0.5 ? 1 : -1,
      qty: 1 + Math.floor(rnd() * 300),
      price: Math.round((90 + rnd() * 20) * 100) / 100 + 0.001 * Math.floor(rnd() * 10),
      ts: T0 + k,
      day,
    });
  }
  return out;
}

/** Run the Store contract against the stores `make` builds (a fresh one per test). */
export function storeContract(label: string, make: StoreFactory): void {
  describe(`Store contract: ${label}`, () => {
    let h: StoreHarness | null = null;
    // The store's clock: fixed, and moved by the tests that look at times.
    let clock = T0;
    const now = () => clock;

    function open(): Store {
      h?.dispose();
      clock = T0;
      h = make(now);
      return h.store;
    }

    /** A store with version 1 active, so orders can name it. */
    function withVersion(): Store {
      const s = open();
      s.createAndActivate(newVersion(1), { author: "startup", action: "startup" });
      return s;
    }

    afterEach(() => {
      h?.dispose();
      h = null;
    });

    describe("versions and the audit log", () => {
      test("an empty store has no versions, no active version, no audit, no journal", () => {
        const s = open();
        expect(s.activeVersion()).toBeNull();
        expect(s.listVersions()).toEqual([]);
        expect(s.listAudit()).toEqual([]);
        expect(s.getVersion(1)).toBeNull();
        expect(s.lastStateChange()).toBeNull();
        expect(s.lastDay()).toBeNull();
        expect([...s.fills()]).toEqual([]);
        expect(s.positionCarry()).toEqual([]);
        expect(s.dayJournal(DAY)).toEqual({ day: DAY, orders: [], fills: [], stateChanges: [], stateBefore: null });
      });

      test("versions are numbered 1, 2, 3 and keep every field; creating does not activate", () => {
        const s = open();
        const v1 = s.createVersion(newVersion(1));
        clock = T0 + 5000;
        const v2 = s.createVersion(newVersion(2, { parent: v1, author: "alice", message: "tighten limits" }));
        expect([v1, v2]).toEqual([1, 2]);
        expect(s.getVersion(2)).toEqual({
          version: 2, hash: hashOf(2), canonical: newVersion(2).canonical, parent: 1, author: "alice", message: "tighten limits", createdAt: T0 + 5000,
        });
        expect(s.getVersion(1)!.parent).toBeNull();
        expect(s.getVersion(3)).toBeNull();
        expect(s.activeVersion()).toBeNull();
        expect(s.listAudit()).toEqual([]);
      });

      test("listVersions is newest first and honours the limit; the parent chain walks back to 1", () => {
        const s = open();
        let parent: number | null = null;
        for (let n = 1; n <= 5; n++) parent = s.createVersion(newVersion(n, { parent }));
        expect(s.listVersions().map((v) => v.version)).toEqual([5, 4, 3, 2, 1]);
        expect(s.listVersions(2).map((v) => v.version)).toEqual([5, 4]);
        const chain: number[] = [];
        for (let v = s.getVersion(5); v !== null; v = v.parent === null ? null : s.getVersion(v.parent)) chain.push(v.version);
        expect(chain).toEqual([5, 4, 3, 2, 1]);
      });

      test("a parent that does not exist is refused and nothing is stored", () => {
        const s = open();
        expect(() => s.createVersion(newVersion(1, { parent: 7 }))).toThrow(UnknownVersionError);
        expect(s.listVersions()).toEqual([]);
      });

      test("findByHash finds the newest version with that hash (the identical-config check)", () => {
        const s = open();
        s.createVersion(newVersion(1));
        s.createVersion(newVersion(2, { parent: 1 }));
        s.createVersion(newVersion(1, { parent: 2, message: "same document again" }));
        expect(s.findByHash(hashOf(1))!.version).toBe(3);
        expect(s.findByHash(hashOf(2))!.version).toBe(2);
        expect(s.findByHash(hashOf(99))).toBeNull();
      });

      test("activate moves the active version and records who, when, from, to and the change list", () => {
        const s = open();
        s.createVersion(newVersion(1));
        s.createVersion(newVersion(2, { parent: 1 }));
        const first = s.activate(1, { author: "startup", action: "startup" });
        expect(first).toMatchObject({ author: "startup", action: "startup", fromVersion: null, toVersion: 1, changes: [], reason: "" });
        const changes: Change[] = [
          { path: "risk.limits.max_daily_trades", from: 1, to: 2 },
          { path: 'symbols["BRK.B"]', from: null, to: { sector: "fin", tick_size: 0.01, nested: [1, "two", null] } },
          { path: "trading.execution.order_type", from: "limit", to: "market" },
        ];
        clock += 1000;
        const second = s.activate(2, { author: "alice", action: "activate", changes, reason: "PUT /config" });
        expect(s.activeVersion()!.version).toBe(2);
        expect(second).toEqual({ id: second.id, ts: second.ts, author: "alice", action: "activate", fromVersion: 1, toVersion: 2, changes, reason: "PUT /config" });
        expect([first.ts, second.ts]).toEqual([T0, T0 + 1000]);
        expect(s.listAudit()).toEqual([second, first]);
      });

      test("a rollback is an activation of an older version, newest audit row first", () => {
        const s = open();
        s.createAndActivate(newVersion(1), { author: "startup", action: "startup" });
        s.createAndActivate(newVersion(2, { parent: 1 }), { author: "alice", action: "activate" });
        s.activate(1, { author: "bob", action: "rollback", changes: [{ path: "x", from: 2, to: 1 }], reason: "bad change" });
        expect(s.activeVersion()!.version).toBe(1);
        const audit = s.listAudit();
        expect(audit.map((a) => [a.action, a.fromVersion, a.toVersion])).toEqual([["rollback", 2, 1], ["activate", 1, 2], ["startup", null, 1]]);
        expect(audit[0]!.changes).toEqual([{ path: "x", from: 2, to: 1 }]);
        expect(s.listAudit(1)).toEqual([audit[0]!]);
        expect(s.listVersions().length).toBe(2); // a rollback creates no version
      });

      test("activating a version that does not exist changes nothing", () => {
        const s = withVersion();
        const before = s.listAudit();
        expect(() => s.activate(9, { author: "x", action: "activate" })).toThrow(UnknownVersionError);
        expect(s.activeVersion()!.version).toBe(1);
        expect(s.listAudit()).toEqual(before);
      });

      test("createAndActivate is all or nothing", () => {
        const s = withVersion();
        expect(() => s.createAndActivate(newVersion(2, { parent: 42 }), { author: "x", action: "activate" })).toThrow(UnknownVersionError);
        expect(s.listVersions().map((v) => v.version)).toEqual([1]);
        expect(s.listAudit().length).toBe(1);
        const r = s.createAndActivate(newVersion(2, { parent: 1 }), { author: "startup", action: "startup" });
        expect(r.version).toBe(2);
        expect(r.audit).toMatchObject({ fromVersion: 1, toVersion: 2 });
        expect(s.activeVersion()!.version).toBe(2);
      });

      test("halt and resume are audit rows that leave the active version alone", () => {
        const s = withVersion();
        const halt = s.recordAudit({ author: "ops", action: "halt", changes: [{ path: "trading_state", from: "ACTIVE", to: "HALTED" }], reason: "news" });
        expect(halt).toMatchObject({ author: "ops", action: "halt", fromVersion: 1, toVersion: 1, reason: "news" });
        expect(halt.changes).toEqual([{ path: "trading_state", from: "ACTIVE", to: "HALTED" }]);
        s.recordAudit({ author: "ops", action: "resume", changes: [{ path: "trading_state", from: "HALTED", to: "ACTIVE" }], reason: "clear" });
        expect(s.activeVersion()!.version).toBe(1);
        expect(s.listAudit().map((a) => a.action)).toEqual(["resume", "halt", "startup"]);
      });
    });

    describe("the order journal", () => {
      test("rows are invisible until committed; a flush after N appends yields N rows, in order, every field intact", () => {
        const s = withVersion();
        const orders = [newOrder(), newOrder({ symbol: "BBB", side: -1, qty: 7, price: 50.01, orderType: 1, tif: 2, signalPrice: 50.05 }), newOrder()];
        const fill = newFill({ orderId: orders[1]!.id, symbol: "BBB", side: -1, qty: 7, price: 50.01 });
        const state = newState({ from: "ACTIVE", to: "REDUCING", reason: "operator" });
        const seqs = [s.journal.order(orders[0]!), s.journal.order(orders[1]!), s.journal.fill(fill), s.journal.stateChange(state), s.journal.order(orders[2]!)];
        expect(s.journal.pending).toBe(5);
        expect(s.dailyTrades(DAY)).toBe(0);
        expect(s.dayJournal(DAY).orders).toEqual([]);
        s.journal.flush();
        expect(s.journal.pending).toBe(0);
        for (let k = 1; k < seqs.length; k++) expect(seqs[k]!).toBeGreaterThan(seqs[k - 1]!);
        const d = s.dayJournal(DAY);
        expect(d.orders).toEqual([
          { ...orders[0]!, seq: seqs[0]! }, { ...orders[1]!, seq: seqs[1]! }, { ...orders[2]!, seq: seqs[4]! },
        ]);
        expect(d.fills).toEqual([{ ...fill, seq: seqs[2]! }]);
        expect(d.stateChanges).toEqual([{ ...state, seq: seqs[3]! }]);
        expect(s.dailyTrades(DAY)).toBe(3);
        expect(s.lastDay()).toBe(DAY);
      });

      test("marks and day starts are upserts: the latest per symbol and per day, committed with the batch", () => {
        const s = withVersion();
        s.journal.mark("AAA", 100, T0);
        s.journal.mark("BBB", 50, T0 + 1);
        s.journal.mark("AAA", 101.5, T0 + 2);
        s.journal.dayStart(DAY, -12.5);
        expect(s.marks()).toEqual([]);
        expect(s.dayStartOf(DAY)).toBeNull();
        s.journal.flush();
        // No event row yet: stamped with seq 0.
        expect(s.marks()).toEqual([{ symbol: "AAA", price: 101.5, ts: T0 + 2, seq: 0 }, { symbol: "BBB", price: 50, ts: T0 + 1, seq: 0 }]);
        expect(s.dayStartOf(DAY)).toBe(-12.5);
        const seq = s.journal.order(newOrder({ symbol: "CCC" }));
        s.journal.mark("BBB", 49, T0 + 3);
        s.journal.dayStart(DAY, -3);
        s.journal.flush();
        // Stamped with the last seq appended before it.
        expect(s.marks()).toEqual([{ symbol: "AAA", price: 101.5, ts: T0 + 2, seq: 0 }, { symbol: "BBB", price: 49, ts: T0 + 3, seq }]);
        expect(s.dayStartOf(DAY)).toBe(-3);
        expect(s.dayStartOf(DAY + 1)).toBeNull();
      });

      test("a beforeCommit hook runs at each commit, before the rows are written, and what it appends commits with them", () => {
        const s = withVersion();
        let calls = 0;
        s.journal.beforeCommit(() => {
          calls++;
          s.journal.mark("AAA", 100 + calls, T0);
        });
        const seq = s.journal.order(newOrder());
        s.journal.flush();
        expect(calls).toBe(1);
        expect(s.marks()).toEqual([{ symbol: "AAA", price: 101, ts: T0, seq }]);
        expect(s.dailyTrades(DAY)).toBe(1);
        s.journal.beforeCommit(null);
        s.journal.order(newOrder());
        s.journal.flush();
        expect(calls).toBe(1);
      });

      test("a failed batch loses its marks too: they never describe orders that were not written", () => {
        const s = withVersion();
        s.journal.mark("AAA", 100, T0);
        s.journal.order(newOrder({ configVersion: 99 })); // no such version: the batch fails
        expect(() => s.journal.flush()).toThrow();
        expect(s.marks()).toEqual([]);
        s.journal.flush(); // nothing left over from the failed batch
        expect(s.marks()).toEqual([]);
      });

      test("without a flush the batch commits at the end of the tick, and callbacks run after it, in order", async () => {
        const s = withVersion();
        const seen: string[] = [];
        for (let k = 0; k < 50; k++) s.journal.order(newOrder());
        s.journal.afterCommit((err) => seen.push(`a:${err}:${s.dailyTrades(DAY)}`));
        s.journal.order(newOrder());
        s.journal.afterCommit((err) => seen.push(`b:${err}:${s.dailyTrades(DAY)}`));
        expect(seen).toEqual([]); // never synchronously
        await s.journal.committed();
        expect(seen).toEqual(["a:null:51", "b:null:51"]);
      });

      test("a callback with nothing pending still runs only after a commit point, never synchronously", async () => {
        const s = withVersion();
        let ran = false;
        s.journal.afterCommit(() => (ran = true));
        expect(ran).toBe(false);
        await s.journal.committed();
        expect(ran).toBe(true);
      });

      test("a bad row fails its whole batch: none of the batch is written and every waiter hears why", async () => {
        const s = withVersion();
        s.journal.order(newOrder());
        s.journal.flush(); // one good row committed before
        for (let k = 0; k < 10; k++) s.journal.order(newOrder());
        s.journal.fill(newFill());
        s.journal.order(newOrder({ qty: -5 })); // refused by the journal's constraints
        s.journal.order(newOrder());
        const errs: (Error | null)[] = [];
        s.journal.afterCommit((e) => errs.push(e));
        const p = s.journal.committed();
        expect(() => s.journal.flush()).toThrow(JournalCommitError);
        expect(errs.length).toBe(1);
        expect(errs[0]).toBeInstanceOf(JournalCommitError);
        expect((errs[0] as JournalCommitError).rows).toBe(13);
        await expect(p).rejects.toBeInstanceOf(JournalCommitError);
        expect(s.dailyTrades(DAY)).toBe(1);
        expect(s.dayJournal(DAY).fills).toEqual([]);
        // The journal carries on: the next batch commits normally.
        s.journal.order(newOrder());
        await s.journal.committed();
        expect(s.dailyTrades(DAY)).toBe(2);
      });

      test("an order under an unknown config version, or with a bad side, fails its batch", () => {
        const s = withVersion();
        s.journal.order(newOrder({ configVersion: 99 }));
        expect(() => s.journal.flush()).toThrow(JournalCommitError);
        s.journal.fill(newFill({ side: 0 }));
        expect(() => s.journal.flush()).toThrow(JournalCommitError);
        expect(s.dailyTrades(DAY)).toBe(0);
        expect([...s.fills()]).toEqual([]);
      });

      test("the rows of one tick are one transaction: a bad row at the end of a tick takes the tick's good rows with it", async () => {
        const s = withVersion();
        for (let k = 0; k < 5; k++) s.journal.order(newOrder());
        s.journal.fill(newFill());
        s.journal.order(newOrder({ price: 0 }));
        await expect(s.journal.committed()).rejects.toBeInstanceOf(JournalCommitError);
        expect(s.dailyTrades(DAY)).toBe(0);
        expect([...s.fills()]).toEqual([]);
      });

      test("a throwing callback does not cost the others theirs; appends from a callback go in the next batch", async () => {
        const s = withVersion();
        const seen: string[] = [];
        s.journal.order(newOrder());
        s.journal.afterCommit(() => {
          seen.push("first");
          s.journal.order(newOrder({ symbol: "LATE" }));
          throw new Error("boom");
        });
        s.journal.afterCommit(() => seen.push("second"));
        await s.journal.committed();
        expect(seen).toEqual(["first", "second"]);
        await s.journal.committed();
        expect(s.dayJournal(DAY).orders.map((o) => o.symbol)).toEqual(["AAA", "LATE"]);
      });

      test("the caller may reuse its row object: the journal copies the fields at append", () => {
        const s = withVersion();
        const row = { ...newOrder() } as { -readonly [K in keyof NewOrder]: NewOrder[K] };
        for (let k = 0; k < 5; k++) {
          row.id = `reuse-${k}`;
          row.qty = k + 1;
          s.journal.order(row);
        }
        s.journal.flush();
        expect(s.dayJournal(DAY).orders.map((o) => [o.id, o.qty])).toEqual([["reuse-0", 1], ["reuse-1", 2], ["reuse-2", 3], ["reuse-3", 4], ["reuse-4", 5]]);
      });

      test("a day reads back alone, with the state carried in from an earlier day", () => {
        const s = withVersion();
        s.journal.order(newOrder({ day: DAY - 1 }));
        s.journal.stateChange(newState({ from: "ACTIVE", to: "REDUCING", day: DAY - 2 }));
        s.journal.stateChange(newState({ from: "REDUCING", to: "HALTED", reason: "max_daily_loss", day: DAY - 1 }));
        s.journal.order(newOrder({ day: DAY }));
        s.journal.fill(newFill({ day: DAY }));
        s.journal.order(newOrder({ day: DAY + 1 }));
        s.journal.flush();
        const d = s.dayJournal(DAY);
        expect(d.orders.length).toBe(1);
        expect(d.fills.length).toBe(1);
        expect(d.stateChanges).toEqual([]);
        expect(d.stateBefore).toMatchObject({ from: "REDUCING", to: "HALTED", reason: "max_daily_loss", day: DAY - 1 });
        expect(s.dailyTrades(DAY - 1)).toBe(1);
        expect(s.dailyTrades(DAY + 1)).toBe(1);
        expect(s.lastDay()).toBe(DAY + 1);
        expect(s.lastStateChange()).toMatchObject({ to: "HALTED" });
      });

      test("fills() streams every fill of every day in append order, and rebuilds positions", () => {
        const s = withVersion();
        const stream = fillStream(200, 3);
        for (const f of stream) s.journal.fill(f);
        s.journal.flush();
        const back = [...s.fills()];
        expect(back.map(({ seq: _, ...f }) => f)).toEqual(stream);
        // Two iterations at once (a report while a rebuild runs) do not disturb each other.
        const a = s.fills();
        const b = s.fills();
        for (let k = 0; k < back.length; k++) {
          expect(a.next().value).toEqual(back[k]!);
          expect(b.next().value).toEqual(back[k]!);
        }
        expect(a.next().done).toBe(true);
        const expected = new Map<string, PositionState>();
        for (const f of stream) {
          const p = expected.get(f.symbol) ?? { position: 0, avgPrice: 0, realized: 0 };
          applyFill(p, f.side, f.qty, f.price);
          expected.set(f.symbol, p);
        }
        const rebuilt = rebuildPositions(s.positionCarry(), s.fills());
        for (const [sym, p] of expected) expect(rebuilt.get(sym)).toEqual({ symbol: sym, ...p });
      });
    });

    describe("retention", () => {
      test("prune folds old fills into the carry: rebuilt positions are identical before and after", () => {
        const s = withVersion();
        const stream = fillStream(600, 6, 11); // days DAY .. DAY+5
        for (const f of stream) {
          s.journal.fill(f);
          if (f.orderId.endsWith("0")) s.journal.order(newOrder({ symbol: f.symbol, day: f.day }));
        }
        s.journal.stateChange(newState({ from: "ACTIVE", to: "HALTED", day: DAY + 1 }));
        s.journal.stateChange(newState({ from: "HALTED", to: "REDUCING", day: DAY + 2 }));
        s.journal.flush();
        s.recordAudit({ author: "ops", action: "halt", changes: [], reason: "x" });
        const versions = s.listVersions();
        const audit = s.listAudit();
        const before = sorted(rebuildPositions(s.positionCarry(), s.fills()));
        const kept = [DAY + 3, DAY + 4, DAY + 5].map((d) => s.dayJournal(d));
        const oldRows = [DAY, DAY + 1, DAY + 2].reduce((n, d) => {
          const j = s.dayJournal(d);
          return n + j.orders.length + j.fills.length + j.stateChanges.length;
        }, 0);

        let deleted = 0;
        let calls = 0;
        for (let n = s.prune(DAY + 3, 25); n > 0; n = s.prune(DAY + 3, 25)) {
          expect(n).toBeLessThanOrEqual(25);
          deleted += n;
          calls++;
          // Every intermediate state rebuilds to the same positions, not only the final one.
          expect(sorted(rebuildPositions(s.positionCarry(), s.fills()))).toEqual(before);
        }
        expect(calls).toBeGreaterThan(1);
        expect(deleted).toBe(oldRows - 1); // the newest old state change is kept
        expect(sorted(rebuildPositions(s.positionCarry(), s.fills()))).toEqual(before);
        expect(s.positionCarry().length).toBeGreaterThan(0);
        expect(s.dayJournal(DAY + 1)).toMatchObject({ orders: [], fills: [], stateChanges: [] });
        expect(s.dayJournal(DAY + 3).stateBefore).toMatchObject({ from: "HALTED", to: "REDUCING", day: DAY + 2 });
        expect([DAY + 3, DAY + 4, DAY + 5].map((d) => s.dayJournal(d))).toEqual(kept);
        expect(s.listVersions()).toEqual(versions);
        expect(s.listAudit()).toEqual(audit);
        expect(s.prune(DAY + 3, 25)).toBe(0);
      });

      test("prune only folds a prefix of the fills: an old fill after a newer one waits", () => {
        const s = withVersion();
        s.journal.fill(newFill({ day: DAY, side: 1, qty: 10, price: 10.1 }));
        s.journal.fill(newFill({ day: DAY + 5, side: 1, qty: 5, price: 11.3 }));
        s.journal.fill(newFill({ day: DAY, side: -1, qty: 12, price: 12.7 })); // clock went backwards
        s.journal.flush();
        const before = sorted(rebuildPositions(s.positionCarry(), s.fills()));
        expect(s.prune(DAY + 1, 100)).toBe(1);
        expect([...s.fills()].map((f) => f.day)).toEqual([DAY + 5, DAY]);
        expect(sorted(rebuildPositions(s.positionCarry(), s.fills()))).toEqual(before);
      });

      test("after a prune the journal carries on with seqs above everything kept", () => {
        const s = withVersion();
        for (const f of fillStream(30, 3)) s.journal.fill(f);
        s.journal.flush();
        while (s.prune(DAY + 2, 10) > 0);
        const carryMax = Math.max(...s.positionCarry().map((c) => c.throughSeq));
        const keptMax = Math.max(...[...s.fills()].map((f) => f.seq));
        const seq = s.journal.fill(newFill({ day: DAY + 3 }));
        expect(seq).toBeGreaterThan(Math.max(carryMax, keptMax));
      });
    });

    test("persists across reopen: versions, active, audit, journal and carry; seqs continue", () => {
      const s0 = withVersion();
      if (h?.reopen === undefined) return; // in-memory stores have nothing to reopen
      s0.createAndActivate(newVersion(2, { parent: 1 }), { author: "alice", action: "activate", changes: [{ path: "a", from: 1, to: 2 }] });
      for (const f of fillStream(40, 2)) s0.journal.fill(f);
      const lastSeq = s0.journal.order(newOrder({ day: DAY + 1 }));
      s0.journal.flush();
      s0.prune(DAY + 1, 1000);
      const snapshot = {
        versions: s0.listVersions(), active: s0.activeVersion(), audit: s0.listAudit(), carry: s0.positionCarry(),
        day: s0.dayJournal(DAY + 1), positions: sorted(rebuildPositions(s0.positionCarry(), s0.fills())),
      };
      s0.journal.order(newOrder({ day: DAY + 1, id: "pending-at-close" })); // close() must flush it
      const s = h.reopen();
      expect(s.listVersions()).toEqual(snapshot.versions);
      expect(s.activeVersion()).toEqual(snapshot.active);
      expect(s.listAudit()).toEqual(snapshot.audit);
      expect(s.positionCarry()).toEqual(snapshot.carry);
      expect(sorted(rebuildPositions(s.positionCarry(), s.fills()))).toEqual(snapshot.positions);
      const day = s.dayJournal(DAY + 1);
      expect(day.orders.slice(0, -1)).toEqual(snapshot.day.orders);
      expect(day.orders.at(-1)!.id).toBe("pending-at-close");
      expect(s.journal.order(newOrder())).toBeGreaterThan(lastSeq + 1);
    });
  });
}
