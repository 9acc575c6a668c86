/**
 * Messages that arrive past a gap in the counterparty's sequence are held and processed once the
 * gap is filled (session.ts, `ahead`), against a scripted counterparty on a loopback socket that
 * does what jspurefix was seen to do after a restart: it answers our TestRequest with a Heartbeat
 * while our ResendRequest is out, then answers the ResendRequest with a GapFill that stops short
 * of that Heartbeat. Dropping the Heartbeat lost the TestRequest's answer for good (a ping that
 * never returned: the kill -9 test in fix-venue.test.ts hung on it about one run in three).
 */
import { afterEach, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { encodeMessage, FrameReader, type FixMessage } from "../../../src/venue/fix/codec.ts";
import { FixSession } from "../../../src/venue/fix/session.ts";
import { MemorySeqStore } from "../../../src/venue/fix/seq-store.ts";
import {
  MSG_HEARTBEAT, MSG_LOGON, MSG_LOGOUT, MSG_RESEND_REQUEST, MSG_SEQUENCE_RESET, MSG_TEST_REQUEST, T_BEGIN_SEQ, T_END_SEQ, T_GAP_FILL, T_HEARTBEAT_INT,
  T_MSG_TYPE, T_NEW_SEQ, T_POSS_DUP, T_SENDER, T_SENDING_TIME, T_SEQ, T_TARGET, T_TEST_REQ_ID,
} from "../../../src/venue/fix/tags.ts";

type Peer = { reader: FrameReader | null };
let server: TCPSocketListener<Peer> | null = null;
let session: FixSession | null = null;
afterEach(async () => {
  await session?.stop();
  session = null;
  server?.stop(true);
  server = null;
});

/** A counterparty that speaks only what this test needs: `script` answers each message, numbering its own. */
function counterparty(script: (m: FixMessage, send: (type: string, seq: number, fields: [number, string | number][]) => void) => void) {
  return Bun.listen<Peer>({
    hostname: "127.0.0.1",
    port: 0,
    data: { reader: null },
    socket: {
      open(s: Socket<Peer>) {
        const send = (type: string, seq: number, fields: [number, string | number][]) => {
          s.write(encodeMessage([[T_MSG_TYPE, type], [T_SENDER, "VENUE"], [T_TARGET, "KEEL-GAP"], [T_SEQ, seq], [T_SENDING_TIME, "20261125-12:00:00.000"], ...fields]));
        };
        // A Logout is answered by closing the connection, so stop() needs no timeout.
        s.data = { reader: new FrameReader((m) => (m.type === MSG_LOGOUT ? s.end() : script(m, send)), () => {}) };
      },
      data(s: Socket<Peer>, d: Buffer) {
        s.data.reader!.push(d);
      },
    },
  });
}

/** Our session, logged on to the counterparty, expecting its message 5 (so its Logon, 6, opens a gap). */
async function loggedOn(port: number): Promise<FixSession> {
  const store = new MemorySeqStore();
  store.save("FIX.4.4:KEEL-GAP->VENUE", 10, 5);
  const up = Promise.withResolvers<void>();
  const s = new FixSession(
    { host: "127.0.0.1", port, senderCompId: "KEEL-GAP", targetCompId: "VENUE", heartbeatS: 30, reconnectInitialMs: 5000, reconnectMaxMs: 5000 },
    store,
    { up: () => up.resolve(), down: () => {}, message: () => {}, problem: () => {} },
  );
  s.start();
  const timedOut = Bun.sleep(5000).then(() => "no logon within 5 s" as const);
  if ((await Promise.race([up.promise, timedOut])) !== undefined) {
    await s.stop();
    throw new Error("no logon within 5 s");
  }
  return s;
}

test("a Heartbeat that came past a gap answers its TestRequest once a short GapFill arrives", async () => {
  let resendAsked = 0;
  server = counterparty((m, send) => {
    if (m.type === MSG_LOGON) send(MSG_LOGON, 6, [[T_HEARTBEAT_INT, 30]]); // we expect 5: a gap
    else if (m.type === MSG_RESEND_REQUEST) resendAsked = m.int(T_BEGIN_SEQ);
    else if (m.type === MSG_TEST_REQUEST) {
      // The answer goes out while our ResendRequest is open, then the fill that stops short of it.
      send(MSG_HEARTBEAT, 7, [[T_TEST_REQ_ID, m.get(T_TEST_REQ_ID)!]]);
      send(MSG_SEQUENCE_RESET, 5, [[T_POSS_DUP, "Y"], [T_GAP_FILL, "Y"], [T_NEW_SEQ, 7]]);
    }
  });
  session = await loggedOn(server.port);
  const answered = await Promise.race([session.ping(), Bun.sleep(3000).then(() => "no answer" as const)]);
  expect(answered).toBe(true);
  expect(resendAsked).toBe(5);
  // In step: the held Heartbeat counted, and nothing is waiting past a gap.
  expect(session.seqs.nextIn).toBe(8);
});

test("held messages that a GapFill jumps over are dropped, and the ping is asked again", async () => {
  const pingsSeen: string[] = [];
  let next = 8;
  server = counterparty((m, send) => {
    if (m.type === MSG_LOGON) send(MSG_LOGON, 6, [[T_HEARTBEAT_INT, 30]]);
    else if (m.type === MSG_TEST_REQUEST) {
      const id = m.get(T_TEST_REQ_ID)!;
      pingsSeen.push(id);
      if (pingsSeen.length === 1) {
        // The first answer is held past the gap, then a GapFill covers it: it must not count.
        send(MSG_HEARTBEAT, 7, [[T_TEST_REQ_ID, id]]);
        send(MSG_SEQUENCE_RESET, 5, [[T_POSS_DUP, "Y"], [T_GAP_FILL, "Y"], [T_NEW_SEQ, 8]]);
      } else send(MSG_HEARTBEAT, next++, [[T_TEST_REQ_ID, id]]);
    }
  });
  session = await loggedOn(server.port);
  const answered = await Promise.race([session.ping(), Bun.sleep(3000).then(() => "no answer" as const)]);
  expect(answered).toBe(true);
  // Asked twice: the Heartbeat the GapFill covered did not count, the one after it did.
  expect(pingsSeen.length).toBe(2);
  expect(pingsSeen[0]).toBe(pingsSeen[1]!);
  expect(session.seqs.nextIn).toBe(9);
});
