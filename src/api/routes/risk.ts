/** `GET /risk` and the operator's trading-state verbs: halt, reduce, resume. */
import type { Context, Hono } from "hono";
import { riskReport } from "../../risk/report.ts";
import type { AppDeps } from "../app.ts";
import { fail } from "../errors.ts";
import { authorOf, readJson } from "./body.ts";

const VERBS = { halt: "HALTED", reduce: "REDUCING", resume: "ACTIVE" } as const;

export function riskRoutes(app: Hono, d: AppDeps): void {
  app.get("/risk", (c) => {
    const { prepared } = d.control.current;
    return c.json(riskReport(d.engine.decider.state, d.engine.snapshot, prepared.document));
  });
  for (const [verb, to] of Object.entries(VERBS)) {
    app.post(`/risk/${verb}`, async (c: Context) => {
      const body = await readJson(c);
      if (!body.ok) return body.response;
      const reason = (body.value as { reason?: unknown } | null)?.reason;
      if (typeof reason !== "string" || reason.trim().length === 0 || reason.length > 500) {
        return fail(c, 400, "invalid_body", 'expected { "reason": "why" }: a non-empty string of at most 500 characters');
      }
      const r = d.control.setTradingState(to, reason.trim(), authorOf(c));
      if (!r.ok) return fail(c, r.status, r.error, r.message);
      return c.json({ trading_state: r.to, previous: r.from });
    });
  }
}
