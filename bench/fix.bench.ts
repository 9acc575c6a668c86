/**
 * The FIX gateway's cost per order against the paper venue's, measured in one run (mitata):
 *   bun bench/fix.bench.ts
 * Measured, per order:
 *   - paper: PaperVenue.submit, which fills at once (the baseline: what an order costs today);
 *   - encode: the NewOrderSingle written from its template into the reused buffer (order-encoder.ts);
 *   - encode + send: a sequence number, the encode, the copy into the session's outgoing buffer
 *     and its write into a loopback TCP socket whose other end is a sink in another process (this
 *     file with --sink): the kernel's socket write is in the figure, the network is not. Flushed
 *     after every order: one system call per order, the case of one signal per ingest packet;
 *   - FixVenue.submit: all of the above plus the working-order bookkeeping, and its completion
 *     (the record back to the pool), as an execution report would do it; once flushed per order,
 *     once flushed every 32 orders (a burst: the session writes once per callback, so the orders
 *     of one ingest chunk share a system call).
 * The sink answers the gateway's Logon and reads everything else without a word: no reports, so
 * what is measured is the way out. Prints mitata's table, the ratios to paper, and the heap growth
 * per FixVenue order in the steady state.
 */
import { heapStats } from "bun:jsc";
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { ORDER_LIMIT } from "../src/config/snapshot.ts";
import { encodeMessage } from "../src/venue/fix/codec.ts";
import { fixTime } from "../src/venue/fix/digits.ts";
import { FixVenue } from "../src/venue/fix/fix-venue.ts";
import { OrderEncoder } from "../src/venue/fix/order-encoder.ts";
import { MemorySeqStore } from "../src/venue/fix/seq-store.ts";
import { PaperVenue } from "../src/venue/paper.ts";
import type { VenueOrder } from "../src/venue/venue.ts";

if (process.argv.includes("--sink")) {
  // The counterparty: answer one Logon, then swallow bytes.
  let seq = 1;
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(s, chunk) {
        if (seq === 1 && Buffer.from(chunk).includes("35=A\x01")) {
          s.write(encodeMessage([[35, "A"], [49, "VENUE"], [56, "KEEL"], [34, seq++], [52, fixTime(Date.now())], [98, 0], [108, 3600]]));
        }
      },
    },
  });
  console.log(`port ${server.port}`);
  await new Promise(() => {});
}

const sink = Bun.spawn([process.execPath, import.meta.path, "--sink"], { stdout: "pipe", stderr: "inherit" });
const reader = sink.stdout.getReader();
let head = "";
while (!/port \d+/.test(head)) head += new TextDecoder().decode((await reader.read()).value);
const port = Number(/port (\d+)/.exec(head)![1]);

const SYMBOLS = ["AAPL", "MSFT", "BRK.B", "NVDA", "XOM", "JPM", "V", "TSLA"];
const orders: VenueOrder[] = Array.from({ length: 1024 }, (_, k) => ({
  id: `sig-${k}`, symbolIndex: k % SYMBOLS.length, symbol: SYMBOLS[k % SYMBOLS.length]!, side: k % 3 === 0 ? -1 : 1,
  qty: 100 * (1 + (k % 7)), price: 100 + (k % 97) * 0.01, orderType: ORDER_LIMIT, slippageBps: 10, tif: 0, ts: Date.UTC(2026, 10, 25, 14, 30) + k,
}));

const paper = new PaperVenue((f) => do_not_optimize(f));
const venue = new FixVenue({
  session: { host: "127.0.0.1", port, senderCompId: "KEEL", targetCompId: "VENUE", heartbeatS: 3600, reconnectInitialMs: 100, reconnectMaxMs: 1000 },
  store: new MemorySeqStore(),
  onFill: () => {},
});
for (let k = 0; k < 400 && venue.down !== null; k++) await Bun.sleep(5);
if (venue.down !== null) throw new Error(`the gateway did not log on to the sink: ${venue.down}`);
const encoder = new OrderEncoder("KEEL", "VENUE", "bench-");
const session = venue.session;
// FixVenue's working orders, to complete each one as a report would (private: reached on purpose).
const internals = venue as unknown as { working: Map<number, unknown>; nextN: number; done(w: unknown): void };

let i = 0;
function fixSubmit(): void {
  venue.submit(orders[i++ & 1023]!);
  const n = internals.nextN - 1;
  internals.done(internals.working.get(n));
}
function fixSubmitFlushed(every: number): void {
  fixSubmit();
  if ((i & (every - 1)) === 0) session.flush();
}

group("per order", () => {
  summary(() => {
    bench("paper: PaperVenue.submit", () => paper.submit(orders[i++ & 1023]!)).baseline(true);
    bench("fix: encode NewOrderSingle", () => {
      const o = orders[i++ & 1023]!;
      encoder.encode(i, 1_795_000_000_000 + i, i, o.symbol, o.side, o.qty, o.price, 48);
      do_not_optimize(encoder.end);
    });
    bench("fix: encode + send (loopback socket)", () => {
      const o = orders[i++ & 1023]!;
      encoder.encode(session.takeSeq(), Date.now(), i, o.symbol, o.side, o.qty, o.price, 48);
      session.write(encoder.buf, encoder.start, encoder.end);
      session.flush();
    });
    bench("fix: FixVenue.submit, a system call per order", () => fixSubmitFlushed(1));
    bench("fix: FixVenue.submit, a system call per 32 orders", () => fixSubmitFlushed(32));
  });
});

const { benchmarks } = await run();
const avg = (name: string) => benchmarks.find((b) => b.alias === name)?.runs[0]?.stats?.avg ?? Number.NaN;
const p = avg("paper: PaperVenue.submit");
const e = avg("fix: encode NewOrderSingle");
const s = avg("fix: encode + send (loopback socket)");
const v1 = avg("fix: FixVenue.submit, a system call per order");
const v32 = avg("fix: FixVenue.submit, a system call per 32 orders");
const x = (a: number) => `${(a / p).toFixed(0)}x paper`;
console.log("\nper order (mean ns, this run):");
console.log(`  paper submit          ${p.toFixed(1)} ns`);
console.log(`  encode                ${e.toFixed(0)} ns (${x(e)})`);
console.log(`  encode + send         ${s.toFixed(0)} ns (${x(s)}; the write is ${((s - e) / s * 100).toFixed(0)}% of it)`);
console.log(`  FixVenue.submit       ${v1.toFixed(0)} ns (${x(v1)}), one system call per order`);
console.log(`  FixVenue.submit       ${v32.toFixed(0)} ns (${x(v32)}), one system call per 32 orders`);

for (let k = 0; k < 50_000; k++) fixSubmitFlushed(32);
Bun.gc(true);
const before = heapStats().heapSize;
const N = 200_000;
for (let k = 0; k < N; k++) fixSubmitFlushed(32);
Bun.gc(true);
const grown = heapStats().heapSize - before;
console.log(`  heap growth over ${N.toLocaleString()} FixVenue orders: ${grown} bytes (${(grown / N).toFixed(2)} bytes/order)`);

await venue.close();
sink.kill();
process.exit(0);
