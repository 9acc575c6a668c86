/**
 * One writer per database: `<db>.lock` holds the pid of the `keel serve` that writes it. A second
 * process on the same data directory is refused at start with the pid it collided with, instead
 * of blocking on SQLite's busy timeout mid-trading. A lock left by a process that no longer
 * exists (a kill -9) is taken over: the pid is checked, not trusted.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { StoreError } from "./errors.ts";

export class LockedError extends StoreError {
  constructor(
    readonly path: string,
    readonly pid: number,
  ) {
    super(`${path}: another keel process (pid ${pid}) is writing this database; stop it first, or use another --data directory`);
  }
}

/** True when a process with this pid exists (signal 0 checks without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as { code?: string }).code === "EPERM";
  }
}

/** Take the lock for `dbPath`; returns its release. Throws LockedError when a live process holds it. */
export function acquireLock(dbPath: string): () => void {
  const path = `${dbPath}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let held = true;
      return () => {
        if (!held) return;
        held = false;
        try {
          if (Number(readFileSync(path, "utf8").trim()) === process.pid) unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (err) {
      if ((err as { code?: string }).code !== "EEXIST") throw new StoreError(`${path}: cannot create the lock file: ${(err as Error).message}`, { cause: err });
    }
    let pid = Number.NaN;
    try {
      pid = Number(readFileSync(path, "utf8").trim());
    } catch {
      // Removed between our attempt and the read: try again.
    }
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw new LockedError(path, pid);
    // Stale (its process is gone) or unreadable: remove it and try once more.
    try {
      unlinkSync(path);
    } catch {
      // Someone else removed it first.
    }
  }
  throw new StoreError(`${path}: could not take the lock (another process keeps creating it)`);
}
