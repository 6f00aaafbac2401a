import { serveApi } from "../../lambdas/api/serveLocal.js";
import { createDuckDbSink } from "../../lambdas/sink/duckdbSink.js";
import {
  type CliIo,
  EXIT,
  intOption,
  parseCommand,
  printUsage,
  runEntryPoint,
  UsageError,
} from "./cliSupport.js";

const USAGE = `Usage: npx tsx scripts/cli/serveApi.ts --duckdb <file> [--port <n>] [--poll <ms>]

Serves the API and dashboard over a DuckDB file, e.g. one kept by \`npm start -- --duckdb ./tidemark.duckdb\`.
DuckDB is single-writer: run it after the pipeline has released the file. Ctrl-C stops it.`;

async function main(io: CliIo): Promise<number> {
  const { values } = parseCommand(
    process.argv.slice(2),
    { duckdb: { type: "string" }, port: { type: "string" }, poll: { type: "string" } },
    0,
    { target: false },
  );
  if (values.help) return printUsage(io, USAGE);
  if (typeof values.duckdb !== "string") throw new UsageError("--duckdb <file> is required");
  const poll = intOption(values, "poll", { min: 1 });
  const sink = await createDuckDbSink({ path: values.duckdb });
  const api = await serveApi({
    db: sink,
    version: process.env.npm_package_version ?? "dev",
    port: intOption(values, "port") ?? 0,
    settings: poll === undefined ? {} : { dashboardPollMs: poll },
  });
  io.stdout.write(`Tidemark API and dashboard: ${api.url}  (API docs: ${api.url}/v1/docs; Ctrl-C stops)\n`);
  await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
  await api.close();
  await sink.close();
  return EXIT.ok;
}

const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
runEntryPoint("serveApi", io, () => main(io)).then((code) => process.exit(code));
