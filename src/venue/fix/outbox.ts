/**
 * The bytes a session has queued for its socket. Messages are copied into one growing buffer and
 * written at the end of the current callback (a microtask), so the orders of one ingest chunk
 * leave in one system call instead of one each (bench/fix.bench.ts: the write is ~90% of an
 * order's cost when each has its own), in the order they were queued. What the socket does not
 * take waits for its `drain`.
 */
export interface ByteSink {
  /** Bun's socket write: bytes [offset, offset + length) of data; returns how many were taken. */
  write(data: Uint8Array, byteOffset: number, byteLength: number): number;
}

export class Outbox {
  private buf = new Uint8Array(64 * 1024);
  private len = 0;
  private queued = false;
  private sink: ByteSink | null = null;

  /** A new connection: forget what was queued for the last one. */
  attach(sink: ByteSink | null): void {
    this.sink = sink;
    this.len = 0;
  }

  /** Queue bytes [start, end) of `src`; nothing happens without a socket. */
  push(src: Uint8Array, start: number, end: number): void {
    if (this.sink === null) return;
    const n = end - start;
    if (this.len + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < this.len + n) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    // A byte loop: messages are ~150 bytes, and it allocates no view.
    const b = this.buf;
    let p = this.len;
    for (let k = start; k < end; k++) b[p++] = src[k]!;
    this.len = p;
    if (!this.queued) {
      this.queued = true;
      queueMicrotask(this.task);
    }
  }

  /** Write what is queued, as far as the socket takes it (call again on `drain`). */
  flush(): void {
    const s = this.sink;
    if (s === null || this.len === 0) return;
    const w = s.write(this.buf, 0, this.len);
    if (w >= this.len) this.len = 0;
    else if (w > 0) {
      this.buf.copyWithin(0, w, this.len);
      this.len -= w;
    }
  }

  private readonly task = (): void => {
    this.queued = false;
    this.flush();
  };
}
