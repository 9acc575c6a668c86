/** `GET /health`: liveness and what is running, without a token. */
import type { Hono } from "hono";
import { MODE_LIVE } from "../../config/snapshot.ts";
import { TRADING_STATES } from "../../risk/trading-state.ts";
import type { AppDeps } from "../app.ts";

export function healthRoutes(app: Hono, d: AppDeps): void {
  app.get("/health", (c) => {
    const { version, prepared } = d.control.current;
    return c.json({
      status: "ok",
      version: d.keelVersion,
      config_version: version,
      config_hash: prepared.hash,
      mode: prepared.snapshot.mode === MODE_LIVE ? "live" : "paper",
      trading_state: TRADING_STATES[d.engine.decider.state.tradingState],
      uptime_s: Math.round((Date.now() - d.startedAt) / 1000),
      // Live only: when this process stops trading unless restarted with a new authorisation.
      ...(d.liveAuth === undefined ? {} : { live_auth_expires_at: new Date(d.liveAuth.expiresAt).toISOString() }),
    });
  });
}
