import "./quietLocalRun.js";

import type { Address } from "viem";
import { renderProgress, renderReport } from "../pipeline/renderReport.js";
import {
  type LocalPipelineOptions,
  type LocalPipelineResult,
  runLocalPipeline,
} from "../pipeline/runLocalPipeline.js";
import { type CliIo, EXIT, type OptionSpec, parseCommand, runEntryPoint, UsageError } from "./cliSupport.js";

const USAGE = `Usage: npm start -- [options]

Runs the whole Tidemark pipeline on this machine — two anvil nodes (L1 and a
Taiko-like L2 driven by the devnet), DynamoDB Local, an SQS FIFO server and
DuckDB — with the Lambda handlers' code, then verifies the sink against the chain.

Run length
  --duration <s>             seconds of block production (default 60); a devnet goes on past it,
                             unpaced, until it has crossed the Shasta fork and told its story
  --blocks <n>               stop after n L2 blocks instead
Devnet
  --seed <n>                 PRNG seed; the same seed replays the same story (default 1)
  --reorg-probability <p>    chance per L2 block of an L2 reorg (default 0.02)
  --reorg-depth <n>          deepest L2 reorg (default 3)
  --l1-reorg-probability <p> chance per L1 block of an L1 reorg (default 0.03)
  --l1-reorg-depth <n>       deepest L1 reorg (default 2)
  --pacing <ms>              wall-clock ms per L2 block (default 150; 0 = as fast as possible)
Fault injection
  --duplicates <p>           chance each message is published again under a new dedup id (default 0.05)
  --poison <n>               malformed messages to send; each must reach the DLQ (default 4)
Real chains (no devnet is started)
  --l1-rpc <url[,url…]>      L1 JSON-RPC URLs (fallback order)
  --l2-rpc <url[,url…]>      L2 JSON-RPC URLs
  --network <mainnet|hoodi>  the network preset: every fork's contracts and the Shasta activation
  --inbox <address>          or a Pacaya-only rollup inbox on L1
  --inbox-wrapper <address>  the forced-inclusion wrapper on L1 (optional)
  --l1-from <n>, --l2-from <n>  first blocks to ingest (default head − 50)
  --confirmations <n>        blocks held back from the head (default 2)
Sink
  --sink <duckdb|clickhouse> where the processor writes and the report reads (default duckdb)
  --duckdb <path>            keep the DuckDB database at this path (default: a temp file)
  --clickhouse-url <url>     ClickHouse HTTP interface (implies --sink clickhouse); user and password
                             from CLICKHOUSE_USER / CLICKHOUSE_PASSWORD. Without it, --sink clickhouse
                             starts a throwaway local clickhouse-server (must be installed)
  --clickhouse-database <db> database to write (default: a fresh tidemark_run_<time> on a given URL)
Serving
  --serve                    serve the /v1 API, the live stream and the dashboard on a loopback port while
                             the pipeline runs, and keep serving after the verification until Ctrl-C;
                             with the ingest API (POST /v1/events): a key is printed (\`api key: …\`), the
                             signing key and payloads live in .tidemark/, commitments are anchored on the
                             L2 once the run has verified
  --port <n>                 the port to serve on (default: a free one)
Other
  --partitions <n>           SQS message groups per stream (default 16)
  --json                     print the result as JSON instead of the report
  -h, --help                 this text

Exits 0 when the verification passes, 1 when it fails, 2 on a usage error.`;

const OPTIONS = {
  duration: { type: "string" },
  blocks: { type: "string" },
  seed: { type: "string" },
  "reorg-probability": { type: "string" },
  "reorg-depth": { type: "string" },
  "l1-reorg-probability": { type: "string" },
  "l1-reorg-depth": { type: "string" },
  pacing: { type: "string" },
  duplicates: { type: "string" },
  poison: { type: "string" },
  "l1-rpc": { type: "string" },
  "l2-rpc": { type: "string" },
  inbox: { type: "string" },
  network: { type: "string" },
  "inbox-wrapper": { type: "string" },
  "l1-from": { type: "string" },
  "l2-from": { type: "string" },
  confirmations: { type: "string" },
  duckdb: { type: "string" },
  sink: { type: "string" },
  "clickhouse-url": { type: "string" },
  "clickhouse-database": { type: "string" },
  partitions: { type: "string" },
  serve: { type: "boolean" },
  port: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies OptionSpec;

interface StartOptions extends LocalPipelineOptions {
  readonly json: boolean;
  /** Serve while running, and after the verification until Ctrl-C; `port` 0 picks a free one. */
  readonly servePort: number | undefined;
}

function parseOptions(argv: string[]): StartOptions | "help" {
  const { values } = parseCommand(argv, OPTIONS, 0, { target: false });
  if (values.help) return "help";
  const str = (name: string) => values[name] as string | undefined;
  const num = (name: string, check: (n: number) => boolean, what: string): number | undefined => {
    const raw = str(name);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(n) || !check(n))
      throw new UsageError(`--${name}: "${raw}" is not ${what}`);
    return n;
  };
  const int = (name: string, min = 0) =>
    num(name, (n) => Number.isInteger(n) && n >= min, `an integer ≥ ${min}`);
  const prob = (name: string) => num(name, (n) => n >= 0 && n <= 1, "a probability between 0 and 1");
  const address = (name: string): Address | undefined => {
    const raw = str(name);
    if (raw === undefined) return undefined;
    if (!/^0x[0-9a-fA-F]{40}$/.test(raw))
      throw new UsageError(`--${name}: "${raw}" is not a 20-byte hex address`);
    return raw.toLowerCase() as Address;
  };
  const urls = (name: string): string[] | undefined => {
    const raw = str(name);
    if (raw === undefined) return undefined;
    const list = raw
      .split(",")
      .map((u) => u.trim())
      .filter(Boolean);
    for (const u of list) {
      try {
        const url = new URL(u);
        if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error();
      } catch {
        throw new UsageError(`--${name}: "${u}" is not an http(s) URL`);
      }
    }
    if (list.length === 0) throw new UsageError(`--${name}: no URL given`);
    return list;
  };

  const l1Rpc = urls("l1-rpc");
  const l2Rpc = urls("l2-rpc");
  const inbox = address("inbox");
  const network = str("network");
  if (network !== undefined && network !== "mainnet" && network !== "hoodi")
    throw new UsageError(`--network: "${network}" is not mainnet or hoodi`);
  if (network !== undefined && inbox !== undefined)
    throw new UsageError("--network names the inboxes: give --network or --inbox, not both");
  const realChain = [l1Rpc, l2Rpc, inbox ?? network].filter((x) => x !== undefined).length;
  if (realChain > 0 && realChain < 3)
    throw new UsageError("--l1-rpc, --l2-rpc and --network (or --inbox) go together");
  const devnetOnly = [
    "blocks",
    "seed",
    "reorg-probability",
    "reorg-depth",
    "l1-reorg-probability",
    "l1-reorg-depth",
    "pacing",
  ];
  if (realChain === 3) {
    const given = devnetOnly.filter((o) => values[o] !== undefined);
    if (given.length > 0)
      throw new UsageError(
        `${given.map((o) => `--${o}`).join(", ")} only apply to the devnet, not to real chains`,
      );
  }

  const sinkKind = str("sink") ?? (str("clickhouse-url") !== undefined ? "clickhouse" : "duckdb");
  if (sinkKind !== "duckdb" && sinkKind !== "clickhouse")
    throw new UsageError(`--sink: "${sinkKind}" is not duckdb or clickhouse`);
  if (
    sinkKind === "duckdb" &&
    (str("clickhouse-url") !== undefined || str("clickhouse-database") !== undefined)
  ) {
    throw new UsageError("--clickhouse-url and --clickhouse-database need --sink clickhouse");
  }
  if (sinkKind === "clickhouse" && str("duckdb") !== undefined)
    throw new UsageError("--duckdb needs --sink duckdb");
  const clickhouseUrl = urls("clickhouse-url")?.[0];
  const clickhouseDatabase = str("clickhouse-database");
  if (clickhouseDatabase !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(clickhouseDatabase)) {
    throw new UsageError(
      `--clickhouse-database: "${clickhouseDatabase}" is not a database name (letters, digits, _)`,
    );
  }

  if (values.port !== undefined && values.serve !== true) throw new UsageError("--port needs --serve");
  const port = num("port", (n) => Number.isInteger(n) && n >= 0 && n <= 65_535, "a port number (0–65535)");
  const duration = num("duration", (n) => n > 0, "a positive number of seconds");
  const knobs: NonNullable<LocalPipelineOptions["knobs"]> = {
    ...defined("l2ReorgProbability", prob("reorg-probability")),
    ...defined("l2ReorgMaxDepth", int("reorg-depth", 1)),
    ...defined("l1ReorgProbability", prob("l1-reorg-probability")),
    ...defined("l1ReorgMaxDepth", int("l1-reorg-depth", 1)),
    ...defined("pacingMsPerL2Block", int("pacing")),
  };
  return {
    json: values.json === true,
    servePort: values.serve === true ? (port ?? 0) : undefined,
    ...defined("durationMs", duration === undefined ? undefined : duration * 1000),
    ...defined("l2Blocks", int("blocks", 1)),
    // However slow the machine, a timed run reaches the Shasta fork and every Shasta table is checked.
    throughShasta: true,
    ...defined("seed", int("seed")),
    knobs,
    ...defined("duplicateProbability", prob("duplicates")),
    ...defined("poisonMessages", int("poison")),
    ...defined("duckdbPath", str("duckdb")),
    ...(sinkKind === "clickhouse"
      ? {
          clickhouse: {
            ...defined("url", clickhouseUrl),
            ...defined("database", clickhouseDatabase),
            ...defined("username", process.env.CLICKHOUSE_USER || undefined),
            ...defined("password", process.env.CLICKHOUSE_PASSWORD || undefined),
          },
        }
      : {}),
    ...defined("partitions", int("partitions", 1)),
    ...(realChain === 3
      ? {
          rpc: {
            l1Urls: l1Rpc as string[],
            l2Urls: l2Rpc as string[],
            ...defined("inbox", inbox as Address | undefined),
            ...defined("network", network as "mainnet" | "hoodi" | undefined),
            ...defined("inboxWrapper", address("inbox-wrapper")),
            ...defined("l1From", int("l1-from")),
            ...defined("l2From", int("l2-from")),
            ...defined("confirmations", int("confirmations")),
          },
        }
      : {}),
  };
}

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

async function main(io: CliIo): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options === "help") {
    io.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }

  // Ctrl-C ends block production early; the run still drains and verifies. A second Ctrl-C quits at once.
  const abort = new AbortController();
  process.once("SIGINT", () => {
    io.stderr.write("\nstopping: draining the queue and verifying (Ctrl-C again to quit now)\n");
    abort.abort();
    process.once("SIGINT", () => process.exit(130));
  });

  const tty = io.stdout.isTTY === true;
  let lastLine = 0;
  const print = (result: LocalPipelineResult) => {
    if (tty && !options.json) io.stdout.write("\n");
    // With --json, stdout carries the JSON document and nothing else (run as `npm start --silent -- --json`).
    io.stdout.write(options.json ? `${JSON.stringify(result, bigintToString, 2)}\n` : renderReport(result));
    if (!options.json) io.stdout.write(`Sink: ${result.sink}\n`);
  };
  let servedAt = "";
  const result = await runLocalPipeline({
    ...options,
    signal: abort.signal,
    serve:
      options.servePort === undefined
        ? undefined
        : {
            port: options.servePort,
            onListening: (url, ingest) => {
              servedAt = url;
              // stderr under --json, so stdout stays one JSON document.
              (options.json ? io.stderr : io.stdout).write(
                `API, live stream and dashboard: ${url}  (API docs: ${url}/v1/docs)\n` +
                  `api key: ${ingest.apiKey}  (stream "${ingest.stream}"; receipts signed by ${ingest.publicKey})\n` +
                  `keys and schemas: npx tidemark keys list --env-file ${ingest.envFile}\n`,
              );
            },
            holdAfterVerify: async (verified, ingest) => {
              print(verified);
              (options.json ? io.stderr : io.stdout).write(
                `Still serving at ${servedAt} — Ctrl-C stops it and the local parts.\n` +
                  `api key: ${ingest.apiKey}\n` +
                  (ingest.registry
                    ? `Commitments anchored on the L2 ${ingest.l2Url}, AnchorRegistry ${ingest.registry}\n`
                    : ""),
              );
              process.removeAllListeners("SIGINT");
              await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
            },
          },
    onProgress: options.json
      ? undefined
      : (p) => {
          const line = renderProgress(p);
          if (tty) io.stdout.write(`\r\x1b[2K${line}`);
          else if (Date.now() - lastLine > 5_000) {
            lastLine = Date.now();
            io.stdout.write(`${line}\n`);
          }
        },
  });
  if (options.servePort === undefined) print(result);
  return result.ok ? EXIT.ok : EXIT.findings;
}

function bigintToString(_key: string, value: unknown) {
  return typeof value === "bigint" ? value.toString() : value;
}

const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
runEntryPoint("npm start", io, () => main(io)).then((code) => process.exit(code));
