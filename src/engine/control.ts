/**
 * Control: the operator's verbs over a running engine, whoever calls them (the admin API today).
 * Activate a document, patch or delete one symbol, roll back, halt, reduce, resume. Each write is
 * validated and compiled off the hot path, persisted with its author and change list, swapped in
 * between two decisions, and published on the event bus. Bad input changes nothing: the active
 * version, the journal and the counters stay as they were.
 *
 * Results are data: `{ ok: true, ... }` or a refusal with an HTTP-like status and a code, so the
 * API maps them without exceptions.
 */
import { changesOf, type Change } from "../config/diff.ts";
import type { ConfigIssue, ConfigWarning } from "../config/errors.ts";
import { parseText, type Format } from "../config/load.ts";
import { OFFLOAD_CHARS, type ConfigWorker, type Outcome } from "../config/offload.ts";
import { PatchLineage, type Planned as LineagePlanned } from "../config/lineage.ts";
import { prepareValue, type Prepared } from "../config/prepare.ts";
import type { Shard } from "../config/shard.ts";
import { MODE_LIVE } from "../config/snapshot.ts";
import type { EventBus } from "../events/bus.ts";
import { ACTIVE, HALTED, REDUCING, TRADING_STATES } from "../risk/trading-state.ts";
import { SYM_WIDTH, S_POS } from "../risk/state.ts";
import type { AuditAction, Store } from "../store/store.ts";
import type { VenueEvent } from "../venue/venue.ts";
import type { Engine } from "./engine.ts";

/** A one-symbol change, checked and ready to activate. */
type Planned = { readonly ok: true } & LineagePlanned;

export type Refusal = {
  readonly ok: false;
  readonly status: 400 | 404 | 409 | 412 | 422 | 429;
  readonly error: string;
  readonly message: string;
  readonly issues?: readonly ConfigIssue[];
  /** Seconds, for 429. */
  readonly retryAfter?: number;
};

export type WriteResult =
  | { readonly ok: true; readonly version: number; readonly hash: string; readonly warnings: readonly ConfigWarning[]; readonly changes: readonly Change[]; readonly unchanged: boolean }
  | Refusal;

export interface Validation {
  readonly valid: boolean;
  readonly issues: readonly ConfigIssue[];
  readonly warnings: readonly ConfigWarning[];
  readonly changes: readonly Change[];
}

export interface WriteMeta {
  readonly author: string;
  readonly message?: string;
  /** The hash the writer based its change on (If-Match); a mismatch is 412. */
  readonly ifMatch?: string;
}

export interface ControlOptions {
  readonly engine: Engine;
  readonly store: Store;
  readonly bus: EventBus;
  /** The active version, as start-up settled it. */
  readonly active: Prepared;
  readonly version: number;
  readonly now?: () => number;
  readonly log?: (line: string) => void;
  /** Prepare large documents on this Worker (config/offload.ts); inline when absent. */
  readonly worker?: ConfigWorker;
  /** This host's shard: compile only its symbols. */
  readonly shard?: Shard;
  /** Offload threshold, for tests (0 sends every document to the worker). */
  readonly offloadChars?: number;
}

export class Control {
  private active: Prepared;
  private version: number;
  private readonly engine: Engine;
  private readonly store: Store;
  private readonly bus: EventBus;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  /** Times of recent config writes, for the circuit breaker. */
  private readonly writes: number[] = [];
  /** Set by revokeTrading(): why this process may not trade again. */
  private revoked: string | null = null;
  /** Who asked for the trading-state change in progress; null: the engine itself (a limit). */
  private stateAuthor: string | null = null;
  private readonly worker: ConfigWorker | null;
  private readonly shard: Shard | undefined;
  /** The active document's admin.max_config_writes_per_minute. */
  private maxWrites: number;
  private readonly offloadChars: number;
  /** The active whole version and its one-symbol patches since (config/lineage.ts). */
  private lineage: PatchLineage;
  /** Writes run one at a time, in arrival order: each sees the version the previous one left. */
  private queue: Promise<unknown> = Promise.resolve();
  reloads = 0;
  /** Milliseconds spent preparing and swapping, per reload (for metrics). */
  lastReloadMs = 0;

  constructor(o: ControlOptions) {
    this.active = o.active;
    this.version = o.version;
    this.engine = o.engine;
    this.store = o.store;
    this.bus = o.bus;
    this.now = o.now ?? Date.now;
    this.log = o.log ?? (() => {});
    this.worker = o.worker ?? null;
    this.shard = o.shard;
    this.maxWrites = o.active.document.admin.max_config_writes_per_minute;
    this.offloadChars = o.offloadChars ?? OFFLOAD_CHARS;
    this.worker?.setActive(this.active.canonical, this.active.hash);
    // The start-up version's patch index is built now, before any signal: building it at the
    // first PATCH would stall decisions (~30 ms at 100,000 symbols).
    this.lineage = new PatchLineage(this.active, this.worker, this.shard, true);
    this.engine.onStateChange = (c) => {
      const author = this.stateAuthor ?? "engine";
      const action: AuditAction = c.to === "HALTED" ? "halt" : c.to === "REDUCING" ? "reduce" : "resume";
      this.log(`trading state ${c.from} -> ${c.to} (${c.reason}, by ${author})`);
      this.store.recordAudit({ author, action, reason: c.reason, changes: [{ path: "trading_state", from: c.from, to: c.to }] });
      const ts = this.now();
      this.bus.publish({ type: "trading_state_changed", from: c.from, to: c.to, reason: c.reason, author, ts });
      if (this.stateAuthor === null && c.to === "HALTED") this.bus.publish({ type: "risk_breach", limit: c.reason, to: c.to, reason: c.reason, ts });
    };
    this.engine.onCancelAll = (r) => this.log(`kill switch: ${r.note}`);
    this.engine.onVenueEvent = (e) => this.venueEvent(e);
  }

  /**
   * What the venue says about itself: logged and published; a lost session halts the engine
   * (audited as by "venue"), and it stays HALTED until an operator resumes with the session back.
   */
  private venueEvent(e: VenueEvent): void {
    const venue = this.engine.venue.name;
    this.log(`venue ${venue}: ${e.kind}: ${e.text}`);
    const orderId = "orderId" in e ? e.orderId : undefined;
    this.bus.publish({ type: "venue", venue, kind: e.kind, ...(orderId !== undefined ? { order_id: orderId } : {}), text: e.text, ts: this.now() });
    if (e.kind === "down" && this.engine.decider.state.tradingState !== HALTED) this.setTradingState("HALTED", e.text, "venue");
  }

  /** The active version: number, hash, document. */
  get current(): { readonly version: number; readonly prepared: Prepared } {
    return { version: this.version, prepared: this.active };
  }

  /** Every check a write would make, and the change list, without activating anything. */
  async validate(text: string, format: Format): Promise<Validation | Refusal> {
    const out = await this.prepareText(text, format);
    if (!out.ok) {
      if (out.malformed) return refuse(400, "malformed_body", out.issues[0]?.message ?? "malformed body", out.issues);
      return { valid: false, issues: out.issues, warnings: out.warnings, changes: [] };
    }
    const p = out.prepared;
    const refused = this.restartOnly(p);
    if (refused !== null) return { valid: false, issues: [{ path: refused.path, code: "invalid_value", message: refused.message }], warnings: p.warnings, changes: out.changes };
    return { valid: true, issues: [], warnings: p.warnings, changes: out.changes };
  }

  /** Activate a whole document, given as its text (JSON or TOML). */
  put(text: string, format: Format, meta: WriteMeta): Promise<WriteResult> {
    return this.write(meta, "activate", () => this.prepareText(text, format));
  }

  /**
   * Merge a partial symbol entry into the active document (a new symbol must be complete).
   * Prepared on this thread whatever the document's size: only the one entry is validated,
   * hashed and compiled (config/patchable.ts).
   */
  patchSymbol(symbol: string, partial: unknown, meta: WriteMeta): Promise<WriteResult> {
    if (typeof partial !== "object" || partial === null || Array.isArray(partial)) {
      return Promise.resolve(refuse(400, "invalid_body", "the body must be a JSON object: the symbol's fields to change"));
    }
    const fields = partial as Record<string, unknown>;
    return this.write(meta, "patch", () => this.planPatch(symbol, fields));
  }

  /** Remove a symbol; refused while it has an open position. */
  deleteSymbol(symbol: string, meta: WriteMeta): Promise<WriteResult> {
    return this.write(meta, "delete", () => {
      // A shard has no state for a symbol it does not compile.
      const i = this.engine.snapshot.index.get(symbol);
      const pos = i === undefined ? 0 : this.engine.decider.state.sym[i * SYM_WIDTH + S_POS]!;
      if (pos !== 0) return refuse(409, "open_position", `symbol ${symbol} has an open position of ${pos}; close it before removing the symbol`);
      return this.planPatch(symbol, null);
    });
  }

  /** Plan a one-symbol change on the active lineage (config/lineage.ts says where). */
  private async planPatch(symbol: string, fields: Record<string, unknown> | null): Promise<Outcome | Planned | Refusal> {
    const r = await this.lineage.plan(symbol, fields, this.active);
    if (r.ok) return r;
    if (r.missing === true) return refuse(404, "unknown_symbol", `symbol ${symbol} is not in the active config`);
    return { ok: false, issues: r.issues, warnings: r.warnings, malformed: false };
  }

  /** A new version whose document equals version `v`'s. */
  rollback(v: number, meta: WriteMeta): Promise<WriteResult> {
    const stored = this.store.getVersion(v);
    if (stored === null) return Promise.resolve(refuse(404, "unknown_version", `there is no version ${v}`));
    return this.write(meta, "rollback", () => this.prepareText(stored.canonical, "json"));
  }

  /**
   * Move the engine to HALTED, REDUCING or ACTIVE on an operator's word. Halting always works.
   * Leaving HALTED for a state that trades is refused once trading has been revoked
   * (revokeTrading: 409 trading_revoked) and while the venue cannot take orders (409 venue_down).
   */
  setTradingState(to: "HALTED" | "REDUCING" | "ACTIVE", reason: string, author: string): { readonly ok: true; readonly from: string; readonly to: string } | Refusal {
    if (this.revoked !== null && to !== "HALTED") {
      return refuse(409, "trading_revoked", `${this.revoked}: this process may not trade again; restart keel serve with a new authorisation`);
    }
    const code = to === "HALTED" ? HALTED : to === "REDUCING" ? REDUCING : ACTIVE;
    const from = TRADING_STATES[this.engine.decider.state.tradingState]!;
    const down = this.engine.venue.down;
    if (code !== HALTED && down !== null) {
      return refuse(409, "venue_down", `cannot move to ${to}: ${down}; trading stays ${from} until the session is back`);
    }
    this.stateAuthor = author;
    try {
      this.engine.setTradingState(code, reason, this.now());
    } finally {
      this.stateAuthor = null;
    }
    return { ok: true, from, to };
  }

  /**
   * Halt for the rest of this process's life (a live authorisation expired): the halt goes the
   * operator's way (journaled, audited, published); from then on resume and reduce are refused.
   * An engine already HALTED stays so, and the revocation is still audited and published, so
   * the record says why it can no longer resume.
   */
  revokeTrading(reason: string, author: string): void {
    this.revoked = reason;
    if (this.engine.decider.state.tradingState !== HALTED) {
      this.setTradingState("HALTED", reason, author);
      return;
    }
    this.log(`trading state HALTED -> HALTED (${reason}, by ${author})`);
    this.store.recordAudit({ author, action: "halt", reason, changes: [] });
    this.bus.publish({ type: "trading_state_changed", from: "HALTED", to: "HALTED", reason, author, ts: this.now() });
  }

  /** Why trading was revoked, or null while it may resume. */
  get revokedBecause(): string | null {
    return this.revoked;
  }

  /** Parse and prepare text: in the Worker when it is large, inline otherwise. */
  private prepareText(text: string, format: Format): Promise<Outcome> {
    if (this.offloaded(text.length >= this.offloadChars)) return this.worker!.prepare(text, format);
    const parsed = parseText(text, format);
    if (!parsed.ok) return Promise.resolve({ ok: false, issues: [parsed.issue], warnings: [], malformed: true });
    return this.settleInline(prepareValue(parsed.value, this.shard));
  }

  private offloaded(large: boolean): boolean {
    // A worker that failed (it should not) is not waited on: the write is prepared inline.
    return large && this.worker !== null && this.worker.alive;
  }

  /**
   * A preparation made on this thread, as an Outcome with its change list; `symbol` names the one
   * entry a patch changed, so only it is diffed.
   */
  private settleInline(p: ReturnType<typeof prepareValue>, symbol?: string): Promise<Outcome> {
    if (!p.ok) return Promise.resolve({ ok: false, issues: p.issues, warnings: p.warnings, malformed: false });
    const changes = changesOf(this.active.document, p.document, symbol);
    return Promise.resolve({ ok: true, prepared: p, changes, maxWrites: p.document.admin.max_config_writes_per_minute });
  }

  private write(meta: WriteMeta, action: AuditAction, prepare: () => Promise<Outcome | Planned | Refusal> | Refusal): Promise<WriteResult> {
    const run = async (): Promise<WriteResult> => {
      const t0 = performance.now();
      const limited = this.breaker();
      if (limited !== null) return limited;
      if (meta.ifMatch !== undefined && meta.ifMatch !== this.active.hash) {
        return refuse(412, "precondition_failed", `If-Match ${meta.ifMatch} is not the active hash ${this.active.hash}`);
      }
      const out = await prepare();
      if (!out.ok) {
        if ("status" in out) return out;
        if (out.malformed) return refuse(400, "malformed_body", out.issues[0]?.message ?? "malformed body", out.issues);
        return { ok: false, status: 422, error: "invalid_config", message: `${out.issues.length} issue(s)`, issues: out.issues };
      }
      if ("plan" in out) return this.activatePatch(out, meta, action, t0);
      const p = out.prepared;
      const restart = this.restartOnly(p);
      if (restart !== null) return refuse(restart.status, restart.error, restart.message);
      if (p.hash === this.active.hash && action !== "rollback") {
        return { ok: true, version: this.version, hash: p.hash, warnings: p.warnings, changes: [], unchanged: true };
      }
      const changes = out.changes;
      const previous = this.version;
      const { version } = this.store.createAndActivate(
        { hash: p.hash, canonical: p.canonical, parent: previous, author: meta.author, message: meta.message ?? "" },
        { author: meta.author, action, changes },
      );
      // One reference swap between two decisions: no decision sees half of a version.
      this.engine.load(p.snapshot, version);
      this.active = p;
      this.lineage = new PatchLineage(p, this.worker, this.shard);
      this.maxWrites = out.maxWrites;
      this.worker?.setActive(p.canonical, p.hash);
      return this.activated(previous, version, p, changes, meta, action, t0);
    };
    const result = this.queue.then(run, run);
    this.queue = result;
    return result;
  }

  /** A one-symbol change: stored as a change to its parent, written into the Snapshot in place. */
  private activatePatch(planned: Planned, meta: WriteMeta, action: AuditAction, t0: number): WriteResult {
    const plan = planned.plan;
    if (plan.hash === this.active.hash) {
      planned.discard();
      return { ok: true, version: this.version, hash: plan.hash, warnings: plan.warnings, changes: [], unchanged: true };
    }
    const previous = this.version;
    let version: number;
    try {
      ({ version } = this.store.createAndActivate(
        { hash: plan.hash, canonical: "", delta: { symbol: plan.symbol, entry: plan.entry }, parent: previous, author: meta.author, message: meta.message ?? "" },
        { author: meta.author, action, changes: plan.changes },
      ));
    } catch (err) {
      planned.discard();
      throw err;
    }
    const { prepared } = this.engine.patch(version, () => this.lineage.apply(planned, this.active));
    this.active = prepared;
    return this.activated(previous, version, prepared, plan.changes, meta, action, t0);
  }

  /** After any activation: bookkeeping, the log line, the event. */
  private activated(previous: number, version: number, p: Prepared, changes: readonly Change[], meta: WriteMeta, action: AuditAction, t0: number): WriteResult {
    this.version = version;
    this.reloads++;
    this.lastReloadMs = performance.now() - t0;
    this.log(`config v${previous} -> v${version} (${action} by ${meta.author}, ${changes.length} change(s), ${this.lastReloadMs.toFixed(1)} ms)`);
    this.bus.publish({ type: "config_changed", version, previous, hash: p.hash, author: meta.author, action, changes, ts: this.now() });
    return { ok: true, version, hash: p.hash, warnings: p.warnings, changes, unchanged: false };
  }

  private restartOnly(p: Prepared): (Refusal & { readonly path: string }) | null {
    // From the Snapshots, not the documents: a Worker-prepared document is parsed only when read.
    if (p.snapshot.mode !== this.active.snapshot.mode) {
      const name = (m: number) => (m === MODE_LIVE ? "live" : "paper");
      const from = name(this.active.snapshot.mode);
      const to = name(p.snapshot.mode);
      return { ...refuse(409, "restart_required", `trading.mode cannot change on a running engine (${from} -> ${to}); restart with the new config`), path: "trading.mode" };
    }
    if (p.snapshot.venue !== this.active.snapshot.venue) {
      // The FIX session (host, comp ids, timers) is opened once at start, under working orders.
      return { ...refuse(409, "restart_required", "venue cannot change on a running engine; restart with the new config"), path: "venue" };
    }
    return null;
  }

  /** The circuit breaker: at most admin.max_config_writes_per_minute writes in any 60 s. */
  private breaker(): Refusal | null {
    const now = this.now();
    while (this.writes.length > 0 && this.writes[0]! <= now - 60_000) this.writes.shift();
    const max = this.maxWrites;
    if (this.writes.length >= max) {
      const retryAfter = Math.max(1, Math.ceil((this.writes[0]! + 60_000 - now) / 1000));
      return refuse(429, "too_many_writes", `more than ${max} config writes in a minute (admin.max_config_writes_per_minute); retry in ${retryAfter} s`, retryAfter);
    }
    this.writes.push(now);
    return null;
  }
}

function refuse(status: Refusal["status"], error: string, message: string, extra: number | readonly ConfigIssue[] = []): Refusal {
  if (typeof extra === "number") return { ok: false, status, error, message, retryAfter: extra };
  return extra.length === 0 ? { ok: false, status, error, message } : { ok: false, status, error, message, issues: extra };
}
