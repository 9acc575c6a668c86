/** Reading JSON request bodies, with a 400 in the API's error shape when malformed. */
import type { Context } from "hono";
import { parseText } from "../../config/load.ts";
import { fail } from "../errors.ts";

export type Body = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly response: Response };

/** The body as JSON; an empty body is `null`. */
export async function readJson(c: Context): Promise<Body> {
  const text = await c.req.text();
  if (text.trim().length === 0) return { ok: true, value: null };
  const parsed = parseText(text, "json");
  if (!parsed.ok) return { ok: false, response: fail(c, 400, "malformed_body", parsed.issue.message, [parsed.issue]) };
  return { ok: true, value: parsed.value };
}

/** Who is writing: X-Author, else "api". */
export function authorOf(c: Context): string {
  const a = c.req.header("x-author")?.trim();
  return a !== undefined && a.length > 0 ? a.slice(0, 200) : "api";
}
