/**
 * What leaves the engine: the order, and the reply a sender gets for each signal. The same reply
 * objects go out over TCP, HTTP and into replay files.
 */
import { ORDER_TYPE_NAMES, TIF_NAMES } from "../config/snapshot.ts";
import type { RejectReason } from "./reasons.ts";

export interface Order {
  readonly symbol: string;
  readonly side: "buy" | "sell";
  readonly qty: number;
  readonly price: number;
  readonly type: (typeof ORDER_TYPE_NAMES)[number];
  readonly tif: (typeof TIF_NAMES)[number];
}

export type Reply =
  | { readonly id: string; readonly status: "accepted"; readonly order: Order; readonly config_version: number }
  | { readonly id: string; readonly status: "rejected"; readonly reason: RejectReason; readonly config_version: number; readonly shard?: number }
  | { readonly id?: string; readonly status: "error"; readonly message: string };

/** Build the order object from the decider's scratch fields. */
export function makeOrder(symbol: string, side: number, qty: number, price: number, orderType: number, tif: number): Order {
  return {
    symbol,
    side: side > 0 ? "buy" : "sell",
    qty,
    price,
    type: ORDER_TYPE_NAMES[orderType] ?? "limit",
    tif: TIF_NAMES[tif] ?? "day",
  };
}

/** An error reply for input that could not be read as a signal. */
export function errorReply(message: string, id?: string): Reply {
  return id === undefined ? { status: "error", message } : { id, status: "error", message };
}
