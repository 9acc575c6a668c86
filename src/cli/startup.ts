/**
 * Which config version a starting engine runs, decided against the store:
 *   - an empty database: the given config (embedded default or --config) becomes version 1;
 *   - a database with an active version and no --config: that version, as stored;
 *   - --config with the active version's hash: nothing changes;
 *   - --config with another hash: a new version, parent the active one, activated.
 * Every new version is authored `startup` and audited with its change list.
 */
import { diff } from "../config/diff.ts";
import { prepareText, type Prepared } from "../config/prepare.ts";
import type { ConfigIssue } from "../config/errors.ts";
import type { Shard } from "../config/shard.ts";
import type { Store } from "../store/store.ts";
import type { ConfigSource } from "./source.ts";

export type StartupConfig =
  | { readonly ok: true; readonly version: number; readonly prepared: Prepared; readonly created: boolean; readonly changes: number }
  | { readonly ok: false; readonly version: number; readonly issues: ConfigIssue[] };

/**
 * Settle the active version. `given` is the config named on the command line (or the embedded
 * default), already prepared; `explicit` says whether it was named (--config) or only a default.
 */
export function startupConfig(store: Store, source: ConfigSource, given: Prepared, explicit: boolean, shard?: Shard): StartupConfig {
  const active = store.activeVersion();
  if (active === null) {
    const { version } = store.createAndActivate(
      { hash: given.hash, canonical: given.canonical, parent: null, author: "startup", message: `from ${source.name}` },
      { author: "startup", action: "startup", changes: [] },
    );
    return { ok: true, version, prepared: given, created: true, changes: 0 };
  }
  if (!explicit || active.hash === given.hash) {
    if (active.hash === given.hash) return { ok: true, version: active.version, prepared: given, created: false, changes: 0 };
    // The stored document is canonical JSON; it validated when it was stored, but this build's
    // rules may be stricter, so it is checked again rather than trusted.
    const stored = prepareText(active.canonical, "json", shard);
    if (!stored.ok) return { ok: false, version: active.version, issues: stored.issues };
    return { ok: true, version: active.version, prepared: stored, created: false, changes: 0 };
  }
  const changes = diff(JSON.parse(active.canonical), given.document);
  const { version } = store.createAndActivate(
    { hash: given.hash, canonical: given.canonical, parent: active.version, author: "startup", message: `from ${source.name}` },
    { author: "startup", action: "startup", changes },
  );
  return { ok: true, version, prepared: given, created: true, changes: changes.length };
}
