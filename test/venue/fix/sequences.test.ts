/**
 * Sequence numbers and the outgoing buffer, without a network: reserving outgoing numbers ahead
 * (a crash may skip numbers, never reuse one; one store write per block), the incoming number
 * stored once per turn, and the outbox's one write per callback with partial writes kept in order.
 */
import { describe, expect, test } from "bun:test";
import { Outbox } from "../../../src/venue/fix/outbox.ts";
import { MemorySeqStore } from "../../../src/venue/fix/seq-store.ts";
import { OUT_BLOCK, Sequences } from "../../../src/venue/fix/sequences.ts";

describe("Sequences", () => {
  test("outgoing numbers are reserved a block ahead: one write per block, and a crash never reuses one", () => {
    const store = new MemorySeqStore();
    const a = new Sequences(store, "S");
    const used: number[] = [];
    for (let k = 0; k < 3 * OUT_BLOCK + 5; k++) used.push(a.take());
    expect(used[0]).toBe(1);
    expect(used.at(-1)).toBe(3 * OUT_BLOCK + 5);
    expect(store.saves).toBe(4); // one per block, not one per number
    // kill -9 now: the next run starts at the stored mark, above every number used.
    const mark = store.load("S")!.nextOut;
    expect(mark).toBeGreaterThan(used.at(-1)!);
    const b = new Sequences(store, "S");
    expect(b.take()).toBe(mark);
  });

  test("a clean stop stores the exact next number: a restart continues without a gap", () => {
    const store = new MemorySeqStore();
    const a = new Sequences(store, "S");
    for (let k = 0; k < 10; k++) a.take();
    a.nextIn = 7;
    a.persistExact();
    expect(store.load("S")).toEqual({ nextOut: 11, nextIn: 7 });
    const b = new Sequences(store, "S");
    expect([b.nextOut, b.nextIn]).toEqual([11, 7]);
  });

  test("the incoming number is stored once per event-loop turn, however often it moves", async () => {
    const store = new MemorySeqStore();
    const s = new Sequences(store, "S");
    for (let k = 2; k <= 50; k++) s.nextIn = k;
    expect(store.saves).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(store.saves).toBe(1);
    expect(store.load("S")!.nextIn).toBe(50);
  });
});

describe("Outbox", () => {
  /** A socket that takes at most `room` bytes per write. */
  function sink(room: number) {
    const writes: string[] = [];
    return {
      writes,
      write(data: Uint8Array, off: number, len: number): number {
        const n = Math.min(room, len);
        writes.push(Buffer.from(data.subarray(off, off + n)).toString("latin1"));
        return n;
      },
    };
  }
  const bytes = (s: string) => Buffer.from(s, "latin1");

  test("messages queued in one callback leave in one write, in order", async () => {
    const s = sink(1 << 20);
    const o = new Outbox();
    o.attach(s);
    for (const m of ["one|", "two|", "three|"]) o.push(bytes(`xx${m}yy`), 2, 2 + m.length);
    expect(s.writes).toEqual([]);
    await Promise.resolve();
    expect(s.writes).toEqual(["one|two|three|"]);
  });

  test("what the socket does not take is kept, in order, for the next flush (drain)", () => {
    const s = sink(4);
    const o = new Outbox();
    o.attach(s);
    o.push(bytes("abcdefghij"), 0, 10);
    o.flush();
    o.push(bytes("KL"), 0, 2);
    o.flush();
    o.flush();
    o.flush();
    expect(s.writes.join("")).toBe("abcdefghijKL");
  });

  test("grows past its initial size; a new connection starts empty; nothing without a socket", async () => {
    const s = sink(1 << 30);
    const o = new Outbox();
    o.push(bytes("lost"), 0, 4); // no socket: dropped
    o.attach(s);
    const big = new Uint8Array(200_000).fill(0x41);
    o.push(big, 0, big.length);
    o.attach(s); // reconnect: what was queued for the old connection is gone
    o.push(bytes("new"), 0, 3);
    await Promise.resolve();
    expect(s.writes).toEqual(["new"]);
    o.push(big, 0, big.length);
    o.flush();
    expect(s.writes[1]!.length).toBe(200_000);
  });
});
