/**
 * Every API error has one shape: `{ error, message, issues? }`, with `issues` as the config
 * validator returns them (`{ path, code, message }`). Refusals from Control map onto it directly.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ConfigIssue } from "../config/errors.ts";

export interface ApiError {
  readonly error: string;
  readonly message: string;
  readonly issues?: readonly ConfigIssue[];
}

/** Answer with the error shape. */
export function fail(c: Context, status: ContentfulStatusCode, error: string, message: string, issues?: readonly ConfigIssue[]): Response {
  const body: ApiError = issues === undefined ? { error, message } : { error, message, issues };
  return c.json(body, status);
}
