/*
 * An independent FIX 4.4 acceptor for keel's gateway tests: jspurefix (npm, written by people
 * who have never seen keel) runs the session layer, logon, heartbeats, test requests, resend
 * requests, sequence numbers and their file store. This script only supplies the application:
 * how a test venue answers orders. It runs under Node (`node acceptor.cjs`), which every CI
 * machine has; the tests start it as a child process.
 *
 *   node acceptor.cjs --store DIR [--port P] [--sender ACCEPTOR] [--heartbeat S] [--wait 1]
 *
 * It listens on 127.0.0.1, on port P or else a free one, and prints `listening PORT` on stdout
 * once it does (a restarted acceptor takes its old port back, as a real venue's address stays).
 * Sequence numbers persist in DIR (jspurefix's QuickFIX-compatible file store, ResetSeqNumFlag
 * off), so a restarted acceptor resumes the session where it was.
 *
 * How it answers a NewOrderSingle (D), by the symbol's prefix:
 *   REJ...  ExecutionReport rejected (ExecType 8)
 *   BMR...  BusinessMessageReject (j), RefMsgType D
 *   WRK...  ExecutionReport new, then nothing: the order stays working
 *   PRT...  new, a partial fill of half, then nothing: working with a fill
 *   other   new, a partial fill of half (when the quantity is 2 or more), then the rest
 * Fills are at the order's limit price (44). An OrderCancelRequest (F) for a working order gets
 * ExecutionReport canceled (ExecType 4); for anything else, OrderCancelReject (9), unknown order.
 *
 * stdin, one command a line, for the tests: `drop` destroys the connection without a Logout
 * (the socket dies as it would on a network fault); `garble` writes bytes that are not valid
 * FIX; `stats` prints `stats {json}` (orders seen, cancels seen, and the last sequence numbers
 * in and out); `listen` opens the listener of an acceptor started with --wait.
 */
"use strict";
require("reflect-metadata");
const jsfix = require("jspurefix");
// Not re-exported by the package index; the listener's class, for the bind address below.
const { TcpAcceptor } = require("jspurefix/dist/transport/tcp/tcp-acceptor");

const args = process.argv.slice(2);
function arg(name, fallback) {
  const k = args.indexOf(`--${name}`);
  return k >= 0 && k + 1 < args.length ? args[k + 1] : fallback;
}
const storeDir = arg("store", null);
if (storeDir === null) {
  console.error("acceptor.cjs: --store DIR is required");
  process.exit(2);
}

// jspurefix's file store writes sequence numbers and its resend index with un-awaited async
// writes, which can land out of order or not at all before the process is killed. A venue that
// comes back at a number it already used is broken (our gateway would rightly log it out), so the
// harness makes those two writes synchronous: the acceptor resumes at its true numbers, as a
// production engine's store does. Only persistence changes; the session logic is jspurefix's.
const fs = require("node:fs");
const { FileSessionStreamProvider } = require("jspurefix/dist/store/file-session-stream-provider");
FileSessionStreamProvider.prototype.writeSeqNums = async function writeSeqNums(content) {
  fs.writeFileSync(this.seqNumsPath, content, "utf8");
};
FileSessionStreamProvider.prototype.appendHeaderLine = async function appendHeaderLine(line) {
  fs.appendFileSync(this.headerPath, `${line}\n`, "utf8");
};

const port = Number(arg("port", "0"));
// Bind the listener to loopback (jspurefix listens on every interface, which a test has no
// business opening), on a port the OS picks unless one is given.
// --wait: load everything (Node, jspurefix, the dictionary: about a second), then listen only on
// the stdin command `listen`. A test starts the acceptor that will replace a killed one ahead of
// time, so the restart itself takes milliseconds.
let listenNow = arg("wait", null) === null ? null : undefined;
TcpAcceptor.prototype.listen = function listen() {
  const go = () =>
    this.server.listen(port, "127.0.0.1", () => {
      process.stdout.write(`listening ${this.server.address().port}\n`);
    });
  if (listenNow === undefined) {
    listenNow = go;
    process.stdout.write("ready\n");
  } else go();
};

const description = {
  application: {
    type: "acceptor",
    name: "keel-test-venue",
    tcp: { host: "127.0.0.1", port: 0 },
    protocol: "ascii",
    dictionary: "qf44",
  },
  EncryptMethod: 0,
  ResetSeqNumFlag: false,
  HeartBtInt: Number(arg("heartbeat", "30")),
  SenderCompId: arg("sender", "VENUE"),
  TargetCompID: "*",
  BeginString: "FIX.4.4",
  store: { type: "file", directory: storeDir },
};

const stats = { orders: 0, cancels: 0, symbols: [] };
let current = null;
let nextId = 1;

class TestVenue extends jsfix.AsciiSession {
  constructor(config) {
    super(config);
    this.working = new Map();
    current = this;
  }

  onApplicationMsg(msgType, view) {
    const o = view.toObject();
    if (msgType === jsfix.MsgType.NewOrderSingle) this.order(o);
    else if (msgType === jsfix.MsgType.OrderCancelRequest) this.cancel(o);
  }

  order(o) {
    stats.orders++;
    const symbol = o.Instrument.Symbol;
    stats.symbols.push(symbol);
    const qty = o.OrderQtyData.OrderQty;
    const order = { id: o.ClOrdID, orderId: `V${nextId++}`, symbol, side: o.Side, qty, price: o.Price, cum: 0, px: 0 };
    if (symbol.startsWith("BMR")) {
      this.send(jsfix.MsgType.BusinessMessageReject, {
        RefMsgType: "D", BusinessRejectRefID: o.ClOrdID, BusinessRejectReason: 4, Text: "the test venue refuses this order",
      });
      return;
    }
    if (symbol.startsWith("REJ")) {
      this.report(order, "8", "8", 0, 0, "the test venue rejects this order");
      return;
    }
    this.report(order, "0", "0", 0, 0);
    this.working.set(order.id, order);
    if (symbol.startsWith("WRK")) return;
    const half = Math.floor(qty / 2);
    if (half > 0) this.fill(order, half);
    if (symbol.startsWith("PRT")) return;
    this.fill(order, qty - order.cum);
  }

  fill(order, qty) {
    order.px = (order.px * order.cum + order.price * qty) / (order.cum + qty);
    order.cum += qty;
    const done = order.cum >= order.qty;
    if (done) this.working.delete(order.id);
    this.report(order, "F", done ? "2" : "1", qty, order.price);
  }

  cancel(o) {
    stats.cancels++;
    const order = this.working.get(o.OrigClOrdID);
    if (order === undefined) {
      this.send(jsfix.MsgType.OrderCancelReject, {
        OrderID: "NONE", ClOrdID: o.ClOrdID, OrigClOrdID: o.OrigClOrdID, OrdStatus: "8", CxlRejResponseTo: "1", CxlRejReason: 1,
        Text: "unknown order",
      });
      return;
    }
    this.working.delete(order.id);
    this.report(order, "4", "4", 0, 0, undefined, o.ClOrdID);
  }

  report(order, execType, ordStatus, lastQty, lastPx, text, clOrdId) {
    const done = ordStatus === "2" || ordStatus === "4" || ordStatus === "8";
    const er = {
      OrderID: order.orderId,
      ClOrdID: clOrdId ?? order.id,
      ExecID: `E${nextId++}`,
      ExecType: execType,
      OrdStatus: ordStatus,
      Instrument: { Symbol: order.symbol },
      Side: order.side,
      OrderQtyData: { OrderQty: order.qty },
      Price: order.price,
      LastQty: lastQty,
      LastPx: lastPx,
      LeavesQty: done ? 0 : order.qty - order.cum,
      CumQty: order.cum,
      AvgPx: order.px,
      TransactTime: new Date(),
    };
    if (clOrdId !== undefined) er.OrigClOrdID = order.id;
    if (text !== undefined) er.Text = text;
    this.send(jsfix.MsgType.ExecutionReport, er);
  }

  drop() {
    this.transport?.duplex?.destroy?.();
  }

  // Raw bytes past jspurefix's encoder, so its sequence numbers do not move: garbage, a frame
  // whose CheckSum is wrong, a frame whose BodyLength is wrong.
  garble() {
    const socket = this.transport?.duplex?.socket;
    if (!socket) return;
    const body = "35=0\x0149=VENUE\x0156=KEEL\x0134=999999\x0152=20260101-00:00:00.000\x01";
    const frame = (len, sum) => `8=FIX.4.4\x019=${len}\x01${body}10=${sum}\x01`;
    socket.write("this is not FIX\x01");
    socket.write(frame(body.length, "000"));
    socket.write(frame(body.length + 5, "000"));
  }

  onReady() {}
  onStopped() {}
  onLogon() {
    return true;
  }
  onDecoded() {}
  onEncoded() {}
}

class Launcher extends jsfix.SessionLauncher {
  constructor() {
    super(null, description, new jsfix.JsFixWinstonLogFactory(jsfix.WinstonLogger.consoleOptions("error")));
  }

  makeFactory() {
    return { makeSession: (sessionConfig) => new TestVenue(sessionConfig) };
  }
}

const launcher = new Launcher();
launcher.run().catch((err) => {
  console.error(`acceptor.cjs: ${err && err.message ? err.message : String(err)}`);
  process.exit(1);
});

let buf = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  buf += chunk;
  let nl;
  while ((nl = buf.indexOf("\n")) >= 0) {
    const line = buf.slice(0, nl).trim();
    buf = buf.slice(nl + 1);
    if (line === "drop") current?.drop();
    else if (line === "listen" && typeof listenNow === "function") listenNow();
    else if (line === "garble") current?.garble();
    else if (line === "stats") {
      const seq = current ? { sent: current.lastSentSeqNum(), received: current.lastPeerSeqNum() } : null;
      process.stdout.write(`stats ${JSON.stringify({ ...stats, seq })}\n`);
    }
  }
});
// The test's end of the pipe closing means the test is gone: do not outlive it.
process.stdin.on("end", () => process.exit(0));
