/**
 * Build the single binary: `bun build.ts` -> dist/keel.
 * The binary embeds config/default.toml, every migration and its Workers, and reads no bunfig.toml or .env
 * from wherever it is started: its behaviour depends on its flags and its config only.
 */
export {};

const outfile = process.argv[2] ?? "dist/keel";
const started = performance.now();
const result = await Bun.build({
  // The config, engine and checkpoint Workers are entrypoints of their own: a compiled binary only
  // carries the workers listed here (config/offload.ts, workers/pool.ts and store/checkpointer.ts
  // find them under their folders).
  entrypoints: ["./src/main.ts", "./src/config/prepare-worker.ts", "./src/workers/engine-worker.ts", "./src/store/checkpoint-worker.ts"],
  compile: { outfile, autoloadBunfig: false, autoloadDotenv: false },
  minify: true,
  sourcemap: "linked",
  target: "bun",
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  console.error("build failed");
  process.exit(1);
}
console.log(`built ${outfile} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
