/**
 * The FIX 4.4 venue: accepted orders go out as NewOrderSingle (D) over an initiator session
 * (session.ts); ExecutionReports (8) come back and their fills go to the same `onFill` the paper
 * venue calls, so positions and P&L move exactly as paper's do. OrderCancelRequest (F) is the
 * kill switch; OrderCancelReject (9) and BusinessMessageReject (j) are handled and reported.
 *
 * Working orders are kept by ClOrdID number in a Map of pooled records: ClOrdID is
 * `<run>-<n>`, `run` being this process's start time in base 36 (a signal id may be any string,
 * and may repeat across days; a ClOrdID must be unique and plain ASCII), so a report is matched
 * to its order by parsing a number, not by hashing a string, and a report for another run's
 * order is recognised as such.
 *
 * A market order is sent as a limit at its slippage bound, `price x (1 +/- max_slippage_bps)`:
 * the worst price the config allows, and the price the paper venue fills it at, so no venue can
 * fill it worse than the config says. (The bound is not rounded to the symbol's tick.)
 *
 * A fill reported for an order this process did not send (one working at the venue from before a
 * restart) still moves the position: the report carries its symbol, side, quantity and price.
 * Duplicates (PossDupFlag, a venue resending after a gap) are recognised by ExecID.
 */
import { ORDER_MARKET, TIF_NAMES } from "../../config/snapshot.ts";
import type { CancelAll, FillListener, Venue, VenueListener, VenueOrder } from "../venue.ts";
import type { FixMessage } from "./codec.ts";
import { fixTime } from "./digits.ts";
import { OrderEncoder } from "./order-encoder.ts";
import type { SeqStore } from "./seq-store.ts";
import { FixSession, type SessionConfig } from "./session.ts";
import {
  EXEC_CANCELED, EXEC_EXPIRED, EXEC_FILL_42, EXEC_NEW, EXEC_PARTIAL_FILL_42, EXEC_REJECTED, EXEC_TRADE, MSG_BUSINESS_REJECT,
  MSG_EXECUTION_REPORT, MSG_NEW_ORDER_SINGLE, MSG_ORDER_CANCEL_REJECT, MSG_ORDER_CANCEL_REQUEST, SIDE_BUY, T_BUSINESS_REJECT_REF_ID,
  T_CL_ORD_ID, T_CUM_QTY, T_CXL_REJ_REASON, T_EXEC_ID, T_EXEC_TYPE, T_LAST_PX, T_LAST_QTY, T_LEAVES_QTY, T_ORD_STATUS,
  T_ORDER_QTY, T_ORIG_CL_ORD_ID, T_POSS_DUP, T_REF_MSG_TYPE, T_SIDE, T_SYMBOL, T_TEXT, T_TRANSACT_TIME, TIF_DAY, TIF_GTC, TIF_IOC,
} from "./tags.ts";

export interface FixVenueOptions {
  readonly session: SessionConfig;
  readonly store: SeqStore;
  readonly onFill: FillListener;
  readonly onEvent?: VenueListener;
  readonly now?: () => number;
}

/** One order at the venue; records are pooled and reused once an order is done. */
class Working {
  n = 0;
  id = "";
  symbolIndex = 0;
  symbol = "";
  side = 0;
  qty = 0;
  filled = 0;
  cancelSent = false;
}

/** ExecIDs remembered, to drop a resent (PossDup) report already applied. */
const EXEC_IDS_KEPT = 4096;

// TIF_NAMES index -> FIX TimeInForce character code.
const TIF_CODE = TIF_NAMES.map((t) => (t === "ioc" ? TIF_IOC : t === "gtc" ? TIF_GTC : TIF_DAY).charCodeAt(0));

export class FixVenue implements Venue {
  readonly name = "fix";
  readonly session: FixSession;
  private readonly run: string;
  private readonly encoder: OrderEncoder;
  private readonly working = new Map<number, Working>();
  private readonly pool: Working[] = [];
  private nextN = 1;
  private readonly onFill: FillListener;
  private readonly onEvent: VenueListener;
  private readonly now: () => number;
  /** A cancel-all asked for while the session was down: sent once it is back. */
  private cancelOnLogon: string | null = null;
  private downReason: string | null;
  private readonly execIds = new Set<string>();
  private readonly execOrder: string[] = [];
  /** Reports for orders this process did not send, and other oddities, for tests and metrics. */
  strays = 0;

  constructor(o: FixVenueOptions) {
    this.onFill = o.onFill;
    this.onEvent = o.onEvent ?? (() => {});
    this.now = o.now ?? Date.now;
    this.run = this.now().toString(36);
    const c = o.session;
    this.encoder = new OrderEncoder(c.senderCompId, c.targetCompId, `${this.run}-`);
    this.downReason = `the FIX session to ${c.host}:${c.port} is not logged on yet`;
    this.session = new FixSession(c, o.store, {
      up: () => this.up(),
      down: (reason) => {
        this.downReason = `the FIX session to ${c.host}:${c.port} is down: ${reason}`;
        this.onEvent({ kind: "down", text: this.downReason });
      },
      message: (m) => this.message(m),
      problem: (text) => this.onEvent({ kind: "problem", text }),
    }, this.now);
    this.session.start();
  }

  get down(): string | null {
    return this.downReason;
  }

  /** Send an accepted order. Called between two decisions: no await, one reused buffer. */
  submit(o: VenueOrder): void {
    if (this.downReason !== null) {
      // The engine halts when the session drops; this is the order decided in the same turn.
      this.onEvent({ kind: "rejected", orderId: o.id, text: `order ${o.id} not sent: ${this.downReason}` });
      return;
    }
    const w = this.pool.pop() ?? new Working();
    const n = this.nextN++;
    w.n = n;
    w.id = o.id;
    w.symbolIndex = o.symbolIndex;
    w.symbol = o.symbol;
    w.side = o.side;
    w.qty = o.qty;
    w.filled = 0;
    w.cancelSent = false;
    this.working.set(n, w);
    // A market order goes out as a limit at its slippage bound (see the file comment).
    const price = o.orderType === ORDER_MARKET ? o.price * (1 + (o.side * o.slippageBps) / 10_000) : o.price;
    const s = this.session;
    const e = this.encoder;
    e.encode(s.takeSeq(), this.now(), n, o.symbol, o.side, o.qty, price, TIF_CODE[o.tif] ?? TIF_CODE[0]!);
    s.write(e.buf, e.start, e.end);
  }

  cancelAll(reason: string): CancelAll {
    const n = this.working.size;
    if (n === 0) return { requested: 0, note: `no working orders to cancel (${reason})` };
    if (this.downReason !== null) {
      this.cancelOnLogon = reason;
      return { requested: n, note: `${n} working order(s) will be cancelled as soon as the session is back (${reason}): ${this.downReason}` };
    }
    let sent = 0;
    for (const w of this.working.values()) if (this.cancel(w)) sent++;
    return { requested: sent, note: `OrderCancelRequest sent for ${sent} working order(s) (${reason})` };
  }

  workingOrders(): string[] {
    const ids: string[] = [];
    for (const w of this.working.values()) ids.push(w.id);
    return ids;
  }

  close(): Promise<void> {
    return this.session.stop();
  }

  private up(): void {
    this.downReason = null;
    this.onEvent({ kind: "up", text: `the FIX session ${this.session.id} is logged on` });
    const why = this.cancelOnLogon;
    if (why !== null) {
      this.cancelOnLogon = null;
      const r = this.cancelAll(why);
      this.onEvent({ kind: "problem", text: `after logon: ${r.note}` });
    }
  }

  private cancel(w: Working): boolean {
    if (w.cancelSent) return false;
    w.cancelSent = true;
    this.session.send(MSG_ORDER_CANCEL_REQUEST, [
      [T_ORIG_CL_ORD_ID, `${this.run}-${w.n}`],
      [T_CL_ORD_ID, `${this.run}-${this.nextN++}`],
      [T_SYMBOL, w.symbol],
      [T_SIDE, w.side > 0 ? SIDE_BUY : "2"],
      [T_TRANSACT_TIME, fixTime(this.now())],
      [T_ORDER_QTY, w.qty],
    ]);
    return true;
  }

  /** The order a report is about: by OrigClOrdID (a cancel's report), then ClOrdID. */
  private find(m: FixMessage): Working | undefined {
    return this.byClOrdId(m.get(T_ORIG_CL_ORD_ID)) ?? this.byClOrdId(m.get(T_CL_ORD_ID));
  }

  private byClOrdId(id: string | undefined): Working | undefined {
    if (id === undefined || id.length <= this.run.length + 1 || !id.startsWith(this.run) || id.charCodeAt(this.run.length) !== 0x2d) return undefined;
    const n = Number(id.slice(this.run.length + 1));
    return Number.isInteger(n) ? this.working.get(n) : undefined;
  }

  private done(w: Working): void {
    this.working.delete(w.n);
    w.id = "";
    w.symbol = "";
    this.pool.push(w);
  }

  private message(m: FixMessage): void {
    switch (m.type) {
      case MSG_EXECUTION_REPORT:
        this.report(m);
        return;
      case MSG_ORDER_CANCEL_REJECT: {
        const w = this.find(m);
        const text = m.get(T_TEXT) ?? "no reason given";
        if (w === undefined) {
          this.onEvent({ kind: "cancel_rejected", text: `cancel of ${m.get(T_ORIG_CL_ORD_ID)} rejected: ${text}` });
          return;
        }
        const id = w.id;
        w.cancelSent = false;
        // CxlRejReason 1: the venue does not know the order, so it is not working there.
        if (m.get(T_CXL_REJ_REASON) === "1") this.done(w);
        this.onEvent({ kind: "cancel_rejected", orderId: id, text: `cancel of order ${id} rejected: ${text}` });
        return;
      }
      case MSG_BUSINESS_REJECT: {
        const ref = m.get(T_BUSINESS_REJECT_REF_ID);
        const text = m.get(T_TEXT) ?? "no reason given";
        const w = m.get(T_REF_MSG_TYPE) === MSG_NEW_ORDER_SINGLE ? this.byClOrdId(ref) : undefined;
        if (w !== undefined) {
          const id = w.id;
          this.done(w);
          this.onEvent({ kind: "business_reject", orderId: id, text: `order ${id} refused by the venue (BusinessMessageReject): ${text}` });
        } else {
          this.onEvent({ kind: "business_reject", text: `BusinessMessageReject of ${m.get(T_REF_MSG_TYPE) ?? "?"} ${ref ?? ""}: ${text}` });
        }
        return;
      }
      default:
        this.onEvent({ kind: "problem", text: `ignored MsgType ${m.type} from the venue` });
    }
  }

  private report(m: FixMessage): void {
    const execId = m.get(T_EXEC_ID);
    if (execId !== undefined) {
      if (this.execIds.has(execId)) {
        if (m.flag(T_POSS_DUP)) return;
      } else {
        this.execIds.add(execId);
        this.execOrder.push(execId);
        if (this.execOrder.length > EXEC_IDS_KEPT) this.execIds.delete(this.execOrder.shift()!);
      }
    }
    const type = m.get(T_EXEC_TYPE);
    const w = this.find(m);
    if (type === EXEC_TRADE || type === EXEC_PARTIAL_FILL_42 || type === EXEC_FILL_42) {
      this.trade(m, w);
      return;
    }
    if (w === undefined) {
      if (type !== EXEC_NEW) this.strays++;
      return;
    }
    const id = w.id;
    const text = m.get(T_TEXT);
    if (type === EXEC_REJECTED) {
      this.done(w);
      this.onEvent({ kind: "rejected", orderId: id, text: `order ${id} rejected by the venue: ${text ?? "no reason given"}` });
    } else if (type === EXEC_CANCELED || type === EXEC_EXPIRED) {
      this.done(w);
      this.onEvent({ kind: "canceled", orderId: id, text: `order ${id} ${type === EXEC_CANCELED ? "cancelled" : "expired"} with ${w.filled} of ${w.qty} filled` });
    } else if (m.get(T_ORD_STATUS) === "2" || m.get(T_LEAVES_QTY) === "0") {
      // Any other report that says the order is over.
      this.done(w);
    }
  }

  private trade(m: FixMessage, w: Working | undefined): void {
    const qty = m.num(T_LAST_QTY);
    const price = m.num(T_LAST_PX);
    if (!(qty > 0) || !(price > 0)) {
      this.onEvent({ kind: "problem", text: `an execution report with a trade but LastQty ${m.get(T_LAST_QTY)} and LastPx ${m.get(T_LAST_PX)}: ignored ${m.text}` });
      return;
    }
    const ts = this.now();
    if (w === undefined) {
      // Another run's order (or one we never knew): the report says what traded.
      const symbol = m.get(T_SYMBOL);
      const side = m.get(T_SIDE) === SIDE_BUY ? 1 : m.get(T_SIDE) === "2" ? -1 : 0;
      this.strays++;
      if (symbol === undefined || side === 0) {
        this.onEvent({ kind: "problem", text: `a fill for an unknown order without Symbol or Side: ignored ${m.text}` });
        return;
      }
      const orderId = m.get(T_CL_ORD_ID) ?? "?";
      this.onEvent({ kind: "problem", text: `a fill for order ${orderId}, which this process did not send: applied to ${symbol}` });
      this.onFill({ orderId, symbolIndex: -1, symbol, side, qty, price, ts });
      return;
    }
    w.filled += qty;
    const over = w.filled > w.qty;
    const finished = m.get(T_ORD_STATUS) === "2" || m.get(T_LEAVES_QTY) === "0" || w.filled >= w.qty;
    const fill = { orderId: w.id, symbolIndex: w.symbolIndex, symbol: w.symbol, side: w.side, qty, price, ts };
    if (finished) this.done(w);
    if (over) this.onEvent({ kind: "problem", orderId: fill.orderId, text: `order ${fill.orderId} filled ${m.get(T_CUM_QTY) ?? "?"} of ${m.get(T_ORDER_QTY) ?? "?"}: over-filled` });
    this.onFill(fill);
  }
}
