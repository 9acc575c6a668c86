/**
 * The FIX 4.4 session layer, as initiator: connect, Logon (A), keep the session alive with
 * Heartbeat (0) and TestRequest (1), keep both sequences whole with ResendRequest (2) and
 * SequenceReset (4), and Logout (5). Application messages in sequence go to the handler; the
 * venue (fix-venue.ts) decides what they mean.
 *
 * Liveness: a Heartbeat goes out whenever nothing was sent for HeartBtInt seconds. When nothing
 * arrived for 1.2 x HeartBtInt, a TestRequest goes out; no answer within another HeartBtInt and
 * the connection is dropped. Any drop (socket closed, no answer, a fatal sequence problem) is
 * followed by a reconnect after a back-off that doubles from `reconnectInitialMs` up to
 * `reconnectMaxMs`, reset by a successful Logon.
 *
 * Sequence numbers survive restarts (sequences.ts: reserved ahead, so a crash skips numbers and
 * never reuses one). Outgoing bytes are written once per callback (outbox.ts).
 *
 * We never resend application messages: a ResendRequest is answered with one
 * SequenceReset-GapFill over the whole range. An order re-sent after a disconnect would reach
 * the market late, at a price decided for a moment that has passed, possibly after the engine
 * halted; the engine's position assumes it was lost unless an execution report says otherwise.
 */
import type { Socket } from "bun";
import { encodeMessage, FrameReader, type FixMessage, type WireError } from "./codec.ts";
import { fixTime } from "./digits.ts";
import { Outbox } from "./outbox.ts";
import type { SeqStore } from "./seq-store.ts";
import { Sequences } from "./sequences.ts";
import {
  BEGIN_STRING, MSG_HEARTBEAT, MSG_LOGON, MSG_LOGOUT, MSG_REJECT, MSG_RESEND_REQUEST, MSG_SEQUENCE_RESET, MSG_TEST_REQUEST,
  T_BEGIN_SEQ, T_ENCRYPT_METHOD, T_END_SEQ, T_GAP_FILL, T_HEARTBEAT_INT, T_MSG_TYPE, T_NEW_SEQ, T_ORIG_SENDING_TIME,
  T_POSS_DUP, T_REF_SEQ, T_SENDER, T_SENDING_TIME, T_SEQ, T_TARGET, T_TEST_REQ_ID, T_TEXT,
} from "./tags.ts";

/** Messages held past a gap at most (see FixSession.ahead); the rest are left to the resend. */
const AHEAD_MAX = 10_000;

export interface SessionConfig {
  readonly host: string;
  readonly port: number;
  readonly senderCompId: string;
  readonly targetCompId: string;
  readonly heartbeatS: number;
  readonly reconnectInitialMs: number;
  readonly reconnectMaxMs: number;
}

export interface SessionHandler {
  /** Logged on: application messages may be sent. */
  up(): void;
  /** The session is not logged on any more (or failed to come up); a reconnect is scheduled unless stopped. */
  down(reason: string): void;
  /** An application message, in sequence, exactly once. */
  message(m: FixMessage): void;
  /** Something worth an operator's eye that changes nothing by itself: bytes dropped, a Reject (3). */
  problem(text: string): void;
}

export type SessionState = "stopped" | "connecting" | "logon_sent" | "up" | "logout_sent" | "waiting";

export class FixSession {
  /** `BeginString:Sender->Target`, the key of its sequence numbers. */
  readonly id: string;
  private st: SessionState = "stopped";
  private socket: Socket<undefined> | null = null;
  private readonly reader: FrameReader;
  private readonly seq: Sequences;
  private readonly outbox = new Outbox();
  private attempts = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private lastSent = 0;
  private lastReceived = 0;
  private stateSince = 0;
  private testReqId: string | null = null;
  private testReqAt = 0;
  private testReqCount = 0;
  /** A ResendRequest is out for the gap below this: open until nextIn passes it. */
  private resendUpTo = 0;
  /**
   * Messages that arrived past a gap, by sequence number, processed in order once the gap is
   * filled (null: one already handled on arrival, a Logon or ResendRequest, that only counts).
   * Why not drop them and wait for the resend: a counterparty resends application messages but
   * gap-fills administrative ones, and some (jspurefix) answer a ResendRequest with a GapFill that
   * stops short of a Heartbeat they sent just before it. A dropped Heartbeat was then gone for
   * good, and with it the answer to a TestRequest (a ping that never returned). Bounded: past
   * AHEAD_MAX the rest are dropped and left to the resend.
   */
  private readonly ahead = new Map<number, FixMessage | null>();
  private draining = false;
  private stopping: (() => void) | null = null;
  private readonly hbMs: number;
  private readonly pings = new Map<string, (answered: boolean) => void>();
  /** Why the last connection ended, for the next down(). */
  private downReason = "";

  constructor(
    readonly config: SessionConfig,
    private readonly store: SeqStore,
    private readonly handler: SessionHandler,
    private readonly now: () => number = Date.now,
  ) {
    this.id = `${BEGIN_STRING}:${config.senderCompId}->${config.targetCompId}`;
    this.hbMs = config.heartbeatS * 1000;
    this.seq = new Sequences(store, this.id);
    this.reader = new FrameReader(
      (m) => this.onMessage(m),
      (e: WireError) => this.handler.problem(`received bytes that are not a FIX message (${e.code}): ${e.message}`),
    );
  }

  get state(): SessionState {
    return this.st;
  }

  get isUp(): boolean {
    return this.st === "up";
  }

  /** The next seq this side will send, and the next it expects. */
  get seqs(): { readonly nextOut: number; readonly nextIn: number } {
    return { nextOut: this.seq.nextOut, nextIn: this.seq.nextIn };
  }

  /** Connect and log on; reconnects by itself until stop(). */
  start(): void {
    if (this.st !== "stopped") return;
    this.timer = setInterval(() => this.tick(), Math.max(20, Math.min(500, this.hbMs / 10)));
    this.timer.unref?.();
    void this.connect();
  }

  /** Log out (waiting up to HeartBtInt for the answer), close, persist the sequence numbers. */
  async stop(): Promise<void> {
    if (this.st === "stopped") return;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    if (this.st === "up") {
      // Wait for the counterparty's Logout (it closes the socket), at most HeartBtInt or 2 s.
      let t: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.stopping = resolve;
        this.sendLogout("keel is stopping");
        t = setTimeout(() => {
          this.stopping = null;
          const s = this.socket;
          this.socket = null;
          this.outbox.attach(null);
          s?.terminate();
          resolve();
        }, Math.min(this.hbMs, 2000));
      });
      clearTimeout(t);
    } else {
      const s = this.socket;
      this.socket = null;
      this.outbox.attach(null);
      s?.terminate();
    }
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.st = "stopped";
    this.seq.persistExact();
    for (const p of this.pings.values()) p(false);
    this.pings.clear();
  }

  /**
   * A round trip: a TestRequest, resolved true by its Heartbeat, false if the session goes down
   * first. A counterparty answers in order, so every report it sent before is in by then.
   */
  ping(): Promise<boolean> {
    if (this.st !== "up") return Promise.resolve(false);
    const id = `ping-${++this.testReqCount}`;
    return new Promise((resolve) => {
      this.pings.set(id, resolve);
      this.send(MSG_TEST_REQUEST, [[T_TEST_REQ_ID, id]]);
    });
  }

  /**
   * Take the next outgoing sequence number for a message about to be written (the hot path's
   * NewOrderSingle).
   */
  takeSeq(): number {
    this.lastSent = this.now();
    return this.seq.take();
  }

  /** Queue bytes [start, end) of `buf`, a message framed with a seq from takeSeq(); see outbox.ts. */
  write(buf: Uint8Array, start: number, end: number): void {
    this.outbox.push(buf, start, end);
  }

  /** Write what is queued now rather than at the end of the callback. */
  flush(): void {
    this.outbox.flush();
  }

  /** Send an application or session message: header and framing added here. */
  send(type: string, fields: ReadonlyArray<readonly [number, string | number]>): void {
    this.sendWithSeq(type, this.takeSeq(), fields);
  }

  private sendWithSeq(type: string, seq: number, fields: ReadonlyArray<readonly [number, string | number]>, possDup = false): void {
    const t = fixTime(this.now());
    const head: [number, string | number][] = [
      [T_MSG_TYPE, type], [T_SENDER, this.config.senderCompId], [T_TARGET, this.config.targetCompId], [T_SEQ, seq], [T_SENDING_TIME, t],
    ];
    if (possDup) head.push([T_POSS_DUP, "Y"], [T_ORIG_SENDING_TIME, t]);
    const bytes = encodeMessage([...head, ...fields]);
    this.write(bytes, 0, bytes.length);
  }

  private async connect(): Promise<void> {
    this.setState("connecting");
    this.reader.reset();
    this.outbox.attach(null);
    const c = this.config;
    try {
      const socket = await Bun.connect({
        hostname: c.host,
        port: c.port,
        socket: {
          // A late chunk from a connection already given up must not reach the new one's reader.
          data: (s, chunk) => {
            if (s === this.socket) this.reader.push(chunk);
          },
          drain: () => this.outbox.flush(),
          close: (s) => this.closed(s, this.downReason || "the connection was closed by the counterparty"),
          error: (s, err) => this.closed(s, `socket error: ${err.message}`),
          end: (s) => void s.end(),
        },
      });
      if (this.st !== "connecting") {
        // stop() came while connecting.
        socket.terminate();
        return;
      }
      socket.setNoDelay(true);
      this.socket = socket;
      this.outbox.attach(socket);
      this.downReason = "";
      this.lastReceived = this.now();
      this.setState("logon_sent");
      this.send(MSG_LOGON, [[T_ENCRYPT_METHOD, 0], [T_HEARTBEAT_INT, c.heartbeatS]]);
    } catch (err) {
      if (this.st !== "connecting") return;
      this.failed(`cannot connect to ${c.host}:${c.port}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }


  private closed(s: Socket<undefined>, reason: string): void {
    if (s !== this.socket) return;
    this.socket = null;
    this.outbox.attach(null);
    const stopping = this.stopping;
    if (stopping !== null) {
      this.stopping = null;
      stopping();
      return;
    }
    if (this.st === "stopped") return;
    this.failed(reason);
  }

  /** The connection is gone (or never came): persist, tell the handler, schedule a reconnect. */
  private failed(reason: string): void {
    const s = this.socket;
    this.socket = null;
    this.outbox.attach(null);
    s?.terminate();
    this.seq.persistExact();
    this.testReqId = null;
    this.resendUpTo = 0;
    this.ahead.clear();
    for (const p of this.pings.values()) p(false);
    this.pings.clear();
    const delay = Math.min(this.config.reconnectMaxMs, this.config.reconnectInitialMs * 2 ** Math.min(this.attempts, 30));
    this.attempts++;
    this.setState("waiting");
    this.handler.down(`${reason}; reconnecting in ${delay} ms`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.st === "waiting") void this.connect();
    }, delay);
  }

  /** Drop the connection now, for `reason` (no Logout: the peer is not answering or broke the protocol). */
  private drop(reason: string): void {
    this.downReason = reason;
    if (this.socket !== null) this.failed(reason);
  }

  private sendLogout(text: string): void {
    this.setState("logout_sent");
    this.send(MSG_LOGOUT, [[T_TEXT, text]]);
    // Now: a drop may follow in this same callback.
    this.outbox.flush();
  }

  private setState(s: SessionState): void {
    this.st = s;
    this.stateSince = this.now();
  }

  /** Heartbeats, test requests, timeouts. */
  private tick(): void {
    const now = this.now();
    if (this.st === "logon_sent" && now - this.stateSince >= this.hbMs) {
      this.drop(`no Logon answer within ${this.config.heartbeatS} s`);
      return;
    }
    if (this.st === "logout_sent" && now - this.stateSince >= this.hbMs) {
      this.socket?.end();
      return;
    }
    if (this.st !== "up") return;
    if (this.testReqId !== null && now - this.testReqAt >= this.hbMs) {
      this.drop(`no answer to TestRequest ${this.testReqId} within ${this.config.heartbeatS} s`);
      return;
    }
    if (this.testReqId === null && now - this.lastReceived >= this.hbMs * 1.2) {
      this.testReqId = `keel-${++this.testReqCount}`;
      this.testReqAt = now;
      this.send(MSG_TEST_REQUEST, [[T_TEST_REQ_ID, this.testReqId]]);
      return;
    }
    if (now - this.lastSent >= this.hbMs) this.send(MSG_HEARTBEAT, []);
  }

  /** One message off the wire; then the held ones it made next in order (see `ahead`). */
  private onMessage(m: FixMessage): void {
    this.process(m);
    if (this.ahead.size > 0 && !this.draining) this.drainAhead();
    if (this.resendUpTo !== 0 && this.seq.nextIn > this.resendUpTo) {
      this.resendUpTo = 0;
      // The gap is closed. A Heartbeat held past it that a GapFill then covered was dropped with
      // the rest of what it covered, and may have answered one of our TestRequests: ask again.
      this.askAgain();
    }
  }

  private process(m: FixMessage): void {
    this.lastReceived = this.now();
    const c = this.config;
    if (m.get(T_SENDER) !== c.targetCompId || m.get(T_TARGET) !== c.senderCompId) {
      this.handler.problem(`a message from ${m.get(T_SENDER)} to ${m.get(T_TARGET)} on the session ${this.id}: dropped ${m.text}`);
      if (this.st === "logon_sent") this.drop(`the Logon answer came from ${m.get(T_SENDER)}, not ${c.targetCompId}`);
      return;
    }
    if (this.st === "logon_sent") {
      if (m.type === MSG_LOGOUT) {
        this.drop(`logon refused: ${m.get(T_TEXT) ?? "Logout without a reason"}`);
        return;
      }
      if (m.type !== MSG_LOGON) {
        this.drop(`expected a Logon answer, got MsgType ${m.type}`);
        return;
      }
    }
    // SequenceReset-Reset moves the number whatever the message's own seq.
    if (m.type === MSG_SEQUENCE_RESET && !m.flag(T_GAP_FILL)) {
      const to = m.int(T_NEW_SEQ);
      if (to >= 1) this.seq.nextIn = to;
      return;
    }
    const nextIn = this.seq.nextIn;
    if (m.seq > nextIn) {
      // A gap: ask for it once; hold what comes past it until it is filled (see `ahead`).
      let handled = false;
      if (m.type === MSG_LOGON) {
        this.loggedOn();
        handled = true;
      }
      if (m.type === MSG_RESEND_REQUEST) {
        this.answerResend(m);
        handled = true;
      }
      if (m.type === MSG_LOGOUT) {
        this.peerLogout(m);
        return;
      }
      if (this.ahead.size < AHEAD_MAX) this.ahead.set(m.seq, handled ? null : m);
      if (this.resendUpTo === 0) {
        this.resendUpTo = m.seq;
        this.send(MSG_RESEND_REQUEST, [[T_BEGIN_SEQ, nextIn], [T_END_SEQ, 0]]);
      } else if (m.seq > this.resendUpTo) this.resendUpTo = m.seq;
      return;
    }
    if (m.seq < nextIn) {
      if (m.flag(T_POSS_DUP)) return; // seen already
      const text = `MsgSeqNum too low, expecting ${nextIn} but received ${m.seq}`;
      this.handler.problem(text);
      this.sendLogout(text);
      this.drop(text);
      return;
    }
    this.seq.nextIn = m.type === MSG_SEQUENCE_RESET ? Math.max(nextIn + 1, m.int(T_NEW_SEQ)) : nextIn + 1;
    switch (m.type) {
      case MSG_LOGON:
        this.loggedOn();
        return;
      case MSG_HEARTBEAT: {
        const id = m.get(T_TEST_REQ_ID);
        if (this.testReqId !== null && id === this.testReqId) this.testReqId = null;
        const ping = id === undefined ? undefined : this.pings.get(id);
        if (ping !== undefined) {
          this.pings.delete(id!);
          ping(true);
        }
        return;
      }
      case MSG_TEST_REQUEST:
        this.send(MSG_HEARTBEAT, [[T_TEST_REQ_ID, m.get(T_TEST_REQ_ID) ?? "?"]]);
        return;
      case MSG_RESEND_REQUEST:
        this.answerResend(m);
        return;
      case MSG_SEQUENCE_RESET:
        return;
      case MSG_LOGOUT:
        this.peerLogout(m);
        return;
      case MSG_REJECT:
        this.handler.problem(`the counterparty rejected our message ${m.get(T_REF_SEQ) ?? "?"}: ${m.get(T_TEXT) ?? "no reason given"}`);
        return;
      default:
        // Reports still count while our Logout is out: they were sent before it was read.
        if (this.st === "up" || this.st === "logout_sent") this.handler.message(m);
    }
  }

  private loggedOn(): void {
    if (this.st !== "logon_sent") return;
    this.attempts = 0;
    this.setState("up");
    this.handler.up();
  }

  /**
   * Answer a ResendRequest with one SequenceReset-GapFill from its BeginSeqNo to our next number:
   * nothing we sent is ever sent twice (see the file comment).
   */
  private answerResend(m: FixMessage): void {
    const from = m.int(T_BEGIN_SEQ);
    const nextOut = this.seq.nextOut;
    if (from < 1 || from >= nextOut) {
      this.handler.problem(`a ResendRequest from ${m.get(T_BEGIN_SEQ)} when our next number is ${nextOut}: nothing to fill`);
      return;
    }
    this.sendWithSeq(MSG_SEQUENCE_RESET, from, [[T_GAP_FILL, "Y"], [T_NEW_SEQ, nextOut]], true);
    // A TestRequest in the filled range is gone with it: ask again, or its answer never comes.
    this.askAgain();
  }

  /**
   * Process the held messages that are next in order (after the one just counted moved nextIn);
   * those a GapFill jumped over are dropped: the counterparty said not to expect them.
   */
  private drainAhead(): void {
    this.draining = true;
    try {
      for (;;) {
        const next = this.seq.nextIn;
        for (const k of this.ahead.keys()) if (k < next) this.ahead.delete(k);
        if (!this.ahead.has(next)) return;
        const m = this.ahead.get(next)!;
        this.ahead.delete(next);
        if (m === null) this.seq.nextIn = next + 1;
        else this.process(m);
      }
    } finally {
      this.draining = false;
    }
  }

  /** Send every TestRequest still waiting for its Heartbeat again (pings and the liveness check). */
  private askAgain(): void {
    for (const id of this.pings.keys()) this.send(MSG_TEST_REQUEST, [[T_TEST_REQ_ID, id]]);
    if (this.testReqId !== null) this.send(MSG_TEST_REQUEST, [[T_TEST_REQ_ID, this.testReqId]]);
  }

  private peerLogout(m: FixMessage): void {
    const text = m.get(T_TEXT) ?? "no reason given";
    if (this.st === "logout_sent") {
      this.socket?.end();
      return;
    }
    this.sendLogout("logout acknowledged");
    this.downReason = `the counterparty logged out: ${text}`;
    this.socket?.end();
  }
}
