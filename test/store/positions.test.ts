/**
 * The position fold the store rebuilds from must land on exactly the floats the engine keeps, or
 * a restart would move positions and P&L by a rounding: run the same fills through the engine's
 * Decider.fill and through applyFill, and compare bit for bit.
 */
import { describe, expect, test } from "bun:test";
import { Decider } from "../../src/engine/decide.ts";
import { S_AVG, S_POS } from "../../src/risk/state.ts";
import { applyFill, type PositionState } from "../../src/risk/position.ts";
import { rebuildPositions } from "../../src/store/positions.ts";
import { snapshotOf } from "../engine/fixtures.ts";
import { fillStream } from "./store.contract.ts";

describe("positions: the fold matches the engine", () => {
  test("long, add, reduce, close, flip short, cover: worked example", () => {
    const p: PositionState = { position: 0, avgPrice: 0, realized: 0 };
    applyFill(p, 1, 100, 10);
    applyFill(p, 1, 100, 12);
    expect(p).toEqual({ position: 200, avgPrice: 11, realized: 0 });
    applyFill(p, -1, 50, 13);
    expect(p).toEqual({ position: 150, avgPrice: 11, realized: 100 });
    applyFill(p, -1, 250, 9); // closes 150 at a loss of 2 each, opens 100 short at 9
    expect(p).toEqual({ position: -100, avgPrice: 9, realized: -200 });
    applyFill(p, 1, 100, 8);
    expect(p).toEqual({ position: 0, avgPrice: 0, realized: -100 });
  });

  test("thousands of random fills: applyFill and Decider.fill agree to the last bit", () => {
    const snap = snapshotOf();
    const d = new Decider(snap, 1);
    const stream = fillStream(5000, 1, 99).filter((f) => snap.index.has(f.symbol));
    expect(stream.length).toBeGreaterThan(1000);
    for (const f of stream) d.fill(snap.index.get(f.symbol)!, f.side, f.qty, f.price);
    const rebuilt = rebuildPositions([], stream);
    for (const [symbol, p] of rebuilt) {
      const i = snap.index.get(symbol)!;
      expect(Object.is(p.position, d.state.get(i, S_POS))).toBe(true);
      expect(Object.is(p.avgPrice, d.state.get(i, S_AVG))).toBe(true);
      expect(Object.is(p.realized, d.state.realized[i])).toBe(true);
    }
  });
});
