/**
 * Messages between the main thread (workers/pool.ts: the journal writer, the admin API, reloads)
 * and the engine Workers (workers/engine-worker.ts). Decided orders travel in batches, one per
 * Worker turn, as flat arrays (cheaper to clone than one object per order); the main thread
 * answers each batch once its rows are committed, and only then does the Worker send the replies.
 */
import type { Shard } from "../config/shard.ts";
import type { GenerationParts } from "./generation.ts";

/** Numbers per order in Batch.nums. */
export const ORDER_NUMS = 9;
// Offsets in an order's numbers.
export const N_SIDE = 0;
export const N_QTY = 1;
export const N_PRICE = 2;
export const N_ORDER_TYPE = 3;
export const N_TIF = 4;
export const N_SLIPPAGE = 5;
export const N_SIGNAL_PRICE = 6;
export const N_TS = 7;
export const N_VERSION = 8;
/** Numbers per mark in Batch.markNums: price, ts, the reject code. */
export const MARK_NUMS = 3;

export interface WorkerInit {
  readonly kind: "init";
  readonly index: number;
  readonly gen: GenerationParts;
  readonly state: SharedArrayBuffer;
  readonly host: string;
  readonly port: number;
  readonly shard: Shard | null;
}

export type ToWorker =
  | WorkerInit
  /** A new generation (a full reload); with a new state when the layout changed. */
  | { readonly kind: "load"; readonly id: number; readonly gen: GenerationParts; readonly state: SharedArrayBuffer | null }
  /** Stop deciding (input is held) and report once the last batch is sent. */
  | { readonly kind: "pause"; readonly id: number }
  | { readonly kind: "resume" }
  /** A batch is committed (error: null) or failed. */
  | { readonly kind: "committed"; readonly batch: number; readonly error: string | null }
  /** SIGTERM: stop accepting, send what is decided, wait for its commits, close. */
  | { readonly kind: "stop" };

export interface Batch {
  readonly kind: "batch";
  readonly batch: number;
  readonly ids: string[];
  readonly syms: string[];
  readonly nums: number[];
  readonly markSyms: string[];
  readonly markNums: number[];
  /** Signal time of a max_daily_loss halt this Worker made, or -1. */
  readonly halt: number;
}

export type FromWorker =
  | { readonly kind: "listening"; readonly port: number }
  | { readonly kind: "failed"; readonly message: string }
  | Batch
  | { readonly kind: "loaded"; readonly id: number }
  | { readonly kind: "paused"; readonly id: number }
  | { readonly kind: "stopped" };
