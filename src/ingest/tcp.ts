/**
 * The signal socket: newline-delimited JSON over TCP (Bun.listen). One reply line per input line,
 * in order, on the same connection; empty lines get none. Framing works on bytes (a '\n' byte never
 * occurs inside a multi-byte UTF-8 sequence), so a character split across packets is decoded only
 * once its line is complete.
 *
 * Memory is bounded per connection: a line over `maxLine` bytes gets an error reply and is dropped
 * as it streams past; replies the client has not read yet wait in an outbound queue, and while that
 * queue is above `highWater` the connection's input is neither parsed nor read from the kernel
 * (socket.pause(), so TCP flow control pushes back on the sender). Input that still arrives is held
 * raw up to `maxBacklog`; past that the connection is closed.
 *
 * Durability: with a journal, a batch of replies is handed to the socket only from the journal's
 * commit callback, so an acknowledged order is a committed order. Every batch goes through the
 * callback, rejects too, because callbacks run in registration order and that keeps the replies
 * of a connection in order. A failed commit means those orders are not recorded: the batch's
 * replies are withheld, the connection gets one error line and is closed, and `onCommitFailed`
 * tells the engine (which halts).
 */
import type { Socket, TCPSocketListener } from "bun";
import { errorReply, type Reply } from "../engine/order.ts";
import { toSignal, type Signal } from "../engine/signal.ts";

/** Per-connection bounds, in bytes. */
export interface IngestLimits {
  /** Longest accepted line, without its newline. */
  readonly maxLine: number;
  /** Outbound bytes queued above which input processing stops until the client reads. */
  readonly highWater: number;
  /** Outbound bytes at or below which processing resumes. */
  readonly lowWater: number;
  /** Unprocessed input held while stalled; beyond it the connection is closed. */
  readonly maxBacklog: number;
}

export const DEFAULT_LIMITS: IngestLimits = { maxLine: 64 * 1024, highWater: 1024 * 1024, lowWater: 256 * 1024, maxBacklog: 16 * 1024 * 1024 };

export interface IngestOptions {
  readonly host: string;
  readonly port: number;
  /** What decides: the Engine, or an engine Worker's shared decider (workers/engine-worker.ts). */
  readonly engine: { process(s: Signal): Reply };
  /**
   * Share the port with other listeners of this process (SO_REUSEPORT: the kernel spreads
   * connections across them). Engine Workers use it; the caller checks the port is free first.
   */
  readonly reusePort?: boolean;
  /** Unexpected failures (an engine exception, a socket error); the connection carries on or closes. */
  readonly onError?: (err: unknown) => void;
  readonly limits?: Partial<IngestLimits>;
  /** Replies wait for this journal's commit (see the file comment). */
  readonly journal?: { afterCommit(cb: (err: Error | null) => void): void };
  /** A commit failed: the replies of its batch were withheld. */
  readonly onCommitFailed?: (err: Error) => void;
}

export interface Ingest {
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  readonly host: string;
  /** Open connections right now. */
  readonly connections: number;
  /** Times a connection stopped reading because its client was not reading replies. */
  readonly stalls: number;
  /** Connections closed for sending more than maxBacklog while stalled. */
  readonly overflows: number;
  /**
   * Stop deciding until release(): input is held (and, past the socket's buffer, pushed back by TCP
   * flow control) while an engine Worker is paused for a reload that rebuilds the shared state.
   */
  hold(): void;
  /** Decide the held input, in order, and read again. */
  release(): void;
  /** Stop accepting connections; open ones carry on. */
  close(): void;
  /** Stop listening and close every connection; resolves once they are closed (at most ~0.5 s). */
  stop(): Promise<void>;
}

/** Per-connection state, kept in socket.data. */
interface Conn {
  /** Bytes of a line whose newline has not arrived yet (never more than maxLine). */
  partial: Buffer | null;
  /** Inside an over-long line: drop bytes up to the next newline. */
  discarding: boolean;
  /** Raw input received while stalled, oldest first. */
  inQ: Buffer[];
  inBytes: number;
  /** Reply bytes the socket has not taken yet; outQ[0] is sent from outHead. */
  outQ: Uint8Array[];
  outHead: number;
  outBytes: number;
  /** Reply bytes (UTF-16 units) waiting for a journal commit. */
  waiting: number;
  paused: boolean;
  closed: boolean;
}

const NL = 10;
// Flush the reply batch once it is this many UTF-16 units (at most 3 bytes each): it then fits the
// scratch buffer, and a pathological packet cannot run far past highWater before the check.
const FLUSH_CHARS = 64 * 1024;
const SCRATCH_BYTES = 256 * 1024;
const STOP_GRACE_MS = 500;

/**
 * Start the NDJSON signal listener. Throws (Error with code EADDRINUSE, ...) when it cannot bind.
 * @example const ingest = startIngest({ host: "127.0.0.1", port: 8788, engine });
 */
export function startIngest(opts: IngestOptions): Ingest {
  const { engine } = opts;
  const onError = opts.onError ?? (() => {});
  const L: IngestLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const now = Date.now;
  const encoder = new TextEncoder();
  // Shared by all connections: socket.write copies synchronously, and what it did not take is
  // copied into that connection's queue before the next use.
  const scratch = new Uint8Array(SCRATCH_BYTES);
  const sockets = new Set<Socket<Conn>>();
  let closedWaiters: (() => void)[] = [];
  let stalls = 0;
  let overflows = 0;
  let held = false;

  /** The reply line for one input line ("" for an empty line). */
  function answer(line: string): string {
    if (line.length === 0 || (line.length === 1 && line.charCodeAt(0) === 13)) return "";
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      const why = err instanceof Error ? err.message.slice(0, 200) : "parse error";
      return JSON.stringify(errorReply(`invalid JSON: ${why}`)) + "\n";
    }
    const p = toSignal(value, now);
    if (!p.ok) return JSON.stringify(errorReply(p.message, p.id)) + "\n";
    try {
      return JSON.stringify(engine.process(p.signal)) + "\n";
    } catch (err) {
      onError(err);
      return JSON.stringify(errorReply("internal error", p.signal.id)) + "\n";
    }
  }

  const journal = opts.journal ?? null;

  /** Send a batch of replies: at once, or once the journal has committed what they acknowledge. */
  function send(s: Socket<Conn>, c: Conn, out: string): void {
    if (journal === null) return sendNow(s, c, out);
    c.waiting += out.length;
    journal.afterCommit((err) => {
      c.waiting -= out.length;
      if (err === null) {
        sendNow(s, c, out);
        // Input stalled behind replies that were waiting here, not in the socket: no drain event
        // will come for them, so resume from here.
        if (c.inQ.length > 0 && c.outBytes + c.waiting <= L.lowWater) pump(s, c);
        return;
      }
      if (c.closed) return;
      opts.onCommitFailed?.(err);
      const line = JSON.stringify(errorReply("the journal could not record this batch; its orders were not acknowledged, closing")) + "\n";
      const empty = c.outQ.length === 0;
      markClosed(c);
      if (empty) s.end(line);
      else s.terminate();
    });
  }

  /** Send bytes after whatever is already queued; queue what the socket does not take. */
  function sendNow(s: Socket<Conn>, c: Conn, out: string): void {
    if (c.closed) return;
    if (c.outQ.length > 0) {
      const b = Buffer.from(out);
      c.outQ.push(b);
      c.outBytes += b.length;
      return;
    }
    const r = encoder.encodeInto(out, scratch);
    if (r.read < out.length) {
      const b = Buffer.from(out);
      writeOrQueue(s, c, b, b.length);
      return;
    }
    writeOrQueue(s, c, scratch, r.written);
  }

  function writeOrQueue(s: Socket<Conn>, c: Conn, bytes: Uint8Array, len: number): void {
    const n = s.write(bytes, 0, len);
    if (n < 0) return markClosed(c);
    if (n < len) {
      c.outQ.push(bytes.slice(n, len));
      c.outHead = 0;
      c.outBytes += len - n;
    }
  }

  /** Write queued replies until the socket pushes back. */
  function flushOut(s: Socket<Conn>, c: Conn): void {
    while (c.outQ.length > 0 && !c.closed) {
      const b = c.outQ[0]!;
      const left = b.length - c.outHead;
      const n = s.write(b, c.outHead, left);
      if (n < 0) return markClosed(c);
      c.outBytes -= n;
      if (n < left) {
        c.outHead += n;
        return;
      }
      c.outQ.shift();
      c.outHead = 0;
    }
  }

  function markClosed(c: Conn): void {
    c.closed = true;
    c.outQ = [];
    c.outBytes = 0;
    c.inQ = [];
    c.inBytes = 0;
    c.partial = null;
  }

  /** Over maxLine bytes? Exact, but without encoding in the common case. */
  function overLong(line: string): boolean {
    const len = line.length; // UTF-16 units: at most 3 UTF-8 bytes each, at least 1
    return len > L.maxLine || (len * 3 > L.maxLine && Buffer.byteLength(line) > L.maxLine);
  }

  /**
   * Answer every complete line in buf and keep a trailing partial line. Returns the input it did
   * not get to because the outbound queue went over highWater (a fresh buffer), or null.
   * The complete lines are decoded with one call and split as a string: a native decode per line
   * costs more than the rest of the line's work together.
   */
  function consume(s: Socket<Conn>, c: Conn, buf: Buffer): Buffer | null {
    let pos = 0;
    let out = "";
    if (c.discarding || c.partial !== null) {
      const nl = buf.indexOf(NL);
      if (nl === -1) {
        out = keepPartial(c, buf, 0);
        if (out.length > 0) send(s, c, out);
        return null;
      }
      const head = c.partial;
      c.partial = null;
      c.discarding = false;
      if (head !== null) out += head.length + nl > L.maxLine ? tooLong(L.maxLine) : answer(Buffer.concat([head, buf.subarray(0, nl)]).toString("utf8"));
      pos = nl + 1;
    }
    const last = buf.lastIndexOf(NL);
    if (last >= pos) {
      const text = buf.toString("utf8", pos, last);
      const end = text.length;
      let p = 0;
      while (p <= end) {
        if (c.outBytes + c.waiting > L.highWater || c.closed) {
          if (out.length > 0) send(s, c, out);
          if (c.closed) return null;
          // Stalled: hand back the unprocessed lines and the tail, in order.
          return Buffer.concat([Buffer.from(text.slice(p) + "\n"), buf.subarray(last + 1)]);
        }
        let nl = text.indexOf("\n", p);
        if (nl === -1) nl = end;
        const line = text.slice(p, nl);
        p = nl + 1;
        out += overLong(line) ? tooLong(L.maxLine) : answer(line);
        if (out.length >= FLUSH_CHARS) {
          send(s, c, out);
          out = "";
        }
      }
      pos = last + 1;
    }
    if (pos < buf.length) out += keepPartial(c, buf, pos);
    if (out.length > 0) send(s, c, out);
    return null;
  }

  /** Hold the start of a line until its newline arrives; returns an error reply when it is too long. */
  function keepPartial(c: Conn, buf: Buffer, pos: number): string {
    if (c.discarding) return "";
    const have = c.partial === null ? 0 : c.partial.length;
    if (have + (buf.length - pos) > L.maxLine) {
      c.partial = null;
      c.discarding = true;
      return tooLong(L.maxLine);
    }
    // Copied: the partial line outlives this packet.
    const tail = Buffer.from(buf.subarray(pos));
    c.partial = c.partial === null ? tail : Buffer.concat([c.partial, tail]);
    return "";
  }

  /** Hold input that cannot be processed yet; close the connection past maxBacklog. */
  function stash(s: Socket<Conn>, c: Conn, buf: Buffer): void {
    if (c.inBytes + buf.length > L.maxBacklog) {
      // The client sends without reading its replies: give up on it. The error line can only be
      // delivered in order if nothing is queued before it.
      const line = JSON.stringify(errorReply(`more than ${L.maxBacklog} bytes of input pending while replies are unread; closing`)) + "\n";
      const empty = c.outQ.length === 0;
      overflows++;
      markClosed(c);
      if (empty) s.end(line);
      else s.terminate();
      return;
    }
    c.inQ.push(Buffer.from(buf)); // copied: it outlives the data callback
    c.inBytes += buf.length;
    if (!c.paused) {
      c.paused = true;
      stalls++;
      s.pause();
    }
  }

  /** Process held input while the outbound queue allows; resume reading once it is all done. */
  function pump(s: Socket<Conn>, c: Conn): void {
    while (c.inQ.length > 0 && !c.closed && !held && c.outBytes + c.waiting <= L.highWater) {
      const buf = c.inQ.shift()!;
      c.inBytes -= buf.length;
      const rest = consume(s, c, buf);
      if (rest !== null) {
        c.inQ.unshift(rest);
        c.inBytes += rest.length;
        return;
      }
    }
    if (c.inQ.length === 0 && c.paused && !c.closed && !held) {
      c.paused = false;
      s.resume();
    }
  }

  const listener: TCPSocketListener<Conn> = Bun.listen<Conn>({
    hostname: opts.host,
    port: opts.port,
    ...(opts.reusePort ? { reusePort: true } : {}),
    socket: {
      binaryType: "buffer",
      open(s) {
        s.data = { partial: null, discarding: false, inQ: [], inBytes: 0, outQ: [], outHead: 0, outBytes: 0, waiting: 0, paused: false, closed: false };
        sockets.add(s);
      },
      data(s, buf) {
        const c = s.data;
        if (c.closed) return;
        if (held || c.inQ.length > 0 || c.outBytes + c.waiting > L.highWater) return stash(s, c, buf);
        const rest = consume(s, c, buf);
        if (rest !== null) stash(s, c, rest);
      },
      drain(s) {
        const c = s.data;
        flushOut(s, c);
        if (c.inQ.length > 0 && c.outBytes + c.waiting <= L.lowWater) pump(s, c);
      },
      close(s) {
        if (s.data) markClosed(s.data);
        if (sockets.delete(s) && sockets.size === 0) {
          const waiters = closedWaiters;
          closedWaiters = [];
          for (const w of waiters) w();
        }
      },
      error(s, err) {
        onError(err);
      },
    },
  });

  return {
    port: listener.port,
    host: opts.host,
    get connections() {
      return sockets.size;
    },
    get stalls() {
      return stalls;
    },
    get overflows() {
      return overflows;
    },
    hold(): void {
      held = true;
    },
    release(): void {
      held = false;
      for (const s of sockets) if (s.data.inQ.length > 0 && s.data.outBytes + s.data.waiting <= L.lowWater) pump(s, s.data);
    },
    close(): void {
      listener.stop(false);
    },
    stop(): Promise<void> {
      listener.stop(false);
      // Graceful first: what the socket takes now is delivered before the FIN; a client that does
      // not close its side within the grace period is cut off.
      for (const s of sockets) {
        flushOut(s, s.data);
        markClosed(s.data);
        s.end();
      }
      if (sockets.size === 0) return Promise.resolve();
      return new Promise<void>((done) => {
        const timer = setTimeout(() => {
          for (const s of sockets) s.terminate();
          done();
        }, STOP_GRACE_MS);
        closedWaiters.push(() => {
          clearTimeout(timer);
          done();
        });
      });
    },
  };
}

function tooLong(max: number): string {
  return JSON.stringify(errorReply(`line exceeds ${max} bytes; discarded`)) + "\n";
}
