/**
 * The engine: the decider (hot path) wired to a venue, with fills flowing back into the risk
 * state, and, when a journal is attached, everything that state is rebuilt from after a crash
 * (engine/recover.ts) written to it. Every entry point (TCP ingest, POST /signals, replay) calls
 * process(), so a signal is decided and recorded the same way wherever it comes from.
 */
import { capLimits, capSnapshot, type LimitCaps } from "../auth/caps.ts";
import { writeProfile } from "../config/compile.ts";
import { freezeProfile } from "../config/resolve.ts";
import { HotProfile, PROFILE_WIDTH, type Profile, type Snapshot } from "../config/snapshot.ts";

/** A patch lineage's profile table with the caps applied (see Engine.withCaps). */
interface CappedProfiles {
  /** The uncapped table it was derived from. */
  readonly source: Float64Array;
  table: Float64Array;
  /** The class table the flat objects were built over, and those objects, by class id. */
  classes: Float64Array;
  hot: HotProfile[];
  readonly objects: Profile[];
}
import type { SymbolChange } from "../config/snapshot-writer.ts";
import { tradingDay } from "../risk/reset.ts";
import { S_MARK, SYM_WIDTH } from "../risk/state.ts";
import type { TradingStateChange } from "../risk/trading-state.ts";
import type { Histogram } from "../metrics/histogram.ts";
import type { Journal, NewFill, NewOrder } from "../store/store.ts";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
import { PaperVenue } from "../venue/paper.ts";
import type { CancelAll, Fill, Venue, VenueListener } from "../venue/venue.ts";
import { Decider } from "./decide.ts";
import { makeOrder, type Reply } from "./order.ts";
import { ownerOf, type Shard } from "../config/shard.ts";
import { ACCEPTED, REASONS, reasonName, UNKNOWN_SYMBOL, WRONG_SHARD, type RejectReason } from "./reasons.ts";
import type { Signal } from "./signal.ts";

/** Builds the engine's venue around its fill path and its venue-event path. */
export type VenueFactory = (onFill: (f: Fill) => void, onEvent: VenueListener) => Venue;

/**
 * An order decided on an engine Worker, as it reaches the journal writer: the journal's order row
 * (its trading day is the writer's) and what the venue needs besides.
 */
export interface DecidedOrder extends Omit<NewOrder, "day"> {
  readonly slippageBps: number;
}

export class Engine {
  readonly decider: Decider;
  readonly venue: Venue;
  /** Decisions since start by reason code (index 0 = accepted). */
  readonly outcomes = new Float64Array(REASONS.length);
  /**
   * This host's shard, when the universe is split across hosts: only its symbols are compiled
   * here, and a signal for a symbol another shard owns is answered `wrong_shard` with the owner's
   * index (whether or not the config has it: routing is by the symbol alone).
   */
  shard: Shard | null = null;
  /** When set, each decision's latency (ns, decide() alone) is recorded here, for metrics. */
  latency: Histogram | null = null;
  /** Called with every trading-state change, after it is journaled (publishing, logs). */
  onStateChange: ((c: TradingStateChange) => void) | null = null;
  /** Called with what the venue reports about itself (session up/down, rejects): Control listens. */
  onVenueEvent: VenueListener | null = null;
  /** Called with what the kill switch did on each move to HALTED (logs). */
  onCancelAll: ((r: CancelAll) => void) | null = null;

  private readonly journal: Journal | null;
  /** A live authorisation's caps (auth/caps.ts), applied to every Snapshot this engine runs. */
  private limitCaps: LimitCaps | null = null;
  /**
   * Under caps, the capped profile table of the current patch lineage: a patch adds profiles at the
   * end of its Snapshot's table (config/snapshot-writer.ts), so only those are capped here, and a
   * patch stays O(1) (capSnapshot would copy every profile). Rebuilt when the lineage changes.
   */
  private capped: CappedProfiles | null = null;
  // Symbols whose mark moved since the last commit: journaled once per batch, not per decision,
  // and not at all when the symbol's last decision in the batch was an accepted order, whose row
  // carries the mark (signal_price). markState: 0 not listed, 1 listed and owed, 2 listed, covered.
  private dirty = new Int32Array(0);
  private markState = new Uint8Array(0);
  private dirtyN = 0;
  /** The trading day whose start (daily-loss baseline) is journaled; NaN forces a write. */
  private journaledDay = Number.NaN;
  /** How many of the risk state's trading-state changes have been journaled. */
  private changesSeen = 0;
  /**
   * The accepted order being recorded, reused: process() fills it, applyOrder() copies a Worker's
   * into it, and it is the journal's row as it is (the journal copies the fields at append).
   */
  private readonly decided: Mutable<DecidedOrder & Pick<NewOrder, "day">> = {
    id: "", symbol: "", side: 0, qty: 0, price: 0, orderType: 0, tif: 0, slippageBps: 0, configVersion: 0, signalPrice: 0, ts: 0, day: 0,
  };
  private readonly fillRow: Mutable<NewFill> = { orderId: "", symbol: "", side: 0, qty: 0, price: 0, ts: 0, day: 0 };
  /** Signal time of the latest decision, stamped on the marks journaled with it. */
  private lastTs = 0;

  constructor(snap: Snapshot, version: number, venue?: VenueFactory, journal?: Journal) {
    this.decider = new Decider(snap, version);
    const onFill = (f: Fill) => this.applyFill(f);
    this.venue = venue ? venue(onFill, (e) => this.onVenueEvent?.(e)) : new PaperVenue(onFill);
    this.journal = journal ?? null;
    this.sizeDirty(snap.symbolCount);
    this.journal?.beforeCommit(() => this.flushMarks());
  }

  get version(): number {
    return this.decider.version;
  }

  get snapshot(): Snapshot {
    return this.decider.snap;
  }

  /** The last one-symbol patch and the version it made (null after a whole load): for the snapshot export. */
  lastPatch: { readonly version: number; readonly change: SymbolChange } | null = null;

  /** The caps in force (see applyCaps), or null. */
  get caps(): LimitCaps | null {
    return this.limitCaps;
  }

  /**
   * Hold every limit to a live authorisation's caps: the current Snapshot now, and every one
   * load() swaps in later. Every version reaches the decider through the constructor or load(),
   * whoever prepared it (start-up, PUT, PATCH, DELETE, rollback, inline or on the config Worker),
   * so this is the one place a cap cannot be bypassed by a reload path.
   */
  applyCaps(caps: LimitCaps): void {
    this.limitCaps = caps;
    // The same symbols and rows, only lower limits: no remap of the risk state is needed.
    this.decider.snap = capSnapshot(this.decider.snap, caps);
    this.capped = null;
  }

  /** Swap in a new config version between two decisions. */
  load(snap: Snapshot, version: number): void {
    this.lastPatch = null;
    this.capped = null;
    // Marks are kept by index: write them out by name before the indices change.
    this.flushMarks();
    this.decider.load(this.limitCaps === null ? snap : capSnapshot(snap, this.limitCaps), version);
    this.sizeDirty(snap.symbolCount);
    // The remap may move the daily-loss baseline; journal it again.
    this.journaledDay = Number.NaN;
    this.record();
  }

  /**
   * Apply a one-symbol patch between two decisions. `commit` writes the symbol into the Snapshot
   * (config/patchable.ts); marks are journaled by name first, while every index still names the
   * symbol it named before (a delete moves the last symbol into the freed index).
   */
  patch<T extends { readonly prepared: { readonly snapshot: Snapshot }; readonly change: SymbolChange }>(version: number, commit: () => T): T {
    this.flushMarks();
    const out = commit();
    this.decider.patch(this.withCaps(out.prepared.snapshot), version, out.change);
    this.lastPatch = { version, change: out.change };
    if (out.prepared.snapshot.symbolCount > this.dirty.length) this.sizeDirty(Math.ceil(out.prepared.snapshot.symbolCount * 1.5));
    return out;
  }

  /** A patched Snapshot held to the caps: its new profiles capped, the rest shared with the last one. */
  private withCaps(snap: Snapshot): Snapshot {
    const caps = this.limitCaps;
    if (caps === null) return snap;
    let c = this.capped;
    if (c === null || c.source !== snap.profiles || c.objects.length > snap.profileCount) {
      const table = new Float64Array(new SharedArrayBuffer(snap.profiles.byteLength));
      c = this.capped = { source: snap.profiles, table, hot: [], objects: [], classes: snap.classes };
    }
    if (c.table.length < snap.profiles.length) {
      const table = new Float64Array(new SharedArrayBuffer(snap.profiles.byteLength));
      table.set(c.table);
      c.table = table;
      c.hot = [];
    }
    for (let id = c.objects.length; id < snap.profileCount; id++) {
      const p = snap.profileObjects[id]!;
      const o = id * PROFILE_WIDTH;
      c.table.set(snap.profiles.subarray(o, o + PROFILE_WIDTH), o);
      const limits = capLimits(p.limits, caps);
      if (limits !== p.limits) writeProfile(c.table, { ...p, limits });
      c.objects.push(limits === p.limits ? p : freezeProfile(id, { ...p, limits }));
    }
    // Classes and profiles are written once and only appended, so the flat objects built so far
    // stay right; a new class table (grown by a patch) rebuilds them (a few hundred at most).
    if (c.classes !== snap.classes) {
      c.classes = snap.classes;
      c.hot = [];
    }
    for (let k = c.hot.length; k < snap.classCount; k++) c.hot.push(new HotProfile(c.table, snap.classes, k));
    return Object.freeze({ ...snap, profiles: c.table, hot: c.hot, profileObjects: c.objects });
  }

  /** Decide one signal, send an accepted order to the venue, and return the reply. */
  process(s: Signal): Reply {
    const d = this.decider;
    d.marked = -1;
    const h = this.latency;
    const t0 = h === null ? 0 : Bun.nanoseconds();
    let code = d.decide(s);
    if (h !== null) h.record(Bun.nanoseconds() - t0);
    // Off the hot path: only a symbol this host does not have is hashed.
    const owner = code === UNKNOWN_SYMBOL && this.shard !== null ? this.ownerElsewhere(s.symbol) : -1;
    if (owner >= 0) code = WRONG_SHARD;
    this.outcomes[code]!++;
    const config_version = d.version;
    if (this.journal !== null) {
      if (s.ts > this.lastTs) this.lastTs = s.ts;
      if (d.marked >= 0) this.markMoved(d.marked, code === ACCEPTED);
    }
    // With or without a journal: a halt decided here (max_daily_loss) must reach the kill switch.
    this.record();
    if (owner >= 0) return { id: s.id, status: "rejected", reason: "wrong_shard", shard: owner, config_version };
    if (code !== ACCEPTED) return { id: s.id, status: "rejected", reason: reasonName(code) as RejectReason, config_version };
    const symbol = d.snap.symbols[d.symbolIndex]!;
    const o = this.decided;
    o.id = s.id;
    o.symbol = symbol;
    o.side = d.side;
    o.qty = d.qty;
    o.price = d.price;
    o.orderType = d.orderType;
    o.tif = d.tif;
    o.slippageBps = d.slippageBps;
    o.configVersion = config_version;
    o.signalPrice = s.price;
    o.ts = d.ts;
    this.send(d.symbolIndex);
    return { id: s.id, status: "accepted", order: makeOrder(symbol, d.side, d.qty, d.price, d.orderType, d.tif), config_version };
  }

  /** Journal the accepted order in `decided` (when there is a journal) and hand it to the venue. */
  private send(symbolIndex: number): void {
    const o = this.decided;
    const j = this.journal;
    if (j !== null) {
      o.day = this.decider.state.day;
      j.order(o);
    }
    this.venue.submit({
      id: o.id, symbolIndex, symbol: o.symbol, side: o.side, qty: o.qty, price: o.price, orderType: o.orderType,
      slippageBps: o.slippageBps, tif: o.tif, ts: o.ts,
    });
  }

  /**
   * A symbol's mark moved: listed for the next flush unless already listed. `covered`: the move
   * was an accepted order, whose journal row carries the mark, so no mark row is owed for it.
   */
  private markMoved(i: number, covered: boolean): void {
    if (this.markState.length <= i) return;
    if (this.markState[i] === 0) this.dirty[this.dirtyN++] = i;
    this.markState[i] = covered ? 2 : 1;
  }

  /**
   * Record an order an engine Worker decided against the shared risk state (workers/pool.ts): the
   * same journal rows, paper fill and risk-state arithmetic as process() after an accept, so the
   * journal, recovery, `keel state` and GET /risk are the same whoever decided. A symbol a reload
   * has removed meanwhile is journaled all the same (it was acknowledged) but not tracked.
   */
  applyOrder(o: DecidedOrder): void {
    const d = this.decider;
    const i = d.snap.index.get(o.symbol);
    if (i !== undefined) {
      d.markAt(i, o.signalPrice, o.ts);
      if (this.journal !== null) this.markMoved(i, true);
    }
    d.state.dailyTrades++;
    if (o.ts > this.lastTs) this.lastTs = o.ts;
    this.outcomes[ACCEPTED]!++;
    Object.assign(this.decided, o);
    this.send(i ?? -1);
    this.record();
  }

  /** A Worker's reject that marked a symbol (it passed the collar): the mark, as process() keeps it. */
  applyMark(symbol: string, price: number, ts: number, code: number): void {
    this.outcomes[code]!++;
    const d = this.decider;
    const i = d.snap.index.get(symbol);
    if (i === undefined) return;
    d.markAt(i, price, ts);
    if (ts > this.lastTs) this.lastTs = ts;
    if (this.journal !== null) this.markMoved(i, false);
    this.record();
  }

  /** Today's loss (positive) as max_daily_loss compares it: realised today plus the unrealised change. */
  dailyLoss(): number {
    const st = this.decider.state;
    return st.unrealizedAtDayStart - st.realizedToday - st.unrealized;
  }

  /** Move to a trading state by an operator's or the system's decision; journaled and published. */
  setTradingState(to: number, reason: string, ts: number = Date.now()): void {
    this.decider.state.setTradingState(to, reason, ts);
    this.record();
  }

  /** The shard that owns a symbol this host does not have, or -1 when it is this host's own. */
  private ownerElsewhere(symbol: string): number {
    const sh = this.shard!;
    const k = ownerOf(symbol, sh.count);
    return k === sh.index ? -1 : k;
  }

  /**
   * Journal what a decision changed besides its order (the day's start, trading-state changes),
   * tell the listeners, and pull the kill switch on a halt.
   */
  private record(): void {
    const st = this.decider.state;
    const j = this.journal;
    if (st.day !== this.journaledDay && Number.isFinite(st.day)) {
      j?.dayStart(st.day, st.unrealizedAtDayStart);
      this.journaledDay = st.day;
    }
    while (this.changesSeen < st.changes.length) {
      const c = st.changes[this.changesSeen++]!;
      // Before the first signal there is no trading day yet: the change belongs to the day of its time.
      const day = Number.isFinite(st.day) ? st.day : tradingDay(c.ts, this.decider.snap.dayResetMinute);
      j?.stateChange({ from: c.from, to: c.to, reason: c.reason, ts: c.ts, day });
      this.onStateChange?.(c);
      // The kill switch: every move to HALTED, whoever caused it, cancels the venue's working orders.
      if (c.to === "HALTED") {
        const r = this.venue.cancelAll(c.reason);
        this.onCancelAll?.(r);
      }
    }
  }

  /** Append the marks that moved since the last commit (the journal's beforeCommit hook). */
  private flushMarks(): void {
    const j = this.journal;
    if (j === null || this.dirtyN === 0) return;
    const d = this.decider;
    const S = d.state.sym;
    const names = d.snap.symbols;
    for (let k = 0; k < this.dirtyN; k++) {
      const i = this.dirty[k]!;
      if (this.markState[i] === 1) j.mark(names[i]!, S[i * SYM_WIDTH + S_MARK]!, this.lastTs);
      this.markState[i] = 0;
    }
    this.dirtyN = 0;
  }

  private sizeDirty(n: number): void {
    if (this.journal === null) return;
    this.dirty = new Int32Array(n);
    this.markState = new Uint8Array(n);
    this.dirtyN = 0;
  }

  /** A fill from the venue; looked up by name, since a reload may have re-indexed symbols. */
  private applyFill(f: Fill): void {
    const d = this.decider;
    const snap = d.snap;
    const i = snap.symbols[f.symbolIndex] === f.symbol ? f.symbolIndex : snap.index.get(f.symbol);
    if (i === undefined) return;
    d.fill(i, f.side, f.qty, f.price);
    const j = this.journal;
    if (j === null) return;
    const r = this.fillRow;
    r.orderId = f.orderId;
    r.symbol = f.symbol;
    r.side = f.side;
    r.qty = f.qty;
    r.price = f.price;
    r.ts = f.ts;
    r.day = d.state.day;
    j.fill(r);
  }
}
