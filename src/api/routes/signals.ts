/** `POST /signals`: an array of signals through the same engine as TCP ingest, the same replies. */
import type { Hono } from "hono";
import { errorReply, type Reply } from "../../engine/order.ts";
import { toSignal } from "../../engine/signal.ts";
import type { AppDeps } from "../app.ts";
import { fail } from "../errors.ts";
import { readJson } from "./body.ts";

export function signalRoutes(app: Hono, d: AppDeps): void {
  app.post("/signals", async (c) => {
    const body = await readJson(c);
    if (!body.ok) return body.response;
    if (!Array.isArray(body.value)) return fail(c, 400, "invalid_body", "expected a JSON array of signals");
    const replies: Reply[] = [];
    for (const v of body.value) {
      const p = toSignal(v, Date.now);
      if (!p.ok) {
        replies.push(errorReply(p.message, p.id));
        continue;
      }
      // As over TCP: a failure inside the engine answers that signal, not the whole batch, whose
      // other signals may already be decided (an accepted order must get its reply).
      try {
        replies.push(d.engine.process(p.signal));
      } catch (err) {
        d.onError?.(err);
        replies.push(errorReply("internal error", p.signal.id));
      }
    }
    // As over TCP: the answer leaves only once the orders it acknowledges are committed.
    try {
      await d.store.journal.committed();
    } catch (err) {
      // As over TCP too: orders that were not recorded cannot be traded on; halt until an operator looks.
      const message = err instanceof Error ? err.message : String(err);
      d.control.setTradingState("HALTED", `journal commit failed: ${message}`, "engine");
      return fail(c, 500, "journal_commit_failed", `the journal could not record this batch; its orders were not acknowledged and trading is halted: ${message}`);
    }
    return c.json(replies);
  });
}
