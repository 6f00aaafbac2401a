import { execFile } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { build, type Format, type Metafile } from "esbuild";
import { IngestorEnv, ProcessorEnv, SinkEnv } from "../lambdas/shared/environment.js";
import { ServiceName } from "../lambdas/shared/serviceNames.js";
import {
  LAMBDA_BUNDLE_ALIASES,
  LAMBDA_BUNDLE_OUTPUT,
  LAMBDA_EXTERNAL_MODULES,
} from "../lib/compute/lambdaBundling.js";
import type { Goal } from "./processorBench.js";
import { type Figure, figure, formatNumber, renderTable, showFigure } from "./stats.js";

export interface BundleBenchOptions {
  /** Fresh node processes per function. */
  readonly coldStarts: number;
  readonly log: (line: string) => void;
}

export interface BundleCell {
  /** "events schema alone": lambdas/shared/events.ts bundled by itself, to show what the zod schema costs. */
  readonly fn: "ingestor" | "processor" | "events schema alone";
  readonly entry: string;
  readonly bytes: number;
  readonly sourceMapBytes: number;
  /** The largest inputs by bytes in the output, to show what the size is made of. */
  readonly topInputs: readonly { readonly path: string; readonly bytes: number }[];
  /** Output bytes from the sink adapters the processor imports dynamically (bundled inline in CJS). */
  readonly dynamicImportBytes: Readonly<Record<string, number>>;
  /** require() of the bundle: config read, clients and handler built (the Lambda INIT work). */
  readonly initMs: Figure;
  /** From node's process start to the handler being ready (adds node's own bootstrap). */
  readonly processToReadyMs: Figure;
}

export interface BundleBenchResult {
  readonly cells: readonly BundleCell[];
  readonly settings: string;
  readonly goals: readonly Goal[];
  readonly table: string;
}

/** Lambda's environment for each function (deployed shape: Firehose sink, RPC URLs given directly so init does no I/O). */
const COMMON_ENV = {
  AWS_REGION: "us-east-1",
  AWS_DEFAULT_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "bench",
  AWS_SECRET_ACCESS_KEY: "bench",
  AWS_SESSION_TOKEN: "bench",
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "512",
  AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
  NODE_OPTIONS: "--enable-source-maps",
  POWERTOOLS_METRICS_NAMESPACE: "Tidemark",
  POWERTOOLS_LOG_LEVEL: "INFO",
};

type Bundled = { fn: BundleCell["fn"]; entry: string; env: Record<string, string> };

/** A function's handler bundle, with the names Lambda and Powertools give it and its own settings. */
const lambdaFunction = (fn: "ingestor" | "processor", settings: Record<string, string>): Bundled => ({
  fn,
  entry: `lambdas/${fn}/handler.ts`,
  env: { AWS_LAMBDA_FUNCTION_NAME: `tidemark-${fn}`, POWERTOOLS_SERVICE_NAME: ServiceName[fn], ...settings },
});

const FUNCTIONS: Bundled[] = [
  lambdaFunction("ingestor", {
    [IngestorEnv.QueueUrl]: "https://sqs.us-east-1.amazonaws.com/000000000000/tidemark-events.fifo",
    [IngestorEnv.StateTable]: "tidemark-state",
    [IngestorEnv.L1RpcUrls]: "http://127.0.0.1:9",
    [IngestorEnv.L2RpcUrls]: "http://127.0.0.1:9",
    [IngestorEnv.InboxAddress]: "0x00000000000000000000000000000000007a1de0",
  }),
  lambdaFunction("processor", {
    [ProcessorEnv.IdempotencyTable]: "tidemark-idempotency",
    [ProcessorEnv.StateTable]: "tidemark-state",
    [ProcessorEnv.DlqUrl]: "https://sqs.us-east-1.amazonaws.com/000000000000/tidemark-events-dlq.fifo",
    [SinkEnv.Sink]: "firehose",
    [SinkEnv.FirehoseStreamName]: "tidemark-sink",
  }),
];

/** What lib/compute/PipelineFunction.ts gives NodejsFunction's bundling. */
const SETTINGS = [
  "esbuild bundle, platform node",
  `format ${LAMBDA_BUNDLE_OUTPUT.format}`,
  `target ${LAMBDA_BUNDLE_OUTPUT.target}`,
  LAMBDA_BUNDLE_OUTPUT.minify ? "minify" : "no minify",
  LAMBDA_BUNDLE_OUTPUT.sourceMap ? "sourcemap (external)" : "no sourcemap",
  `mainFields ${LAMBDA_BUNDLE_OUTPUT.mainFields.join(",")}`,
  `external ${LAMBDA_EXTERNAL_MODULES.join(",")}`,
  "AWS SDK bundled with the Lambda-only credential chain",
  `stand-ins for ${Object.keys(LAMBDA_BUNDLE_ALIASES).join(",")}`,
].join(", ");

/** A fresh node process loads the bundle as Lambda's runtime would, and reports its timings. */
const PROBE = `const t0 = performance.now();
const mod = require(process.argv[2]);
if (process.env.BENCH_EXPECT_HANDLER === "1" && typeof mod.handler !== "function") throw new Error("no handler export");
const t1 = performance.now();
process.stdout.write(JSON.stringify({ initMs: t1 - t0, processToReadyMs: t1 }));
`;

/** Part 3: bundle each function as CDK would, then measure size and cold init in fresh processes. */
export async function runBundleBench(options: BundleBenchOptions): Promise<BundleBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), "tidemark-bench-bundles-"));
  try {
    const probe = join(dir, "probe.cjs");
    await writeFile(probe, PROBE);
    const cells: BundleCell[] = [];
    const all = [
      ...FUNCTIONS,
      { fn: "events schema alone" as const, entry: "lambdas/shared/events.ts", env: {} },
    ];
    for (const f of all) {
      const outfile = join(dir, f.fn, "index.js");
      const result = await build({
        entryPoints: [f.entry],
        bundle: true,
        platform: "node",
        format: LAMBDA_BUNDLE_OUTPUT.format as Format,
        target: LAMBDA_BUNDLE_OUTPUT.target,
        minify: LAMBDA_BUNDLE_OUTPUT.minify,
        sourcemap: LAMBDA_BUNDLE_OUTPUT.sourceMap,
        sourcesContent: LAMBDA_BUNDLE_OUTPUT.sourcesContent,
        mainFields: [...LAMBDA_BUNDLE_OUTPUT.mainFields],
        external: [...LAMBDA_EXTERNAL_MODULES],
        alias: { ...LAMBDA_BUNDLE_ALIASES },
        outfile,
        metafile: true,
        logLevel: "silent",
      });
      const bytes = (await stat(outfile)).size;
      const sourceMapBytes = (await stat(`${outfile}.map`)).size;
      const inputs = outputInputs(result.metafile, outfile);
      const init: number[] = [];
      const ready: number[] = [];
      for (let i = 0; i < options.coldStarts; i++) {
        const { stdout } = await promisify(execFile)(
          process.execPath,
          ["--enable-source-maps", probe, outfile],
          {
            env: {
              PATH: process.env.PATH ?? "",
              ...COMMON_ENV,
              ...f.env,
              BENCH_EXPECT_HANDLER: f.fn === "events schema alone" ? "0" : "1",
            },
            cwd: dir,
          },
        );
        const t = JSON.parse(stdout) as { initMs: number; processToReadyMs: number };
        init.push(t.initMs);
        ready.push(t.processToReadyMs);
      }
      cells.push({
        fn: f.fn,
        entry: f.entry,
        bytes,
        sourceMapBytes,
        topInputs: aggregateByPackage(inputs).slice(0, 8),
        dynamicImportBytes: dynamicImportBytes(inputs),
        initMs: figure(init),
        processToReadyMs: figure(ready),
      });
      options.log(
        `  bundles: ${f.fn} ${formatNumber(bytes / 1024)} KB, init ${formatNumber(figure(init).median)} ms`,
      );
    }
    const goals: Goal[] = cells
      .filter((c) => c.fn !== "events schema alone")
      .flatMap((c) => [
        {
          goal: `${c.fn} bundle ≤ 500 KB`,
          met: c.bytes <= 500 * 1024,
          measured: `${formatNumber(c.bytes / 1024)} KB`,
        },
        {
          goal: `${c.fn} cold init ≤ 150 ms`,
          met: c.initMs.median <= 150,
          measured: `${formatNumber(c.initMs.median)} ms (require); ${formatNumber(c.processToReadyMs.median)} ms from process start`,
        },
      ]);
    return { cells, settings: SETTINGS, goals, table: renderBundleTable(cells, goals) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The sink adapters createSink imports dynamically, and what they pull in, grouped. */
function dynamicImportBytes(inputs: readonly [string, number][]): Record<string, number> {
  const groups: Record<string, number> = {};
  for (const [path, bytes] of inputs) {
    const key = /client-firehose/.test(path)
      ? "@aws-sdk/client-firehose"
      : /lambdas\/sink\/(duckdbSink|duckdbSchema)\.ts$/.test(path)
        ? "duckdb adapter (its @duckdb/node-api stays external)"
        : /lambdas\/sink\/firehoseSink\.ts$/.test(path)
          ? "firehose adapter"
          : undefined;
    if (key) groups[key] = (groups[key] ?? 0) + bytes;
  }
  return groups;
}

function outputInputs(metafile: Metafile, outfile: string): [string, number][] {
  const output = Object.entries(metafile.outputs).find(
    ([path]) => outfile.endsWith(path) || path.endsWith("index.js"),
  );
  if (!output) return [];
  return Object.entries(output[1].inputs)
    .map(([path, v]) => [path, v.bytesInOutput] as [string, number])
    .sort((a, b) => b[1] - a[1]);
}

/** Bytes per npm package (or "project" for our own files). */
function aggregateByPackage(inputs: readonly [string, number][]): { path: string; bytes: number }[] {
  const byPackage = new Map<string, number>();
  for (const [path, bytes] of inputs) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const key = m ? (m[1] as string) : "project (lambdas/)";
    byPackage.set(key, (byPackage.get(key) ?? 0) + bytes);
  }
  return [...byPackage.entries()].map(([path, bytes]) => ({ path, bytes })).sort((a, b) => b.bytes - a.bytes);
}

function renderBundleTable(cells: readonly BundleCell[], goals: readonly Goal[]): string {
  const rows: string[][] = [
    [
      "function",
      "bundle KB",
      "map KB",
      "init ms (require)",
      "process start → ready ms",
      "largest parts (KB)",
    ],
  ];
  for (const c of cells) {
    rows.push([
      c.fn,
      formatNumber(c.bytes / 1024),
      formatNumber(c.sourceMapBytes / 1024),
      showFigure(c.initMs),
      showFigure(c.processToReadyMs),
      c.topInputs
        .slice(0, 5)
        .map((i) => `${i.path} ${formatNumber(i.bytes / 1024)}`)
        .join(", "),
    ]);
  }
  const processor = cells.find((c) => c.fn === "processor");
  const dyn = processor
    ? Object.entries(processor.dynamicImportBytes)
        .map(([p, b]) => `${p} ${formatNumber(b / 1024, 1)} KB`)
        .join(", ")
    : "";
  const goalLines = goals.map((g) => `  ${g.met ? "MET " : "MISS"}  ${g.goal}: ${g.measured}`);
  return [
    renderTable(`3. Lambda bundles (${SETTINGS})`, rows),
    `   processor's dynamic sink imports, bundled inline by CJS: ${dyn || "none found"}`,
    ...goalLines,
  ].join("\n");
}
