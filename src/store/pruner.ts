/**
 * Retention on a running engine: journal rows of trading days older than `retainDays` are pruned
 * at start-up and again whenever the trading day changes (checked hourly), a small batch per
 * event-loop turn, so a prune never holds the loop for more than one short transaction.
 * Config versions and the audit log are never pruned (Store.prune does not touch them).
 */
import type { Store } from "./store.ts";

export interface RetentionOptions {
  readonly retainDays: number;
  /** The current trading day (the caller's clock and reset time). */
  readonly currentDay: () => number;
  /** Rows per transaction. */
  readonly batch?: number;
  /** How often to look for a new day, ms. */
  readonly checkEveryMs?: number;
  /** A finished pass and the rows it removed (only called when it removed some). */
  readonly onPruned?: (rows: number, beforeDay: number) => void;
  readonly onError?: (err: unknown) => void;
}

export interface Retention {
  /** Resolves when the pass started at start-up is complete. */
  readonly firstPass: Promise<number>;
  stop(): void;
}

/** Start pruning; the first pass begins at once. */
export function startRetention(store: Store, opts: RetentionOptions): Retention {
  const batch = opts.batch ?? 500;
  let stopped = false;
  let lastDay = Number.NaN;
  let running = false;

  const pass = (): Promise<number> =>
    new Promise((done) => {
      const day = opts.currentDay();
      lastDay = day;
      const before = day - opts.retainDays;
      let total = 0;
      running = true;
      const step = () => {
        if (stopped) {
          running = false;
          return done(total);
        }
        let n = 0;
        try {
          n = store.prune(before, batch);
        } catch (err) {
          opts.onError?.(err);
        }
        total += n;
        if (n > 0) return void setImmediate(step);
        running = false;
        if (total > 0) opts.onPruned?.(total, before);
        done(total);
      };
      setImmediate(step);
    });

  const firstPass = pass();
  const timer = setInterval(() => {
    if (!running && !stopped && opts.currentDay() !== lastDay) void pass();
  }, opts.checkEveryMs ?? 3_600_000);
  timer.unref?.();
  return {
    firstPass,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
