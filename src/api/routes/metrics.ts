/** `GET /metrics`: Prometheus text exposition 0.0.4, built from the counters when scraped. */
import type { Hono } from "hono";
import { REASONS } from "../../engine/reasons.ts";
import { Exposition } from "../../metrics/prometheus.ts";
import type { AppDeps } from "../app.ts";

// Seconds: decisions take tens of nanoseconds, reloads milliseconds.
const DECISION_BOUNDS = [50e-9, 100e-9, 250e-9, 500e-9, 1e-6, 2.5e-6, 10e-6, 100e-6, 1e-3];
const RELOAD_BOUNDS = [1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 1, 5];
const BATCH_BOUNDS = [1, 10, 100, 1000, 10_000, 65_536];

export function metricsRoutes(app: Hono, d: AppDeps): void {
  app.get("/metrics", (c) => {
    const out = d.engine.outcomes;
    const decisions = REASONS.map((reason, code) => ({
      labels: code === 0 ? { outcome: "accepted", reason: "" } : { outcome: "rejected", reason },
      value: out[code]!,
    }));
    const x = new Exposition()
      .counter("keel_decisions_total", "Decisions by outcome and reject reason.", decisions)
      .gauge("keel_config_version", "The active config version.", [{ value: d.control.current.version }])
      .counter("keel_config_reloads_total", "Config versions activated by this process.", [{ value: d.control.reloads }])
      .gauge("keel_trading_state", "Trading state: 0 ACTIVE, 1 REDUCING, 2 HALTED.", [{ value: d.engine.decider.state.tradingState }])
      .gauge("keel_ingest_connections", "Open TCP ingest connections.", [{ value: d.stats.ingestConnections() }])
      .gauge("keel_event_subscribers", "Subscribers to the event bus (SSE streams included).", [{ value: d.bus.subscribers }])
      .gauge("keel_uptime_seconds", "Seconds since start.", [{ value: Math.round((Date.now() - d.startedAt) / 1000) }]);
    if (d.engine.latency !== null) x.histogram("keel_decision_latency_seconds", "decide() latency.", d.engine.latency, 1e-9, DECISION_BOUNDS);
    x.histogram("keel_config_reload_seconds", "Validate, compile, persist and swap of a config write.", d.stats.reloadNs, 1e-9, RELOAD_BOUNDS);
    x.histogram("keel_journal_batch_rows", "Rows per journal transaction.", d.stats.journalBatchRows, 1, BATCH_BOUNDS);
    return c.body(x.text(), 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
  });
}
