/**
 * Prometheus text exposition, format 0.0.4, built only when scraped: the hot path and the edge
 * count into typed arrays and preallocated histograms, and this turns them into text.
 */
import type { Histogram } from "./histogram.ts";

export type Labels = Readonly<Record<string, string>>;

function labelText(labels: Labels | undefined): string {
  if (labels === undefined) return "";
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function num(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

/** Collects metric families and renders them. */
export class Exposition {
  private readonly lines: string[] = [];

  private family(name: string, type: string, help: string): void {
    this.lines.push(`# HELP ${name} ${help.replace(/\n/g, " ")}`, `# TYPE ${name} ${type}`);
  }

  counter(name: string, help: string, samples: readonly { labels?: Labels; value: number }[]): this {
    this.family(name, "counter", help);
    for (const s of samples) this.lines.push(`${name}${labelText(s.labels)} ${num(s.value)}`);
    return this;
  }

  gauge(name: string, help: string, samples: readonly { labels?: Labels; value: number }[]): this {
    this.family(name, "gauge", help);
    for (const s of samples) this.lines.push(`${name}${labelText(s.labels)} ${num(s.value)}`);
    return this;
  }

  /**
   * A histogram from a recorder in `unit`s (1e-9 for nanoseconds to seconds), with cumulative
   * buckets at `bounds` (in the exposed unit), +Inf, _sum and _count.
   */
  histogram(name: string, help: string, h: Histogram, unit: number, bounds: readonly number[]): this {
    this.family(name, "histogram", help);
    for (const le of bounds) this.lines.push(`${name}_bucket{le="${num(le)}"} ${h.countAtMost(le / unit)}`);
    this.lines.push(`${name}_bucket{le="+Inf"} ${h.count}`, `${name}_sum ${num(h.sum * unit)}`, `${name}_count ${h.count}`);
    return this;
  }

  text(): string {
    return `${this.lines.join("\n")}\n`;
  }
}
