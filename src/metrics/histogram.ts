/**
 * A latency histogram with preallocated log-linear buckets (HdrHistogram's layout, simplified):
 * values below 2 * SUB are counted exactly; above, every power-of-two range is split into SUB
 * linear buckets, so a reported percentile is within 1/SUB (about 3%) of the true value.
 * record() does integer arithmetic on a typed array and never allocates, so it can sit beside
 * the hot path and time each decision.
 */

const SUB_BITS = 5;
/** Linear buckets per power of two. */
const SUB = 1 << SUB_BITS;
/** Values up to 2^MAX_EXP (about 52 days in ns); larger ones count in the last bucket. */
const MAX_EXP = 52;
const BUCKETS = (MAX_EXP - SUB_BITS + 2) * SUB;

/** The bucket a non-negative integer value falls in. */
function bucketOf(v: number): number {
  if (v < 2 * SUB) return v;
  const e = v < 2 ** 31 ? 31 - Math.clz32(v) : Math.floor(Math.log2(v));
  if (e >= MAX_EXP) return BUCKETS - 1;
  const shift = e - SUB_BITS;
  const m = v < 2 ** 31 ? v >> shift : Math.floor(v / 2 ** shift);
  return (shift + 1) * SUB + (m - SUB);
}

/** The largest value that falls in bucket b. */
function upperOf(b: number): number {
  if (b < 2 * SUB) return b;
  const shift = Math.floor(b / SUB) - 1;
  const m = (b % SUB) + SUB;
  return (m + 1) * 2 ** shift - 1;
}

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  /** Sum of the recorded values, for the mean. */
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;

  /**
   * Count one value (nanoseconds, say). Negative values count as 0, fractions are truncated.
   * @example const t = Bun.nanoseconds(); work(); h.record(Bun.nanoseconds() - t);
   */
  record(value: number): void {
    const v = value > 0 ? Math.floor(value) : 0;
    this.counts[bucketOf(v)]!++;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /**
   * The value at quantile q (0..1): the upper edge of the bucket holding the rank-ceil(q*count)
   * value, clamped to the exact min and max. 0 when nothing was recorded.
   */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b]!;
      if (seen >= rank) return b === BUCKETS - 1 ? this.max : Math.min(this.max, Math.max(this.min, upperOf(b)));
    }
    return this.max;
  }

  /**
   * How many recorded values are at most `v`, to bucket resolution (whole buckets whose upper
   * edge is <= v): the cumulative counts of a Prometheus histogram.
   */
  countAtMost(v: number): number {
    let n = 0;
    for (let b = 0; b < BUCKETS; b++) {
      if (upperOf(b) > v) break;
      n += this.counts[b]!;
    }
    return n;
  }

  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = 0;
  }
}
