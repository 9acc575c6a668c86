/**
 * An engine Worker (`keel serve --workers N`): its own listener on the shared ingest port
 * (SO_REUSEPORT), the TCP ingest of ingest/tcp.ts, and the shared decider over the generation and
 * the shared risk state it was given. Nothing is copied: the Snapshot and the state arrive as
 * SharedArrayBuffers.
 *
 * Durability: the ingest hands every batch of replies to `journal.afterCommit`; here that means
 * "after the main thread has committed the orders this turn decided". Orders collect in one batch
 * per turn, posted from a microtask once the turn's input is decided; the main thread appends
 * them to the journal and answers `committed`, and only then do the replies go out. The Worker
 * never waits: it goes on deciding the next input meanwhile.
 */
/// <reference lib="webworker" />
import { ownerOf } from "../config/shard.ts";
import { makeOrder, type Reply } from "../engine/order.ts";
import { ACCEPTED, INVALID_SIGNAL, reasonName, UNKNOWN_SYMBOL, type RejectReason } from "../engine/reasons.ts";
import { SharedDecider } from "../engine/shared-decide.ts";
import type { Signal } from "../engine/signal.ts";
import { startIngest, type Ingest } from "../ingest/tcp.ts";
import { SharedRiskState } from "../risk/shared-state.ts";
import { Generation } from "./generation.ts";
import { MARK_NUMS, ORDER_NUMS, type Batch, type FromWorker, type ToWorker, type WorkerInit } from "./protocol.ts";

declare const self: Worker;

function post(m: FromWorker): void {
  self.postMessage(m);
}

let decider: SharedDecider | null = null;
let ingest: Ingest | null = null;
let shard: WorkerInit["shard"] = null;

// The open batch.
let batchId = 1;
let ids: string[] = [];
let syms: string[] = [];
let nums: number[] = [];
let markSyms: string[] = [];
let markNums: number[] = [];
let halt = -1;
let callbacks: ((err: Error | null) => void)[] = [];
let scheduled = false;
/** Callbacks of posted batches, by batch id, until their commit answer. */
const waiting = new Map<number, ((err: Error | null) => void)[]>();
let stopping = false;

/**
 * Leases on the shared totals (risk/total-lease.ts) are kept across turns, and given back when
 * another Worker is refused (the recall count, checked on every decision) or, here, when this
 * Worker decided nothing for a whole tick: an idle Worker holds nothing another could need.
 */
const IDLE_TICK_MS = 2;
/**
 * Armed by a turn that decided something, re-armed while decisions go on: an idle Worker holding
 * no lease is not woken for nothing.
 */
let idleTimer: ReturnType<typeof setTimeout> | null = null;
function idleTick(): void {
  idleTimer = null;
  if (decider !== null && !decider.idleTick()) armIdle();
}
function armIdle(): void {
  if (idleTimer !== null || stopping) return;
  idleTimer = setTimeout(idleTick, IDLE_TICK_MS);
  idleTimer.unref?.();
}

function flush(): void {
  scheduled = false;
  armIdle();
  if (callbacks.length === 0 && ids.length === 0 && markSyms.length === 0 && halt < 0) return;
  const b: Batch = { kind: "batch", batch: batchId, ids, syms, nums, markSyms, markNums, halt };
  waiting.set(batchId, callbacks);
  batchId++;
  ids = [];
  syms = [];
  nums = [];
  markSyms = [];
  markNums = [];
  halt = -1;
  callbacks = [];
  post(b);
}

function schedule(): void {
  if (!scheduled) {
    scheduled = true;
    queueMicrotask(flush);
  }
}

const engine = {
  process(s: Signal): Reply {
    const d = decider!;
    const code = d.decide(s);
    // These two return before the row (and its version) is read.
    const version = code === UNKNOWN_SYMBOL || code === INVALID_SIGNAL ? d.gen.version : d.version;
    if (d.halted) halt = s.ts;
    if (code === ACCEPTED) {
      const symbol = d.gen.snap.symbols[d.symbolIndex]!;
      ids.push(s.id);
      syms.push(symbol);
      nums.push(d.side, d.qty, d.price, d.orderType, d.tif, d.slippageBps, s.price, d.ts, version);
      schedule();
      return { id: s.id, status: "accepted", order: makeOrder(symbol, d.side, d.qty, d.price, d.orderType, d.tif), config_version: version };
    }
    if (d.marked >= 0) {
      markSyms.push(d.gen.snap.symbols[d.marked]!);
      markNums.push(s.price, s.ts, code);
      schedule();
    }
    if (code === UNKNOWN_SYMBOL && shard !== null) {
      const owner = ownerOf(s.symbol, shard.count);
      if (owner !== shard.index) return { id: s.id, status: "rejected", reason: "wrong_shard", shard: owner, config_version: version };
    }
    return { id: s.id, status: "rejected", reason: reasonName(code) as RejectReason, config_version: version };
  },
};

const journal = {
  afterCommit(cb: (err: Error | null) => void): void {
    callbacks.push(cb);
    schedule();
  },
};

function drained(): boolean {
  return waiting.size === 0 && callbacks.length === 0;
}

async function stop(): Promise<void> {
  stopping = true;
  if (idleTimer !== null) clearTimeout(idleTimer);
  decider?.returnLeases();
  ingest?.close();
  flush();
  // The replies of what was decided go out once committed; the main thread keeps committing.
  for (let k = 0; k < 500 && !drained(); k++) await Bun.sleep(2);
  await ingest?.stop();
  post({ kind: "stopped" });
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  switch (m.kind) {
    case "init": {
      shard = m.shard;
      const gen = Generation.fromParts(m.gen);
      decider = new SharedDecider(gen, new SharedRiskState(gen.snap.symbolCount, gen.snap.sectors.length, m.state));
      try {
        ingest = startIngest({
          host: m.host, port: m.port, engine, journal, reusePort: true,
          onError: (err) => console.error(`keel: worker ${m.index}: ingest: ${err instanceof Error ? err.message : String(err)}`),
        });
        post({ kind: "listening", port: ingest.port });
      } catch (err) {
        post({ kind: "failed", message: err instanceof Error ? err.message : String(err) });
      }
      return;
    }
    case "load": {
      const gen = Generation.fromParts(m.gen);
      const d = decider!;
      decider = m.state === null ? d : new SharedDecider(gen, new SharedRiskState(gen.snap.symbolCount, gen.snap.sectors.length, m.state));
      decider.gen = gen;
      post({ kind: "loaded", id: m.id });
      return;
    }
    case "pause":
      ingest?.hold();
      decider?.returnLeases();
      flush();
      post({ kind: "paused", id: m.id });
      return;
    case "resume":
      if (!stopping) ingest?.release();
      return;
    case "committed": {
      const cbs = waiting.get(m.batch);
      waiting.delete(m.batch);
      const err = m.error === null ? null : new Error(m.error);
      for (const cb of cbs ?? []) cb(err);
      return;
    }
    case "stop":
      void stop();
      return;
  }
};
