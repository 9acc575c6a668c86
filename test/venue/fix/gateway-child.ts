/**
 * A gateway process to kill -9 (fix-venue.test.ts): logs on to the acceptor with the sequence
 * numbers in DB, sends N orders that stay working, waits for their acknowledgements, prints
 * `sent NEXT_OUT`, and waits to be killed. Nothing here closes cleanly: that is the point.
 *
 *   bun gateway-child.ts DB PORT SENDER N
 */
import { openStore } from "../../../src/store/sqlite.ts";
import { FixVenue } from "../../../src/venue/fix/fix-venue.ts";
import { SqliteSeqStore } from "../../../src/venue/fix/seq-store.ts";

const [db, port, sender, n] = process.argv.slice(2);
const store = openStore(db!);
const venue = new FixVenue({
  session: { host: "127.0.0.1", port: Number(port), senderCompId: sender!, targetCompId: "VENUE", heartbeatS: 30, reconnectInitialMs: 50, reconnectMaxMs: 200 },
  store: new SqliteSeqStore(store.db),
  onFill: () => {},
});
while (venue.down !== null) await Bun.sleep(5);
for (let k = 0; k < Number(n); k++) {
  venue.submit({ id: `crash-${k}`, symbolIndex: 0, symbol: "WRK9", side: 1, qty: 10, price: 50, orderType: 0, slippageBps: 0, tif: 0, ts: Date.now() });
}
await venue.session.ping();
process.stdout.write(`sent ${venue.session.seqs.nextOut}\n`);
setInterval(() => {}, 1000);
