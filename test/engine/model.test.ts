/**
 * Model-based test of the decision engine: random small configs and random signal sequences run
 * through Engine.process (paper venue) and through a slow reference model written plainly below.
 * The model knows nothing of the engine's layout: plain objects and Maps, every total recomputed
 * by iterating, no typed arrays, no import from src/engine or src/risk. Replies must match
 * exactly; invariants are checked after every step, on the model and on the engine's state.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { prepareValue } from "../../src/config/prepare.ts";
import { Engine } from "../../src/engine/engine.ts";
import type { Reply } from "../../src/engine/order.ts";
import type { Signal } from "../../src/engine/signal.ts";
import { TRADING_STATES } from "../../src/risk/trading-state.ts";

// ---------------------------------------------------------------------------------------------
// Reference model
// ---------------------------------------------------------------------------------------------

interface Sizing {
  method: "fixed" | "scaled";
  default_position_size: number;
  max_position_size: number;
}
interface Execution {
  order_type: "limit" | "market";
  time_in_force: "day" | "ioc" | "gtc";
  limit_offset_bps: number;
  max_slippage_bps: number;
}
interface Limits {
  max_daily_trades: number;
  max_positions: number;
  max_order_notional: number;
  max_gross_exposure: number;
  max_orders_per_second: number;
  price_collar_bps: number;
  max_daily_loss: number;
  duplicate_window_ms: number;
}
interface Layer {
  position_sizing?: Sizing;
  execution?: Partial<Execution>;
  limits?: Partial<Limits>;
}
interface SymbolDoc extends Layer {
  sector: string;
  strategy?: string;
  reference_price: number;
  tick_size: number;
  lot_size: number;
}
interface Doc {
  trading: { mode: "paper"; position_sizing: Sizing; execution: Execution };
  risk: { day_reset_utc: string; limits: Limits; sectors: Record<string, { max_gross_exposure: number }> };
  strategies: Record<string, Layer>;
  symbols: Record<string, SymbolDoc>;
}

interface ModelSymbol {
  name: string;
  sector: string;
  ref: number;
  tick: number;
  lot: number;
  sizing: Sizing;
  exec: Execution;
  limits: Limits;
}

interface ModelPosition {
  pos: number;
  avg: number;
  /** Last signal price that got past the collar; 0 before any. */
  mark: number;
  realized: number;
  /** Token bucket in thousandths of a token (exact integer arithmetic); undefined = never used. */
  milliTokens: number | undefined;
  tokenTs: number;
  lastTs: number | undefined;
  lastSide: number;
  lastQty: number;
  lastPrice: number;
}

type ModelReply =
  | { status: "accepted"; symbol: string; side: "buy" | "sell"; qty: number; price: number; type: string; tif: string }
  | { status: "rejected"; reason: string };

const DAY = 24 * 60 * 60 * 1000;

/** The nearest double to (integer number of ticks) x tick, written as a decimal. */
function onGrid(n: number, tick: number): number {
  const decimals = Math.max(0, Math.ceil(-Math.log10(tick) - 1e-9));
  return Number((n * tick).toFixed(decimals));
}

class Model {
  readonly symbols = new Map<string, ModelSymbol>();
  readonly positions = new Map<string, ModelPosition>();
  readonly sectorLimits = new Map<string, number>();
  readonly resetMinute: number;
  state: "ACTIVE" | "REDUCING" | "HALTED" = "ACTIVE";
  readonly changes: { from: string; to: string; reason: string; ts: number }[] = [];
  day: number | undefined = undefined;
  dailyTrades = 0;
  realizedToday = 0;
  unrealizedAtDayStart = 0;

  constructor(doc: Doc) {
    const [hh, mm] = doc.risk.day_reset_utc.split(":");
    this.resetMinute = Number(hh) * 60 + Number(mm);
    for (const [name, s] of Object.entries(doc.risk.sectors)) this.sectorLimits.set(name, s.max_gross_exposure);
    for (const [name, entry] of Object.entries(doc.symbols)) {
      // defaults <- strategy <- symbol, section by section
      const layers: Layer[] = [];
      if (entry.strategy !== undefined) layers.push(doc.strategies[entry.strategy]!);
      layers.push(entry);
      let sizing = { ...doc.trading.position_sizing };
      let exec = { ...doc.trading.execution };
      let limits = { ...doc.risk.limits };
      for (const l of layers) {
        if (l.position_sizing) sizing = { ...sizing, ...l.position_sizing };
        if (l.execution) exec = { ...exec, ...l.execution };
        if (l.limits) limits = { ...limits, ...l.limits };
      }
      this.symbols.set(name, { name, sector: entry.sector, ref: entry.reference_price, tick: entry.tick_size, lot: entry.lot_size, sizing, exec, limits });
      this.positions.set(name, {
        pos: 0, avg: 0, mark: 0, realized: 0, milliTokens: undefined, tokenTs: 0,
        lastTs: undefined, lastSide: 0, lastQty: 0, lastPrice: 0,
      });
    }
  }

  unrealized(): number {
    let u = 0;
    for (const p of this.positions.values()) if (p.pos !== 0) u += p.pos * (p.mark - p.avg);
    return u;
  }

  gross(): number {
    let g = 0;
    for (const p of this.positions.values()) g += Math.abs(p.pos) * p.mark;
    return g;
  }

  sectorGross(sector: string): number {
    let g = 0;
    for (const [name, p] of this.positions) if (this.symbols.get(name)!.sector === sector) g += Math.abs(p.pos) * p.mark;
    return g;
  }

  openCount(): number {
    let n = 0;
    for (const p of this.positions.values()) if (p.pos !== 0) n++;
    return n;
  }

  dailyPnl(): number {
    return this.realizedToday + this.unrealized() - this.unrealizedAtDayStart;
  }

  setState(to: "ACTIVE" | "REDUCING" | "HALTED", reason: string, ts: number): void {
    if (to === this.state) return;
    this.changes.push({ from: this.state, to, reason, ts });
    this.state = to;
  }

  decide(s: Signal): ModelReply {
    const reject = (reason: string): ModelReply => ({ status: "rejected", reason });
    const sym = this.symbols.get(s.symbol);
    if (sym === undefined) return reject("unknown_symbol");
    const { side, price, strength, ts } = s;
    if (side !== 1 && side !== -1) return reject("invalid_signal");
    if (!Number.isFinite(price) || price <= 0) return reject("invalid_signal");
    if (!(strength > 0 && strength <= 1)) return reject("invalid_signal");
    if (!Number.isFinite(ts)) return reject("invalid_signal");

    const day = Math.floor((ts - this.resetMinute * 60_000) / DAY);
    if (this.day === undefined || day > this.day) {
      this.day = day;
      this.dailyTrades = 0;
      this.realizedToday = 0;
      this.unrealizedAtDayStart = this.unrealized();
    }
    if (this.state === "HALTED") return reject("trading_halted");

    const L = sym.limits;
    if ((Math.abs(price - sym.ref) / sym.ref) * 10_000 > L.price_collar_bps) return reject("price_collar");

    const p = this.positions.get(sym.name)!;
    p.mark = price;
    if (-this.dailyPnl() > L.max_daily_loss) {
      this.setState("HALTED", "max_daily_loss", ts);
      return reject("max_daily_loss");
    }
    if (this.dailyTrades >= L.max_daily_trades) return reject("max_daily_trades");

    const lots = (q: number) => Math.floor(q / sym.lot + 1e-9) * sym.lot;
    let qty = lots(sym.sizing.method === "scaled" ? sym.sizing.default_position_size * strength : sym.sizing.default_position_size);
    if (qty <= 0) return reject("zero_quantity");

    const pos = p.pos;
    const reducing = pos !== 0 && Math.sign(pos) !== side;
    if (this.state === "REDUCING") {
      if (!reducing) return reject("reduce_only");
      if (qty > Math.abs(pos)) qty = lots(Math.abs(pos));
      if (qty <= 0) return reject("zero_quantity");
    }

    // A reducing order may go down to zero and then on to -max; an increasing one up to max.
    const allowed = reducing ? Math.abs(pos) + sym.sizing.max_position_size : sym.sizing.max_position_size - Math.abs(pos);
    if (qty > allowed) {
      qty = lots(allowed);
      if (qty <= 0) return reject("max_position_size");
    }

    let px = price;
    if (sym.exec.order_type === "limit") {
      const raw = price * (side > 0 ? 1 + sym.exec.limit_offset_bps / 10_000 : 1 - sym.exec.limit_offset_bps / 10_000);
      const steps = raw * Math.round(1 / sym.tick);
      const tol = Math.max(1e-9, steps * 4e-15); // on the grid within 1e-9 ticks or float noise
      const n = side > 0 ? Math.floor(steps + tol) : Math.ceil(steps - tol);
      px = onGrid(n, sym.tick);
    }

    if (qty * px > L.max_order_notional) return reject("max_order_notional");
    if (pos === 0 && this.openCount() >= L.max_positions) return reject("max_positions");

    const after = pos + side * qty;
    const growth = Math.abs(after) - Math.abs(pos);
    if (growth > 0) {
      if (this.gross() + growth * price > L.max_gross_exposure) return reject("max_gross_exposure");
      if (this.sectorGross(sym.sector) + growth * price > this.sectorLimits.get(sym.sector)!) return reject("sector_exposure");
    }

    const rate = L.max_orders_per_second;
    let milli = p.milliTokens === undefined ? rate * 1000 : p.milliTokens;
    if (p.milliTokens !== undefined && ts > p.tokenTs) milli = Math.min(rate * 1000, milli + (ts - p.tokenTs) * rate);
    p.milliTokens = milli;
    p.tokenTs = Math.max(ts, p.tokenTs);
    if (milli < 1000) return reject("max_orders_per_second");

    if (p.lastTs !== undefined && p.lastSide === side && p.lastQty === qty && p.lastPrice === px && Math.abs(ts - p.lastTs) < L.duplicate_window_ms) {
      return reject("duplicate_order");
    }

    p.milliTokens = milli - 1000;
    p.lastTs = ts;
    p.lastSide = side;
    p.lastQty = qty;
    p.lastPrice = px;
    this.dailyTrades++;

    const fillPrice = sym.exec.order_type === "market" ? price * (1 + (side * sym.exec.max_slippage_bps) / 10_000) : px;
    this.fill(sym.name, side, qty, fillPrice);
    return {
      status: "accepted", symbol: sym.name, side: side > 0 ? "buy" : "sell", qty, price: px,
      type: sym.exec.order_type, tif: sym.exec.time_in_force,
    };
  }

  fill(name: string, side: number, qty: number, price: number): void {
    const p = this.positions.get(name)!;
    const signed = side * qty;
    if (p.pos === 0 || Math.sign(p.pos) === side) {
      p.avg = (p.avg * Math.abs(p.pos) + price * qty) / Math.abs(p.pos + signed);
      p.pos += signed;
      return;
    }
    const closed = Math.min(qty, Math.abs(p.pos));
    const pnl = closed * (price - p.avg) * Math.sign(p.pos);
    p.realized += pnl;
    this.realizedToday += pnl;
    const before = p.pos;
    p.pos += signed;
    if (p.pos === 0) p.avg = 0;
    else if (Math.sign(p.pos) !== Math.sign(before)) p.avg = price;
  }
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

const SYMBOL_POOL = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF"];
const UNKNOWN = ["ZZZ", "aaa", ""];
const SECTOR_POOL = ["s0", "s1", "s2"];

const sizingArb: fc.Arbitrary<Sizing> = fc
  .record({
    method: fc.constantFrom("fixed" as const, "scaled" as const),
    size: fc.constantFrom(10, 50, 100, 250),
    mult: fc.constantFrom(1.5, 2, 4, 10),
  })
  .map(({ method, size, mult }) => ({ method, default_position_size: size, max_position_size: size * mult }));

const executionFields = {
  order_type: fc.constantFrom("limit" as const, "market" as const),
  time_in_force: fc.constantFrom("day" as const, "ioc" as const, "gtc" as const),
  limit_offset_bps: fc.constantFrom(0, 1, 5, 25),
  max_slippage_bps: fc.constantFrom(0, 5, 10),
};
const limitFields = {
  max_daily_trades: fc.constantFrom(2, 5, 20, 1000),
  max_positions: fc.constantFrom(1, 2, 3, 100),
  max_order_notional: fc.constantFrom(1500, 5000, 20_000, 1e9),
  max_gross_exposure: fc.constantFrom(3000, 10_000, 50_000, 1e9),
  max_orders_per_second: fc.constantFrom(1, 2, 5, 1000),
  price_collar_bps: fc.constantFrom(30, 100, 300, 2000),
  max_daily_loss: fc.constantFrom(20, 200, 2000, 1e9),
  duplicate_window_ms: fc.constantFrom(0, 100, 1000, 10_000),
};
const layerArb: fc.Arbitrary<Layer> = fc.record(
  {
    position_sizing: sizingArb,
    execution: fc.record(executionFields, { requiredKeys: [] }),
    limits: fc.record(limitFields, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

const docArb: fc.Arbitrary<Doc> = fc
  .record({
    nSymbols: fc.integer({ min: 2, max: 6 }),
    nSectors: fc.integer({ min: 1, max: 3 }),
    sectorLimits: fc.array(fc.constantFrom(2000, 8000, 40_000, 1e9), { minLength: 3, maxLength: 3 }),
    sizing: sizingArb,
    execution: fc.record(executionFields),
    limits: fc.record(limitFields),
    reset: fc.constantFrom("00:00", "21:00", "13:37"),
    strategies: fc.array(layerArb, { maxLength: 2 }),
    symbols: fc.array(
      fc.record({
        sector: fc.nat(),
        strategy: fc.nat(),
        cents: fc.integer({ min: 1000, max: 50_000 }),
        tick: fc.constantFrom(0.01, 0.05, 0.5),
        lot: fc.constantFrom(1, 1, 10, 100),
        override: fc.option(layerArb, { freq: 3 }),
      }),
      { minLength: 6, maxLength: 6 },
    ),
  })
  .map((g): Doc => {
    const sectors: Doc["risk"]["sectors"] = {};
    for (let k = 0; k < g.nSectors; k++) sectors[SECTOR_POOL[k]!] = { max_gross_exposure: g.sectorLimits[k]! };
    const strategies: Doc["strategies"] = {};
    g.strategies.forEach((layer, k) => (strategies[`st${k}`] = layer));
    const symbols: Doc["symbols"] = {};
    for (let i = 0; i < g.nSymbols; i++) {
      const s = g.symbols[i]!;
      const entry: SymbolDoc = {
        sector: SECTOR_POOL[s.sector % g.nSectors]!,
        reference_price: s.cents / 100,
        tick_size: s.tick,
        lot_size: s.lot,
        ...(s.override ?? {}),
      };
      // One strategy slot more than there are strategies: no strategy.
      const st = s.strategy % (g.strategies.length + 1);
      if (st < g.strategies.length) entry.strategy = `st${st}`;
      symbols[SYMBOL_POOL[i]!] = entry;
    }
    return {
      trading: { mode: "paper", position_sizing: g.sizing, execution: g.execution },
      risk: { day_reset_utc: g.reset, limits: g.limits, sectors },
      strategies,
      symbols,
    };
  });

type Event =
  | { kind: "signal"; sym: number; side: number; strength: number; move: number; badPrice: number | null; dt: number; badTs: boolean }
  | { kind: "repeat"; dt: number }
  | { kind: "state"; to: "ACTIVE" | "REDUCING" | "HALTED" };

const signalArb: fc.Arbitrary<Event> = fc.record({
  kind: fc.constant("signal" as const),
  sym: fc.nat(),
  side: fc.oneof({ weight: 20, arbitrary: fc.constantFrom(1, -1) }, { weight: 1, arbitrary: fc.constant(0) }),
  strength: fc.oneof(
    { weight: 8, arbitrary: fc.double({ min: 0.01, max: 1, noNaN: true }) },
    { weight: 3, arbitrary: fc.constantFrom(1, 0.5, 0.29, 0.57, 0.1) },
    { weight: 1, arbitrary: fc.constantFrom(0, -0.5, 1.0000001, 2, Number.NaN, Number.POSITIVE_INFINITY) },
  ),
  move: fc.oneof(
    { weight: 10, arbitrary: fc.double({ min: -0.004, max: 0.004, noNaN: true }) },
    { weight: 3, arbitrary: fc.double({ min: -0.05, max: 0.05, noNaN: true }) },
    { weight: 1, arbitrary: fc.double({ min: -0.5, max: 0.5, noNaN: true }) },
  ),
  badPrice: fc.oneof(
    { weight: 40, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constantFrom(Number.NaN, 0, -1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY) },
  ),
  dt: fc.oneof(
    { weight: 10, arbitrary: fc.integer({ min: 0, max: 400 }) },
    { weight: 3, arbitrary: fc.constant(0) },
    // Exactly on a refill or duplicate-window boundary for the generated limits.
    { weight: 3, arbitrary: fc.constantFrom(100, 200, 250, 500, 999, 1000, 1001) },
    { weight: 1, arbitrary: fc.integer({ min: 3_600_000, max: 30 * 3_600_000 }) },
  ),
  badTs: fc.integer({ min: 0, max: 60 }).map((x) => x === 0),
});
const eventArb: fc.Arbitrary<Event> = fc.oneof(
  { weight: 30, arbitrary: signalArb },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("repeat" as const),
      dt: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.constantFrom(99, 100, 101, 200, 500, 999, 1000, 1001)),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("state" as const), to: fc.constantFrom("ACTIVE" as const, "ACTIVE" as const, "REDUCING" as const, "HALTED" as const) }) },
);

// ---------------------------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------------------------

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-6 + 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

function asModelReply(r: Reply): ModelReply | { status: "error" } {
  if (r.status === "accepted") return { status: "accepted", ...r.order };
  if (r.status === "rejected") return { status: "rejected", reason: r.reason };
  return { status: "error" };
}

function fail(step: number, what: string, detail: unknown): never {
  throw new Error(`step ${step}: ${what}\n${JSON.stringify(detail, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v), 1)}`);
}

/** Run one config and one event sequence through the engine and the model, step by step. */
function runCase(doc: Doc, events: Event[], startTs: number): void {
  const prepared = prepareValue(doc);
  if (!prepared.ok) throw new Error(`generated config invalid: ${JSON.stringify(prepared.issues)}`);
  const VERSION = 3;
  const engine = new Engine(prepared.snapshot, VERSION);
  const model = new Model(doc);
  const names = Object.keys(doc.symbols);
  const snap = prepared.snapshot;

  let ts = startTs;
  let prev: Signal | undefined;
  let id = 0;
  for (let step = 0; step < events.length; step++) {
    const ev = events[step]!;
    if (ev.kind === "state") {
      // An operator's change, applied to both.
      const to = TRADING_STATES.indexOf(ev.to);
      engine.decider.state.setTradingState(to, "operator", ts);
      model.setState(ev.to, "operator", ts);
      continue;
    }
    let s: Signal;
    if (ev.kind === "repeat") {
      if (prev === undefined) continue;
      ts += ev.dt;
      s = { ...prev, id: String(++id), ts };
    } else {
      ts += ev.dt;
      const u = ev.sym % (names.length + 1);
      const symbol = u < names.length ? names[u]! : UNKNOWN[ev.sym % UNKNOWN.length]!;
      const ref = u < names.length ? doc.symbols[symbol]!.reference_price : 100;
      const price = ev.badPrice !== null ? ev.badPrice : ref * (1 + ev.move);
      s = { id: String(++id), symbol, side: ev.side, strength: ev.strength, price, ts: ev.badTs ? Number.NaN : ts, strategy: "" };
    }
    prev = s;

    const before = new Map([...model.positions].map(([k, p]) => [k, p.pos] as const));
    const reply = engine.process(s);
    const expected = model.decide(s);
    const got = asModelReply(reply);
    if (JSON.stringify(got) !== JSON.stringify(expected)) fail(step, "engine and model disagree", { signal: s, engine: got, model: expected });
    if (reply.status !== "error" && reply.config_version !== VERSION) fail(step, "config_version missing", reply);

    // --- the engine's state against the model's
    const st = engine.decider.state;
    for (const name of names) {
      const i = snap.index.get(name)!;
      if (st.position(i) !== model.positions.get(name)!.pos) fail(step, `position of ${name}`, { engine: st.position(i), model: model.positions.get(name)!.pos });
      if (!close(st.realized[i]!, model.positions.get(name)!.realized)) fail(step, `realized P&L of ${name}`, { engine: st.realized[i], model: model.positions.get(name)!.realized });
    }
    if (st.dailyTrades !== model.dailyTrades) fail(step, "daily trades", { engine: st.dailyTrades, model: model.dailyTrades });
    if (st.openPositions !== model.openCount()) fail(step, "open positions", { engine: st.openPositions, model: model.openCount() });
    if (TRADING_STATES[st.tradingState] !== model.state) fail(step, "trading state", { engine: st.tradingState, model: model.state });
    if (!close(st.gross, model.gross())) fail(step, "gross exposure", { engine: st.gross, model: model.gross() });
    if (!close(st.unrealized, model.unrealized())) fail(step, "unrealized P&L", { engine: st.unrealized, model: model.unrealized() });
    if (!close(st.dailyPnl(), model.dailyPnl())) fail(step, "daily P&L", { engine: st.dailyPnl(), model: model.dailyPnl() });
    snap.sectors.forEach((sector, k) => {
      if (!close(st.sectorExpo[k]!, model.sectorGross(sector))) fail(step, `exposure of sector ${sector}`, { engine: st.sectorExpo[k], model: model.sectorGross(sector) });
    });
    expect(st.changes.map((c) => `${c.from}>${c.to}:${c.reason}@${c.ts}`)).toEqual(model.changes.map((c) => `${c.from}>${c.to}:${c.reason}@${c.ts}`));

    // --- invariants
    for (const [name, p] of model.positions) {
      if (Math.abs(p.pos) > model.symbols.get(name)!.sizing.max_position_size) fail(step, `position of ${name} beyond max_position_size`, p);
    }
    if (expected.status === "accepted") {
      const sym = model.symbols.get(expected.symbol)!;
      const L = sym.limits;
      const was = before.get(sym.name)!;
      const now = model.positions.get(sym.name)!.pos;
      if (!(expected.qty > 0) || !Number.isInteger(expected.qty / sym.lot)) fail(step, "qty not a positive multiple of lot_size", expected);
      if (was === 0 && model.openCount() > L.max_positions) fail(step, "opened a position beyond max_positions", { open: model.openCount(), limit: L.max_positions });
      if (model.dailyTrades > L.max_daily_trades) fail(step, "daily trades beyond max_daily_trades", model.dailyTrades);
      if (expected.qty * expected.price > L.max_order_notional) fail(step, "order beyond max_order_notional", expected);
      if ((Math.abs(s.price - sym.ref) / sym.ref) * 10_000 > L.price_collar_bps) fail(step, "accepted outside the collar", s);
      if (Math.abs(now) > Math.abs(was)) {
        if (model.gross() > L.max_gross_exposure * (1 + 1e-9)) fail(step, "gross exposure beyond limit", model.gross());
        if (model.sectorGross(sym.sector) > model.sectorLimits.get(sym.sector)! * (1 + 1e-9)) fail(step, "sector exposure beyond limit", sym.sector);
      }
      if (expected.type === "limit") {
        const t = expected.price / sym.tick;
        if (Math.abs(t - Math.round(t)) >= 1e-6) fail(step, "limit price off the tick grid", expected);
      }
      if (model.state === "REDUCING" && (Math.abs(now) >= Math.abs(was) || Math.sign(now) === -Math.sign(was))) fail(step, "REDUCING order did not only reduce", { was, now });
    }
  }
}

describe("engine against the reference model", () => {
  test("random configs and signal sequences: identical replies, invariants hold", () => {
    fc.assert(
      fc.property(
        docArb,
        fc.array(eventArb, { maxLength: 200, size: "max" }),
        fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 0, 1) }),
        (doc, events, start) => runCase(doc, events, start),
      ),
      { numRuns: 200, seed: Number(process.env.MODEL_SEED ?? Date.now() | 0), includeErrorInReport: true, interruptAfterTimeLimit: 10_000, markInterruptAsFailure: false },
    );
  }, 30_000);

  test("long runs on one tight config reach every limit and the day roll", () => {
    // Hand-picked so that every portfolio limit binds within a few dozen signals.
    const tight: Doc = {
      trading: {
        mode: "paper",
        position_sizing: { method: "scaled", default_position_size: 100, max_position_size: 300 },
        execution: { order_type: "limit", time_in_force: "day", limit_offset_bps: 25, max_slippage_bps: 10 },
      },
      risk: {
        day_reset_utc: "21:00",
        limits: {
          max_daily_trades: 40, max_positions: 3, max_order_notional: 20_000, max_gross_exposure: 40_000,
          max_orders_per_second: 2, price_collar_bps: 100, max_daily_loss: 400, duplicate_window_ms: 1000,
        },
        sectors: { s0: { max_gross_exposure: 25_000 }, s1: { max_gross_exposure: 30_000 } },
      },
      strategies: { st0: { execution: { order_type: "market" }, limits: { max_orders_per_second: 5 } } },
      symbols: {
        AAA: { sector: "s0", reference_price: 101.37, tick_size: 0.01, lot_size: 1 },
        BBB: { sector: "s0", reference_price: 48.2, tick_size: 0.05, lot_size: 10, strategy: "st0" },
        CCC: { sector: "s1", reference_price: 212.5, tick_size: 0.5, lot_size: 1, position_sizing: { method: "fixed", default_position_size: 50, max_position_size: 120 } },
        DDD: { sector: "s1", reference_price: 33.33, tick_size: 0.01, lot_size: 10, limits: { max_positions: 4, max_daily_trades: 60 } },
      },
    };
    fc.assert(
      fc.property(
        fc.array(eventArb, { minLength: 150, maxLength: 300, size: "max" }),
        fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 0, 1) }),
        (events, start) => runCase(tight, events, start),
      ),
      { numRuns: 60, seed: Number(process.env.MODEL_SEED ?? Date.now() | 0), includeErrorInReport: true, interruptAfterTimeLimit: 10_000, markInterruptAsFailure: false },
    );
  }, 30_000);
});
