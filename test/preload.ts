/**
 * Loaded before every test file (bunfig.toml [test] preload). The per-test timeout: bun's default
 * is 5 s, and bunfig's [test] section has no key for it in Bun 1.4 (a `timeout` there is ignored;
 * measured: a 6 s test failed at 5 s with it set). Tests that start servers, spawn `keel serve`
 * or a FIX gateway, or run property checks over large configs need more on a loaded 2-core
 * machine; 120 s is a bound for a hung test, not a speed requirement (tests assert no timings).
 */
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(120_000);
