/** `GET /events`: Server-Sent Events from the bus: config_changed, trading_state_changed, risk_breach, venue. */
import type { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { KeelEvent } from "../../events/bus.ts";
import type { AppDeps } from "../app.ts";

export function eventRoutes(app: Hono, d: AppDeps): void {
  app.get("/events", (c) =>
    streamSSE(c, async (stream) => {
      const queue: KeelEvent[] = [];
      let wake: (() => void) | null = null;
      const unsubscribe = d.bus.subscribe((e) => {
        queue.push(e);
        wake?.();
      });
      let open = true;
      stream.onAbort(() => {
        open = false;
        wake?.();
      });
      try {
        await stream.writeSSE({ event: "ready", data: JSON.stringify({ config_version: d.control.current.version }) });
        while (open) {
          while (queue.length > 0 && open) {
            const e = queue.shift()!;
            await stream.writeSSE({ event: e.type, data: JSON.stringify(e) });
          }
          if (!open) break;
          const timer = new Promise<"keepalive">((done) => {
            const t = setTimeout(() => done("keepalive"), d.keepAliveMs ?? 15_000);
            wake = () => {
              clearTimeout(t);
              done("keepalive");
              wake = null;
            };
          });
          await timer;
          if (open && queue.length === 0) await stream.write(": keep-alive\n\n");
        }
      } finally {
        unsubscribe();
      }
    }),
  );
}
