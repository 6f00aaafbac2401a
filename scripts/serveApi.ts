import { parseArgs } from "node:util";
import { serveApi } from "../lambdas/api/serveLocal.js";
import { createDuckDbSink } from "../lambdas/sink/duckdbSink.js";

/**
 * Serves the API and dashboard over a DuckDB file, e.g. one kept by
 * `npm start -- --duckdb ./tidemark.duckdb`:
 *   npx tsx scripts/serveApi.ts --duckdb ./tidemark.duckdb [--port 8080]
 * DuckDB is single-writer: run it after the pipeline has released the file.
 */
const { values } = parseArgs({
  options: { duckdb: { type: "string" }, port: { type: "string", default: "0" }, poll: { type: "string" } },
});
if (values.duckdb === undefined) {
  console.error("usage: tsx scripts/serveApi.ts --duckdb FILE [--port N] [--poll MS]");
  process.exit(2);
}
const sink = await createDuckDbSink({ path: values.duckdb });
const api = await serveApi({
  db: sink,
  version: process.env.npm_package_version ?? "dev",
  port: Number(values.port),
  settings: values.poll === undefined ? {} : { dashboardPollMs: Number(values.poll) },
});
console.log(`Tidemark API and dashboard: ${api.url}  (API docs: ${api.url}/v1/docs; Ctrl-C stops)`);
process.once("SIGINT", () => {
  void api.close().then(() => sink.close());
});
