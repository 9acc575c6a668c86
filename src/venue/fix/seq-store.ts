/**
 * Where a FIX session's sequence numbers live between runs. A counterparty remembers them too:
 * an initiator that came back from a restart at 1 would be logged out ("MsgSeqNum too low"), and
 * one that reused a number would have its order taken for a duplicate. `SqliteSeqStore` keeps them
 * in the engine's own database (table `fix_sessions`, migration 4), so paper and live never share
 * them either; `MemorySeqStore` is for tests and benchmarks.
 */
import type { Database, Statement } from "bun:sqlite";

export interface SeqNumbers {
  /** No message at or above this seq was sent (a high-water mark; see session.ts). */
  readonly nextOut: number;
  /** The next seq expected from the counterparty. */
  readonly nextIn: number;
}

export interface SeqStore {
  /** The session's numbers, or null for a session never seen (it starts at 1 and 1). */
  load(session: string): SeqNumbers | null;
  save(session: string, nextOut: number, nextIn: number): void;
}

export class SqliteSeqStore implements SeqStore {
  private readonly get: Statement<{ next_out: number; next_in: number }, [string]>;
  private readonly put: Statement<unknown, [string, number, number, number]>;

  constructor(db: Database, private readonly now: () => number = Date.now) {
    this.get = db.query("SELECT next_out, next_in FROM fix_sessions WHERE session = ?");
    this.put = db.query(
      "INSERT INTO fix_sessions (session, next_out, next_in, updated_at) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT(session) DO UPDATE SET next_out = excluded.next_out, next_in = excluded.next_in, updated_at = excluded.updated_at",
    );
  }

  load(session: string): SeqNumbers | null {
    const row = this.get.get(session);
    return row === null ? null : { nextOut: row.next_out, nextIn: row.next_in };
  }

  save(session: string, nextOut: number, nextIn: number): void {
    this.put.run(session, nextOut, nextIn, this.now());
  }
}

export class MemorySeqStore implements SeqStore {
  readonly rows = new Map<string, SeqNumbers>();
  /** Writes so far, for tests of how often the session persists. */
  saves = 0;

  load(session: string): SeqNumbers | null {
    return this.rows.get(session) ?? null;
  }

  save(session: string, nextOut: number, nextIn: number): void {
    this.saves++;
    this.rows.set(session, { nextOut, nextIn });
  }
}
