/**
 * The store: config versions, the audit log and the order journal, behind one interface, so the
 * engine and the CLI never see SQL. `sqlite.ts` implements it over bun:sqlite (a file, or
 * `:memory:`); test/store/store.contract.ts is the contract every implementation keeps.
 *
 * Two halves: `StoreReader` is everything `keel state` needs and works on a read-only connection
 * while a server writes; `Store` adds the writes and is held by exactly one process.
 *
 * Ordering: every journal row (order, fill, state change) gets a `seq` from one counter, so rows
 * of different kinds can be merged back into the order they were appended in. Seqs increase but
 * may have gaps (a failed batch burns its seqs). They are unique among the rows present: a writer
 * continues after the highest seq still stored (or folded into the position carry).
 */
import type { Change } from "../config/diff.ts";
import type { TradingStateName } from "../risk/trading-state.ts";
import type { PositionCarry } from "./positions.ts";

export type { Change } from "../config/diff.ts";
export type { PositionCarry } from "./positions.ts";

/** Which trading mode a database belongs to; each has its own file. */
export type TradingMode = "paper" | "live";

/** One stored config version. */
export interface ConfigVersion {
  /** 1, 2, 3, ... in creation order. */
  readonly version: number;
  /** The version's hash (config/canonical.ts), hex. */
  readonly hash: string;
  /** The canonical document (config/canonical.ts), the version's full content, however it is stored. */
  readonly canonical: string;
  /** The version this one was derived from; null for the first. */
  readonly parent: number | null;
  readonly author: string;
  readonly message: string;
  /** Epoch ms. */
  readonly createdAt: number;
}

/** A version without its document, as listings show it. */
export type VersionInfo = Omit<ConfigVersion, "canonical">;

/** What createVersion needs; the store assigns the number and the time. */
/** A one-symbol change: `entry` is the symbol's new canonical entry, null when it was removed. */
export interface SymbolDelta {
  readonly symbol: string;
  readonly entry: unknown;
}

/**
 * A version to store: its whole canonical document, or, for a one-symbol PATCH or DELETE, the
 * change to its parent (stored as such; reads rebuild the document).
 */
export interface NewVersion {
  readonly hash: string;
  /** The whole document; not stored (pass "") when `delta` is given. */
  readonly canonical: string;
  readonly delta?: SymbolDelta;
  readonly parent: number | null;
  readonly author: string;
  readonly message: string;
}

/**
 * Why an audit row was written. Version changes: startup, activate, rollback, patch, delete (a symbol).
 * Trading-state changes: halt, resume, reduce (their change list is `[{ path: "trading_state", from, to }]`).
 */
export type AuditAction = "startup" | "activate" | "rollback" | "patch" | "delete" | "halt" | "resume" | "reduce";

/** One audit row: who did what, when, between which versions, and what changed. */
export interface AuditEntry {
  readonly id: number;
  /** Epoch ms. */
  readonly ts: number;
  readonly author: string;
  readonly action: AuditAction;
  /** The active version before; null when there was none. */
  readonly fromVersion: number | null;
  /** The active version after (the same as before for a halt or resume). */
  readonly toVersion: number | null;
  readonly changes: readonly Change[];
  /** Free text; required in practice for trading-state changes. */
  readonly reason: string;
}

/** How an activation is recorded. */
export interface Activation {
  readonly author: string;
  readonly action: AuditAction;
  /** The change list from the previous active version (config/diff.ts); [] when not computed. */
  readonly changes?: readonly Change[];
  readonly reason?: string;
}

/** An audit row that is not an activation (halt, resume, reduce): versions default to the active one. */
export interface AuditInput {
  readonly author: string;
  readonly action: AuditAction;
  readonly changes: readonly Change[];
  readonly reason: string;
  readonly fromVersion?: number | null;
  readonly toVersion?: number | null;
}

/** A decision that produced an order, as journaled. */
export interface NewOrder {
  /** The signal id, which is also the order id its fills carry. */
  readonly id: string;
  readonly symbol: string;
  /** 1 buy, -1 sell. */
  readonly side: number;
  readonly qty: number;
  /** Limit price, or the reference price of a market order. */
  readonly price: number;
  /** ORDER_LIMIT / ORDER_MARKET (config/snapshot.ts). */
  readonly orderType: number;
  /** Index into TIF_NAMES (config/snapshot.ts). */
  readonly tif: number;
  /** The config version the decision was made under. */
  readonly configVersion: number;
  /** The signal's own price (the mark it set), which the order price was derived from. */
  readonly signalPrice: number;
  /** Signal time, epoch ms. */
  readonly ts: number;
  /** Trading day (risk/reset.ts). */
  readonly day: number;
}

/** A fill, as journaled. */
export interface NewFill {
  readonly orderId: string;
  readonly symbol: string;
  readonly side: number;
  readonly qty: number;
  readonly price: number;
  readonly ts: number;
  readonly day: number;
}

/** A trading-state change with its reason, as journaled. */
export interface NewStateChange {
  readonly from: TradingStateName;
  readonly to: TradingStateName;
  readonly reason: string;
  readonly ts: number;
  readonly day: number;
}

/** A symbol's latest mark as journaled. */
export interface MarkRow {
  readonly symbol: string;
  readonly price: number;
  readonly ts: number;
  /** The journal seq it was written at; an order with a higher seq carries a newer mark. */
  readonly seq: number;
}

export type OrderRow = NewOrder & { readonly seq: number };
export type FillRow = NewFill & { readonly seq: number };
export type StateChangeRow = NewStateChange & { readonly seq: number };

/** Everything recovery needs about one trading day, each list in seq (append) order. */
export interface DayJournal {
  readonly day: number;
  readonly orders: OrderRow[];
  readonly fills: FillRow[];
  readonly stateChanges: StateChangeRow[];
  /** The last state change of any earlier day: a HALTED carried over from yesterday. */
  readonly stateBefore: StateChangeRow | null;
}

/**
 * Called once the batch holding every row appended before the callback was registered has
 * committed (err null), or failed (err set: those rows are not in the database).
 */
export type CommitCallback = (err: Error | null) => void;

/**
 * The order journal's write side. Appends are buffered and committed in one transaction per
 * event-loop tick (or earlier by flush()); nothing is durable until a commit callback says so.
 */
export interface Journal {
  /** Buffer a decision row; returns its seq. */
  order(o: NewOrder): number;
  /** Buffer a fill row; returns its seq. */
  fill(f: NewFill): number;
  /** Buffer a trading-state change; returns its seq. */
  stateChange(s: NewStateChange): number;
  /**
   * Buffer a symbol's latest mark (last signal price); committed as an upsert, one row per symbol,
   * stamped with the last seq appended. Not needed when the symbol's newest row is an accepted
   * order: its signal_price is the mark.
   */
  mark(symbol: string, price: number, ts: number): void;
  /** Buffer the unrealised P&L at the start of a trading day (the daily-loss baseline); upserted. */
  dayStart(day: number, unrealized: number): void;
  /**
   * Run `fn` at the start of every commit, before the rows are written: the place to append state
   * that is kept per symbol rather than per event (marks), once per batch instead of per decision.
   */
  beforeCommit(fn: (() => void) | null): void;
  /** Rows buffered and not yet committed. */
  readonly pending: number;
  /** Call `cb` after everything appended so far is committed (never synchronously from here). */
  afterCommit(cb: CommitCallback): void;
  /** Resolves once everything appended so far is committed; rejects with JournalCommitError. */
  committed(): Promise<void>;
  /** Commit now, synchronously, then run the waiters; throws JournalCommitError on failure. */
  flush(): void;
}

/** The read side: what `keel state`, `keel versions` and recovery use. */
export interface StoreReader {
  getVersion(version: number): ConfigVersion | null;
  /** The newest version with this hash, or null. */
  findByHash(hash: string): ConfigVersion | null;
  /** Newest first, without the documents (getVersion has them). */
  listVersions(limit?: number): VersionInfo[];
  /** The active version, or null on an empty database. */
  activeVersion(): ConfigVersion | null;
  /** Newest first. */
  listAudit(limit?: number): AuditEntry[];

  /** Orders, fills and state changes of one trading day, plus the state carried into it. */
  dayJournal(day: number): DayJournal;
  /** Orders journaled on a trading day (the daily trade count), without reading them. */
  dailyTrades(day: number): number;
  /** The most recent trading-state change of all, or null (never changed: ACTIVE). */
  lastStateChange(): StateChangeRow | null;
  /** The newest trading day with any journal row, or null. */
  lastDay(): number | null;
  /** Every fill not yet folded into the carry, in seq order (positions carry over days). */
  fills(): IterableIterator<FillRow>;
  /** Per-symbol positions as of the last prune; rebuild = carry, then fills() (see positions.ts). */
  positionCarry(): PositionCarry[];
  /** Every symbol's latest journaled mark. */
  marks(): MarkRow[];
  /** Each symbol's most recent order, of any day (its duplicate window). */
  lastOrders(): OrderRow[];
  /** The unrealised P&L journaled at the start of `day`, or null. */
  dayStartOf(day: number): number | null;

  /** Release the connection; idempotent. */
  close(): void;
}

/** The full store, held by the one writer process. */
export interface Store extends StoreReader {
  readonly journal: Journal;
  /** Store a new version (not activated); returns its number. */
  createVersion(v: NewVersion): number;
  /** Make `version` the active one and write the audit row, in one transaction. */
  activate(version: number, a: Activation): AuditEntry;
  /** createVersion then activate, in one transaction (a crash leaves neither). */
  createAndActivate(v: NewVersion, a: Activation): { version: number; audit: AuditEntry };
  /** An audit row that does not change the active version (halt, resume, reduce). */
  recordAudit(a: AuditInput): AuditEntry;
  /**
   * Delete journal rows of trading days before `beforeDay`, at most `batchSize` per call, in one
   * transaction; fills are folded into the position carry first. Returns rows deleted (0: done).
   * Config versions and the audit log are never touched.
   */
  prune(beforeDay: number, batchSize: number): number;
  /** Flush the journal, then release the connection; idempotent. */
  close(): void;
}
