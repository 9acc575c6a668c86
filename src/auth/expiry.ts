/**
 * One timer for the instant a live authorisation expires, not a poll. Two details:
 *   - setTimeout takes at most 2^31-1 ms (24.8 days); a longer delay would fire at once, so a far
 *     expiry is reached in steps of at most that;
 *   - timers run on a monotonic clock while the expiry is a wall-clock instant, so on firing the
 *     wall clock is read again and, if it is not there yet (it was set back), the timer re-arms
 *     for the rest.
 * The timer is unref'd: it never keeps a stopping process alive. stop() clears it.
 */

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface ExpiryTimer {
  stop(): void;
}

/**
 * Call `onExpire` once, at wall-clock `expiresAt` (epoch ms); on the next turn of the event loop
 * if that has passed already (never from inside this call).
 */
export function armExpiry(expiresAt: number, onExpire: () => void, now: () => number = Date.now): ExpiryTimer {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const schedule = () => {
    timer = setTimeout(fire, Math.min(Math.max(0, expiresAt - now()), MAX_TIMEOUT_MS));
    timer.unref();
  };
  const fire = () => {
    if (now() < expiresAt) return schedule();
    timer = null;
    onExpire();
  };
  schedule();
  return {
    stop() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
