/**
 * Sharding the symbol universe across hosts by rendezvous (highest-random-weight) hashing: shard
 * k of N owns a symbol when k gives the highest score hash(symbol, k). Every host and every client
 * computes the same owner from the symbol alone, with no table to share, and going from N to N+1
 * shards moves only the ~1/(N+1) of symbols the new shard wins.
 *
 * The score is documented so clients in any language can route without asking a server:
 *   score(symbol, k) = fmix32(fnv1a32(utf8(symbol) ++ [0] ++ utf8(decimal k)))
 * with FNV-1a 32 (offset 2166136261, prime 16777619) and murmur3's fmix32 finalizer; ties go to
 * the lower k.
 */

export interface Shard {
  /** This host's shard, 0-based. */
  readonly index: number;
  /** How many shards there are. */
  readonly count: number;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const encoder = new TextEncoder();

/** The rendezvous score of a symbol for shard k. */
export function score(symbol: string, k: number): number {
  const bytes = encoder.encode(`${symbol}\u0000${k}`);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return fmix32(h >>> 0);
}

/**
 * The shard that owns a symbol among `count`.
 * @example ownerOf("AAPL", 4) // the same number on every host and client
 */
export function ownerOf(symbol: string, count: number): number {
  let best = 0;
  let bestScore = -1;
  for (let k = 0; k < count; k++) {
    const s = score(symbol, k);
    if (s > bestScore) {
      best = k;
      bestScore = s;
    }
  }
  return best;
}

/** Whether this host's shard owns the symbol. */
export function owns(shard: Shard, symbol: string): boolean {
  return shard.count <= 1 || ownerOf(symbol, shard.count) === shard.index;
}

/** Parse "I/N" (0 <= I < N, N >= 1), or explain what is wrong. */
export function parseShard(text: string): Shard | string {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (m === null) return `expected I/N, for example 0/4, got '${text}'`;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > 1024) return `N must be between 1 and 1024, got ${count}`;
  if (index >= count) return `I must be below N (shards are numbered 0 to ${count - 1}), got ${index}`;
  return { index, count };
}
