/**
 * `keel serve`: load and compile the config, start the engine and its TCP signal ingest, and run
 * until SIGINT/SIGTERM. The admin API and the version store attach here as they land.
 * Exit codes: 0 stopped by a signal, 1 invalid config or ingest address unusable, 2 bad flags,
 * 3 live trading asked for without an authorisation.
 */
import { formatIssue } from "../config/errors.ts";
import { prepareText } from "../config/prepare.ts";
import { Engine } from "../engine/engine.ts";
import { startIngest, type Ingest } from "../ingest/tcp.ts";
import { hostPort, parse } from "./args.ts";
import { readSource } from "./source.ts";

export const DEFAULT_INGEST = "127.0.0.1:8788";

export const help = `Usage: keel serve [--config FILE] [--ingest HOST:PORT]

Run the engine. Without --config it runs on the default config embedded in this binary,
in paper mode. Strategies send signals to the ingest socket as newline-delimited JSON and
read back one reply line per signal, in order.

Options:
  --config FILE       config file (TOML, or JSON by its .json extension)
  --ingest HOST:PORT  signal socket address (default ${DEFAULT_INGEST}, loopback only)
  -h, --help          show this help

Example:
  keel serve &
  printf '{"id":"1","symbol":"AAPL","side":"buy","strength":0.5,"price":190.1}\\n' | nc 127.0.0.1 8788

Live trading needs a signed authorisation, which this build does not support yet:
a config with trading.mode = "live" is refused (exit 3).`;

/** The version number this process gives its config until the version store assigns real ones. */
const INITIAL_VERSION = 1;

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: "string" }, ingest: { type: "string" } }, 0);
  if (values.help) return (console.log(help), 0);
  const ingestAt = hostPort(values.ingest ?? DEFAULT_INGEST, "--ingest");

  const source = await readSource(values.config);
  const t0 = performance.now();
  const result = prepareText(source.text, source.format);
  const ms = performance.now() - t0;
  for (const w of result.warnings) console.error(`warning: ${formatIssue(w)}`);
  if (!result.ok) {
    for (const issue of result.issues) console.error(formatIssue(issue));
    console.error(`keel: ${source.name} is invalid; not starting`);
    return 1;
  }
  const s = result.snapshot;
  const mode = result.document.trading.mode;
  console.log(
    `keel: config v${INITIAL_VERSION} ${source.name} sha256 ${result.hash.slice(0, 12)}, mode ${mode}, ` +
      `${s.symbolCount} symbols in ${s.sectors.length} sectors, ${s.profileCount} profiles, compiled in ${ms.toFixed(1)} ms`,
  );
  // A config flag alone must never turn on live trading.
  if (mode !== "paper") {
    console.error(
      `keel: trading.mode = "${mode}" needs a signed live-trading authorisation, which this build does not support yet; ` +
        `not starting (use mode = "paper")`,
    );
    return 3;
  }

  const engine = new Engine(s, INITIAL_VERSION);
  const where = formatAddress(ingestAt.host, ingestAt.port);
  let ingest: Ingest;
  try {
    ingest = startIngest({
      host: ingestAt.host,
      port: ingestAt.port,
      engine,
      onError: (err) => console.error(`keel: ingest: ${err instanceof Error ? err.message : String(err)}`),
    });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why = code === "EADDRINUSE" ? "address already in use" : err instanceof Error ? err.message : String(err);
    console.error(`keel: cannot listen on ${where} for signal ingest: ${why}`);
    return 1;
  }
  if (!isLoopback(ingestAt.host)) {
    console.error(`warning: ingest on ${where} accepts signals from the network without authentication`);
  }
  console.log(`keel: ingest listening on ${formatAddress(ingestAt.host, ingest.port)} (NDJSON signals), venue ${engine.venue.name}`);
  console.log("keel: running; Ctrl-C to stop");

  const signal = await new Promise<string>((done) => {
    const on = (sig: string) => {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
      done(sig);
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
  console.log(`keel: ${signal}; stopping, ${ingest.connections} open connection(s)`);
  await ingest.stop();
  console.log("keel: stopped");
  return 0;
}

function formatAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
