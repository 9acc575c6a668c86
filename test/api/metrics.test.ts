import { afterEach, describe, expect, test } from "bun:test";
import { REASONS } from "../../src/engine/reasons.ts";
import { type Api, json, startApi } from "./fixture.ts";

let api: Api | null = null;
afterEach(async () => {
  await api?.close();
  api = null;
});

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

interface Family {
  readonly name: string;
  type: string;
  help: string | null;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(s: string, line: string): number {
  if (s === "+Inf") return Number.POSITIVE_INFINITY;
  if (s === "-Inf") return Number.NEGATIVE_INFINITY;
  if (s === "NaN") return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`bad value '${s}' in: ${line}`);
  return Number(s);
}

/** `{a="x",b="y\"z"}` -> the labels and where the block ends. */
function parseLabels(text: string, at: number, line: string): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = at + 1;
  while (text[i] !== "}") {
    const eq = text.indexOf("=", i);
    if (eq < 0) throw new Error(`no '=' in labels: ${line}`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`bad label name '${name}': ${line}`);
    if (name in labels) throw new Error(`label ${name} twice: ${line}`);
    if (text[eq + 1] !== '"') throw new Error(`unquoted label value: ${line}`);
    let j = eq + 2;
    let value = "";
    for (;;) {
      const c = text[j];
      if (c === undefined) throw new Error(`unterminated label value: ${line}`);
      if (c === '"') break;
      if (c === "\\") {
        const e = text[j + 1];
        if (e === "\\") value += "\\";
        else if (e === '"') value += '"';
        else if (e === "n") value += "\n";
        else throw new Error(`bad escape \\${e}: ${line}`);
        j += 2;
      } else {
        value += c;
        j++;
      }
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ",") i++;
    else if (text[i] !== "}") throw new Error(`expected , or } in labels: ${line}`);
  }
  return { labels, end: i + 1 };
}

/**
 * Parse text exposition format 0.0.4 strictly: HELP/TYPE at most once per family and before its
 * samples, a family's samples together, histogram samples named _bucket/_sum/_count.
 */
function parseExposition(text: string): Map<string, Family> {
  expect(text.endsWith("\n")).toBe(true);
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  let current: Family | null = null;
  const family = (name: string): Family => {
    if (current?.name === name) return current;
    if (closed.has(name) || families.has(name)) throw new Error(`family ${name} is not contiguous`);
    if (current !== null) closed.add(current.name);
    current = { name, type: "untyped", help: null, samples: [] };
    families.set(name, current);
    return current;
  };
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.length === 0) continue;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (m === null) continue; // a plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`bad metric name: ${line}`);
      const f = family(name);
      if (kind === "HELP") {
        if (f.help !== null) throw new Error(`HELP twice: ${line}`);
        f.help = rest;
      } else {
        if (f.samples.length > 0 || f.type !== "untyped") throw new Error(`TYPE late or twice: ${line}`);
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(rest)) throw new Error(`bad type: ${line}`);
        f.type = rest;
      }
      continue;
    }
    const nm = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (nm === null) throw new Error(`no metric name: ${line}`);
    const name = nm[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === "{") ({ labels, end: i } = parseLabels(line, i, line));
    if (line[i] !== " ") throw new Error(`expected a space before the value: ${line}`);
    const parts = line.slice(i + 1).split(" ");
    if (parts.length > 2) throw new Error(`trailing text: ${line}`);
    if (parts.length === 2 && !/^-?\d+$/.test(parts[1]!)) throw new Error(`bad timestamp: ${line}`);
    const value = parseValue(parts[0]!, line);
    const base = current !== null && (current as Family).type === "histogram" ? name.replace(/_(bucket|sum|count)$/, "") : name;
    const f = family(base);
    if (f.type === "histogram") {
      if (name === base) throw new Error(`a histogram sample needs _bucket, _sum or _count: ${line}`);
      if (name.endsWith("_bucket") !== ("le" in labels)) throw new Error(`le goes with _bucket: ${line}`);
    }
    f.samples.push({ name, labels, value });
  }
  return families;
}

async function scrape(a: Api): Promise<Map<string, Family>> {
  const r = await a.call("/metrics");
  expect(r.status).toBe(200);
  return parseExposition(await r.text());
}

function value(fams: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const f = fams.get(name.replace(/_(bucket|sum|count)$/, "")) ?? fams.get(name);
  const s = f?.samples.find((x) => x.name === name && JSON.stringify(x.labels) === JSON.stringify(labels));
  if (s === undefined) throw new Error(`no sample ${name}${JSON.stringify(labels)}`);
  return s.value;
}

/** The histogram's buckets are cumulative, end with +Inf == _count, and _sum is consistent. */
function checkHistogram(fams: Map<string, Family>, name: string): { count: number; buckets: [number, number][] } {
  const f = fams.get(name)!;
  expect(f.type).toBe("histogram");
  const buckets = f.samples.filter((s) => s.name === `${name}_bucket`).map((s) => [parseValue(s.labels.le!, s.labels.le!), s.value] as [number, number]);
  expect(buckets.length).toBeGreaterThan(1);
  for (let k = 1; k < buckets.length; k++) {
    expect(buckets[k]![0]).toBeGreaterThan(buckets[k - 1]![0]);
    expect(buckets[k]![1]).toBeGreaterThanOrEqual(buckets[k - 1]![1]);
  }
  const last = buckets.at(-1)!;
  expect(last[0]).toBe(Number.POSITIVE_INFINITY);
  const count = value(fams, `${name}_count`);
  expect(last[1]).toBe(count);
  const sum = value(fams, `${name}_sum`);
  expect(sum).toBeGreaterThanOrEqual(0);
  if (count === 0) expect(sum).toBe(0);
  return { count, buckets };
}

describe("the exposition parser in this test", () => {
  test("rejects what the format does not allow", () => {
    expect(() => parseExposition("a 1\n")).not.toThrow();
    for (const bad of ['a{b="c} 1\n', "a x\n", 'a{b="c"}1\n', "# TYPE a counter\na 1\nb 1\na 2\n", "a 1\n# TYPE a counter\n", "# TYPE h histogram\nh 1\n", "a 1 2 3\n"]) {
      expect(() => parseExposition(bad)).toThrow();
    }
  });
});

describe("GET /metrics", () => {
  test("is Prometheus text 0.0.4 in which every line parses, with HELP and TYPE for every family", async () => {
    api = startApi();
    const r = await api.call("/metrics");
    expect(r.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const fams = parseExposition(await r.text());
    for (const name of [
      "keel_decisions_total", "keel_config_version", "keel_config_reloads_total", "keel_trading_state", "keel_ingest_connections",
      "keel_event_subscribers", "keel_uptime_seconds", "keel_decision_latency_seconds", "keel_config_reload_seconds", "keel_journal_batch_rows",
    ]) {
      const f = fams.get(name);
      expect([name, f !== undefined]).toEqual([name, true]);
      expect(f!.help?.length ?? 0).toBeGreaterThan(0);
      expect(f!.type).not.toBe("untyped");
    }
    // One sample per reason, zero before any signal.
    const decisions = fams.get("keel_decisions_total")!.samples;
    expect(decisions.map((s) => s.labels.reason)).toEqual(REASONS.map((r, k) => (k === 0 ? "" : r)));
    expect(decisions.every((s) => s.value === 0)).toBe(true);
  });

  test("decisions by outcome and reason match the replies; the latency histogram counts every decision", async () => {
    api = startApi();
    const signals = [
      ...Array.from({ length: 12 }, (_, k) => ({ id: `a${k}`, symbol: k % 2 ? "MSFT" : "AAPL", side: k % 4 < 2 ? "buy" : "sell", strength: 0.5, price: k % 2 ? 415 : 190, ts: 1_700_000_000_000 + k * 1000 })),
      { id: "u1", symbol: "NOPE", side: "buy", strength: 1, price: 1 },
      { id: "u2", symbol: "NOPE2", side: "buy", strength: 1, price: 1 },
      { id: "c1", symbol: "AAPL", side: "buy", strength: 1, price: 500, ts: 1_700_000_100_000 },
      { id: "i1", symbol: "AAPL", side: "buy", strength: 2, price: 190, ts: 1_700_000_100_001 },
      "not a signal",
    ];
    const replies = await (await api.call("/signals", json(signals, "POST"))).json();
    const accepted = replies.filter((r: any) => r.status === "accepted").length;
    expect(accepted).toBe(12);
    const fams = await scrape(api);
    expect(value(fams, "keel_decisions_total", { outcome: "accepted", reason: "" })).toBe(accepted);
    expect(value(fams, "keel_decisions_total", { outcome: "rejected", reason: "unknown_symbol" })).toBe(2);
    expect(value(fams, "keel_decisions_total", { outcome: "rejected", reason: "price_collar" })).toBe(1);
    expect(value(fams, "keel_decisions_total", { outcome: "rejected", reason: "invalid_signal" })).toBe(1);
    expect(value(fams, "keel_decisions_total", { outcome: "rejected", reason: "trading_halted" })).toBe(0);
    // A malformed element never reaches the engine: 16 decisions, not 17.
    const total = fams.get("keel_decisions_total")!.samples.reduce((n, s) => n + s.value, 0);
    expect(total).toBe(16);
    const h = checkHistogram(fams, "keel_decision_latency_seconds");
    expect(h.count).toBe(16);
    expect(value(fams, "keel_decision_latency_seconds_sum")).toBeGreaterThan(0);
    // Bounds in seconds, from 50 ns.
    expect(h.buckets[0]![0]).toBe(50e-9);
    checkHistogram(fams, "keel_config_reload_seconds");
    checkHistogram(fams, "keel_journal_batch_rows");
  });

  test("keel_config_version and reloads follow a PUT; keel_trading_state follows a halt; subscribers are counted", async () => {
    api = startApi();
    let fams = await scrape(api);
    expect(value(fams, "keel_config_version")).toBe(1);
    expect(value(fams, "keel_config_reloads_total")).toBe(0);
    expect(value(fams, "keel_trading_state")).toBe(0);
    const doc = JSON.parse(await (await api.call("/config")).text());
    doc.risk.limits.max_positions = 4;
    await api.call("/config", json(doc));
    await api.call("/risk/halt", json({ reason: "m" }, "POST"));
    const unsubscribe = api.bus.subscribe(() => {});
    fams = await scrape(api);
    unsubscribe();
    expect(value(fams, "keel_config_version")).toBe(2);
    expect(value(fams, "keel_config_reloads_total")).toBe(1);
    expect(value(fams, "keel_trading_state")).toBe(2);
    expect(value(fams, "keel_event_subscribers")).toBe(1);
    // A rejected PUT moves nothing.
    doc.risk.limits.max_positions = 0;
    expect((await api.call("/config", json(doc))).status).toBe(422);
    fams = await scrape(api);
    expect(value(fams, "keel_config_version")).toBe(2);
    expect(value(fams, "keel_config_reloads_total")).toBe(1);
  });
});
