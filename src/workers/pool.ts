/**
 * Engine Workers, the main thread's side (`keel serve --workers N`). The main thread keeps what
 * must stay single: the journal writer, the admin API and Control, and an Engine that does not
 * decide but records (Engine.applyOrder): every batch a Worker decides is journaled, filled on the
 * paper venue and applied to that Engine's RiskState, exactly as a single-threaded decision would
 * be, and the batch's commit is answered to the Worker, which only then sends its replies.
 *
 * What it keeps in step:
 *   config    a PATCH of a few symbols is written into the live generation (one Atomics.store
 *             per row, no message); another reload with the same layout is a new generation,
 *             posted to every Worker and acknowledged; a reload that changes the layout (symbols,
 *             sectors, a reference price) pauses the Workers, rebuilds the shared state from the
 *             recorded RiskState, and resumes them with both.
 *   trading   an operator's halt/reduce/resume is stored in the shared state; a max_daily_loss
 *   state     halt a Worker made is recorded here (journaled, audited, published). The daily loss
 *             itself is computed here, from marks and fills, and published after every batch.
 *   death     a Worker that dies is reported, the engine moves to HALTED with the reason, the
 *             shared state is rebuilt from what was recorded (a dead Worker's unreported
 *             reservations are dropped), and a new Worker takes its place on the same port.
 *   SIGTERM   every Worker stops accepting, sends what it decided, waits for the commits, closes.
 */
import type { Shard } from "../config/shard.ts";
import { ownerOf } from "../config/shard.ts";
import type { Engine } from "../engine/engine.ts";
import { makeOrder, type Reply } from "../engine/order.ts";
import { ACCEPTED, INVALID_SIGNAL, reasonName, UNKNOWN_SYMBOL, type RejectReason } from "../engine/reasons.ts";
import { SharedDecider } from "../engine/shared-decide.ts";
import type { Signal } from "../engine/signal.ts";
import type { EventBus } from "../events/bus.ts";
import { SharedRiskState } from "../risk/shared-state.ts";
import { HALTED, TRADING_STATES } from "../risk/trading-state.ts";
import type { Journal } from "../store/store.ts";
import { Generation, patchInPlace, sameLayout } from "./generation.ts";
import { MARK_NUMS, N_ORDER_TYPE, N_PRICE, N_QTY, N_SIDE, N_SIGNAL_PRICE, N_SLIPPAGE, N_TIF, N_TS, N_VERSION, ORDER_NUMS, type Batch, type FromWorker, type ToWorker } from "./protocol.ts";
import { sharedFrom } from "./rebuild.ts";

export interface PoolOptions {
  readonly count: number;
  /** The recording Engine (with the journal), already recovered. */
  readonly engine: Engine;
  readonly journal: Journal;
  readonly bus: EventBus;
  readonly host: string;
  readonly port: number;
  readonly shard?: Shard;
  readonly log: (line: string) => void;
  /** A batch's commit failed: its orders were not acknowledged (the caller halts). */
  readonly onCommitFailed: (err: Error) => void;
  /** How long to wait for a Worker's answer before calling it dead. */
  readonly answerMs?: number;
}

interface Slot {
  readonly index: number;
  readonly worker: Worker;
  alive: boolean;
}

/** Where the Worker's code is: beside this file from source, under workers/ in the binary. */
function workerUrl(): URL {
  const compiled = import.meta.url.startsWith("file:///$bunfs/");
  return new URL(compiled ? "./workers/engine-worker.ts" : "./engine-worker.ts", import.meta.url);
}

export class WorkerPool {
  private gen: Generation;
  private state: SharedRiskState;
  /** The main thread's own decider over the shared state, for POST /signals. */
  private main: SharedDecider;
  private readonly slots: Slot[] = [];
  private readonly o: PoolOptions;
  private readonly answers = new Map<string, () => void>();
  private nextId = 1;
  /** Reloads, deaths and stop run one at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private stopping = false;
  /** The bound ingest port (the real one when 0 was asked for). */
  port = 0;
  /** Workers that died and were replaced since start. */
  deaths = 0;
  /** How config changes reached the Workers: in place, as a new generation, with a state rebuild. */
  readonly reloads = { inPlace: 0, generations: 0, rebuilds: 0 };

  private constructor(o: PoolOptions) {
    this.o = o;
    const e = o.engine;
    this.gen = Generation.create(e.snapshot, e.version);
    this.state = sharedFrom(e.snapshot, e.decider.state, e.dailyLoss());
    this.main = new SharedDecider(this.gen, this.state);
  }

  /** Start `count` Workers listening on one port; throws (code EADDRINUSE, ...) when it cannot. */
  static async start(o: PoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(o);
    // The port must be free: SO_REUSEPORT would otherwise silently share it with whoever has it.
    const probe = Bun.listen({ hostname: o.host, port: o.port, socket: { data() {} } });
    pool.port = probe.port;
    probe.stop(true);
    try {
      for (let k = 0; k < o.count; k++) await pool.spawn(k);
    } catch (err) {
      pool.terminate();
      throw err;
    }
    o.bus.subscribe((e) => {
      if (e.type === "config_changed") void pool.serial(() => pool.reload(e.version));
      else if (e.type === "trading_state_changed") pool.state.setTradingState(TRADING_STATES.indexOf(e.to as (typeof TRADING_STATES)[number]));
    });
    return pool;
  }

  get workers(): number {
    return this.slots.filter((s) => s.alive).length;
  }

  /** Decide on this thread (POST /signals), against the same shared state, recorded at once. */
  process(s: Signal): Reply {
    const d = this.main;
    const code = d.decide(s);
    // One decision at a time here: the main thread keeps no lease between them.
    d.returnLeases();
    const version = code === UNKNOWN_SYMBOL || code === INVALID_SIGNAL ? this.gen.version : d.version;
    const e = this.o.engine;
    if (code === ACCEPTED) {
      const symbol = d.gen.snap.symbols[d.symbolIndex]!;
      e.applyOrder({
        id: s.id, symbol, side: d.side, qty: d.qty, price: d.price, orderType: d.orderType, tif: d.tif, slippageBps: d.slippageBps,
        signalPrice: s.price, ts: d.ts, configVersion: version,
      });
      this.state.publishLoss(e.dailyLoss());
      return { id: s.id, status: "accepted", order: makeOrder(symbol, d.side, d.qty, d.price, d.orderType, d.tif), config_version: version };
    }
    if (d.marked >= 0) e.applyMark(d.gen.snap.symbols[d.marked]!, s.price, s.ts, code);
    if (d.halted) this.halt("max_daily_loss", s.ts);
    this.state.publishLoss(e.dailyLoss());
    const sh = this.o.shard;
    if (code === UNKNOWN_SYMBOL && sh !== undefined) {
      const owner = ownerOf(s.symbol, sh.count);
      if (owner !== sh.index) return { id: s.id, status: "rejected", reason: "wrong_shard", shard: owner, config_version: version };
    }
    return { id: s.id, status: "rejected", reason: reasonName(code) as RejectReason, config_version: version };
  }

  /** SIGTERM: each Worker sends what it decided, waits for the commits, and closes its sockets. */
  stop(): Promise<void> {
    this.stopping = true;
    return this.serial(async () => {
      await Promise.all(this.slots.filter((s) => s.alive).map((s) => this.ask(s, "stopped", { kind: "stop" }, 5000).catch(() => {})));
      this.terminate();
    });
  }

  /** Kill every Worker now (tests, failed starts). */
  terminate(): void {
    this.stopping = true;
    for (const s of this.slots) {
      s.alive = false;
      s.worker.terminate();
    }
  }

  /** One Worker, for a test of what happens when it dies. */
  workerForTest(k: number): Worker | undefined {
    return this.slots.filter((s) => s.alive)[k]?.worker;
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.queue.then(fn, fn).catch((err) => this.o.log(`engine workers: ${err instanceof Error ? err.message : String(err)}`));
    this.queue = next;
    return next;
  }

  private async spawn(index: number): Promise<void> {
    const worker = new Worker(workerUrl());
    const slot: Slot = { index, worker, alive: true };
    const started = Promise.withResolvers<void>();
    worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      switch (m.kind) {
        case "batch":
          return this.apply(slot, m);
        case "listening":
          return started.resolve();
        case "failed":
          return started.reject(Object.assign(new Error(m.message), { code: m.message.includes("EADDRINUSE") ? "EADDRINUSE" : undefined }));
        default:
          this.answers.get(`${index}:${m.kind}:${"id" in m ? m.id : ""}`)?.();
      }
    };
    worker.addEventListener("error", (e) => {
      started.reject(new Error(e.message));
      void this.died(slot, e.message);
    });
    worker.addEventListener("close", () => void this.died(slot, "exited"));
    const init: ToWorker = { kind: "init", index, gen: this.gen.toParts(), state: this.state.buffer, host: this.o.host, port: this.port, shard: this.o.shard ?? null };
    worker.postMessage(init);
    this.slots.push(slot);
    await started.promise;
  }

  /** Send `m` and wait for the answer `kind` (with m's id), or fail after a while. */
  private ask(slot: Slot, kind: string, m: ToWorker, ms = this.o.answerMs ?? 5000): Promise<void> {
    const key = `${slot.index}:${kind}:${"id" in m ? m.id : ""}`;
    return new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => {
        this.answers.delete(key);
        fail(new Error(`engine worker ${slot.index} did not answer ${m.kind}`));
      }, ms);
      this.answers.set(key, () => {
        clearTimeout(timer);
        this.answers.delete(key);
        ok();
      });
      slot.worker.postMessage(m);
    });
  }

  /** Record a Worker's batch, and answer it once its rows are committed. */
  private apply(slot: Slot, b: Batch): void {
    const e = this.o.engine;
    for (let k = 0; k < b.ids.length; k++) {
      const o = k * ORDER_NUMS;
      const n = b.nums;
      e.applyOrder({
        id: b.ids[k]!, symbol: b.syms[k]!, side: n[o + N_SIDE]!, qty: n[o + N_QTY]!, price: n[o + N_PRICE]!, orderType: n[o + N_ORDER_TYPE]!,
        tif: n[o + N_TIF]!, slippageBps: n[o + N_SLIPPAGE]!, signalPrice: n[o + N_SIGNAL_PRICE]!, ts: n[o + N_TS]!, configVersion: n[o + N_VERSION]!,
      });
    }
    for (let k = 0; k < b.markSyms.length; k++) {
      const o = k * MARK_NUMS;
      e.applyMark(b.markSyms[k]!, b.markNums[o]!, b.markNums[o + 1]!, b.markNums[o + 2]!);
    }
    if (b.halt >= 0) this.halt("max_daily_loss", b.halt);
    this.state.publishLoss(e.dailyLoss());
    this.o.journal.afterCommit((err) => {
      if (err !== null) this.o.onCommitFailed(err);
      if (slot.alive) slot.worker.postMessage({ kind: "committed", batch: b.batch, error: err === null ? null : err.message } satisfies ToWorker);
    });
  }

  private halt(reason: string, ts: number): void {
    const e = this.o.engine;
    if (e.decider.state.tradingState !== HALTED) e.setTradingState(HALTED, reason, ts);
  }

  /** Apply a config change that Control has already swapped into the recording Engine. */
  private async reload(version: number): Promise<void> {
    if (this.stopping) return;
    const next = this.o.engine.snapshot;
    if (patchInPlace(this.gen, next, version)) {
      this.reloads.inPlace++;
      return;
    }
    const live = this.slots.filter((s) => s.alive);
    if (sameLayout(this.gen.snap, next)) {
      this.gen = Generation.create(next, version);
      this.main.gen = this.gen;
      this.reloads.generations++;
      await Promise.all(live.map((s) => this.load(s, null)));
      return;
    }
    this.reloads.rebuilds++;
    await this.rebuild(() => {
      this.gen = Generation.create(next, version);
    });
  }

  /** Pause every Worker, rebuild the shared state from what was recorded, resume them with it. */
  private async rebuild(change: () => void): Promise<void> {
    const live = this.slots.filter((s) => s.alive);
    // Once a Worker says paused, every batch it sent before has been recorded (messages keep order).
    await Promise.all(live.map((s) => this.ask(s, "paused", { kind: "pause", id: this.nextId++ })));
    const old = { state: this.state, snap: this.gen.snap };
    change();
    const e = this.o.engine;
    this.state = sharedFrom(this.gen.snap, e.decider.state, e.dailyLoss(), old);
    this.main = new SharedDecider(this.gen, this.state);
    await Promise.all(live.filter((s) => s.alive).map((s) => this.load(s, this.state.buffer)));
    for (const s of live) if (s.alive) s.worker.postMessage({ kind: "resume" } satisfies ToWorker);
  }

  private load(s: Slot, state: SharedArrayBuffer | null): Promise<void> {
    return this.ask(s, "loaded", { kind: "load", id: this.nextId++, gen: this.gen.toParts(), state });
  }

  /** A Worker died: report, halt, rebuild the state without its unreported work, replace it. */
  private died(slot: Slot, why: string): Promise<void> {
    if (!slot.alive || this.stopping) return Promise.resolve();
    slot.alive = false;
    this.deaths++;
    this.o.log(`engine worker ${slot.index} died (${why}); trading halted, replacing it`);
    this.halt(`engine worker ${slot.index} died: ${why}`, Date.now());
    return this.serial(async () => {
      if (this.stopping) return;
      await this.rebuild(() => {});
      await this.spawn(slot.index);
      this.o.log(`engine worker ${slot.index} replaced; trading stays HALTED until an operator resumes`);
    });
  }
}

