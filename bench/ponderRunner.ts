import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { inboxAbi } from "../lambdas/shared/inboxAbi.js";
import { killAndWait } from "../scripts/local/anvil.js";
import { freePort } from "../scripts/local/freePort.js";
import { registerChild } from "../scripts/local/processRegistry.js";
import type { BenchChain } from "./benchChain.js";
import type { CountingRpcProxy } from "./countingRpcProxy.js";
import type { IngestSample } from "./ingestBench.js";

/** Ponder lives in its own folder (gitignored), installed from the registry on first use: not a project dependency. */
export const PONDER_DIR = join(dirname(fileURLToPath(import.meta.url)), ".ponder");
const PONDER_VERSION = "1.0.0";
const READY_TIMEOUT_MS = 600_000;

export type PonderOutcome =
  | { readonly status: "ok"; readonly samples: IngestSample[]; readonly notes: string }
  | { readonly status: "unavailable"; readonly reason: string };

export interface RunPonderParameters {
  readonly rpcUrl: string;
  readonly proxy: CountingRpcProxy;
  readonly chain: BenchChain;
  readonly runs: number;
  readonly log: (line: string) => void;
}

/**
 * (b) Ponder indexing the same chain: every block (`blocks: { interval: 1 }`) and the inbox events,
 * into embedded PGlite, through the counting proxy, rate limit lifted and JSON-RPC batching on.
 * Timed from process start to its /ready answer (historical sync and indexing done up to endBlock).
 * Any reason it cannot run here is returned verbatim, never papered over.
 */
export async function runPonder(p: RunPonderParameters): Promise<PonderOutcome> {
  try {
    await ensureInstalled(p.log);
  } catch (error) {
    return { status: "unavailable", reason: `install failed: ${short(error)}` };
  }
  await writeProject();
  const samples: IngestSample[] = [];
  for (let run = 0; run < p.runs; run++) {
    const result = await runOnce(p);
    if ("reason" in result) return { status: "unavailable", reason: result.reason };
    samples.push(result);
    p.log(
      `  ingest run ${run + 1}/${p.runs} ponder: ${(result.blocks / result.seconds).toFixed(0)} blocks/s, ${result.httpRequests} HTTP`,
    );
  }
  return {
    status: "ok",
    samples,
    notes: `ponder ${PONDER_VERSION}, PGlite, maxRequestsPerSecond 100000, viem http batch 100, RPC cache disabled`,
  };
}

async function ensureInstalled(log: (line: string) => void): Promise<void> {
  if (existsSync(join(PONDER_DIR, "node_modules", "ponder", "package.json"))) return;
  await mkdir(PONDER_DIR, { recursive: true });
  await writeFile(
    join(PONDER_DIR, "package.json"),
    `${JSON.stringify(
      {
        name: "tidemark-bench-ponder",
        private: true,
        type: "module",
        dependencies: { ponder: PONDER_VERSION, viem: "2.57.20", hono: "4.6.14", typescript: "5.9.3" },
      },
      null,
      2,
    )}\n`,
  );
  log(`  installing ponder ${PONDER_VERSION} into ${PONDER_DIR} (first use)…`);
  await promisify(execFile)("npm", ["install", "--no-audit", "--no-fund"], {
    cwd: PONDER_DIR,
    timeout: 600_000,
  });
}

async function writeProject(): Promise<void> {
  await writeFile(join(PONDER_DIR, "abi.json"), JSON.stringify(inboxAbi));
  await writeFile(
    join(PONDER_DIR, "ponder.config.ts"),
    `import { createConfig } from "ponder";
import { http } from "viem";
import abi from "./abi.json" with { type: "json" };

const endBlock = Number(process.env.BENCH_END_BLOCK);
export default createConfig({
  database: { kind: "pglite", directory: process.env.BENCH_PGLITE_DIR },
  networks: {
    anvil: {
      chainId: 31337,
      transport: http(process.env.BENCH_RPC_URL, { batch: { batchSize: 100 } }),
      maxRequestsPerSecond: 100000,
      disableCache: true,
    },
  },
  contracts: {
    Inbox: { abi, network: "anvil", address: process.env.BENCH_INBOX_ADDRESS, startBlock: 1, endBlock },
  },
  blocks: {
    EveryBlock: { network: "anvil", startBlock: 1, endBlock, interval: 1 },
  },
});
`,
  );
  await writeFile(
    join(PONDER_DIR, "ponder.schema.ts"),
    `import { onchainTable } from "ponder";

export const blocks = onchainTable("blocks", (t) => ({
  number: t.bigint().primaryKey(),
  hash: t.hex().notNull(),
  timestamp: t.bigint().notNull(),
}));

export const inboxEvents = onchainTable("inbox_events", (t) => ({
  id: t.text().primaryKey(),
  batchId: t.bigint().notNull(),
  blockNumber: t.bigint().notNull(),
}));
`,
  );
  await mkdir(join(PONDER_DIR, "src", "api"), { recursive: true });
  await writeFile(join(PONDER_DIR, "src", "api", "index.ts"), API);
  await writeFile(
    join(PONDER_DIR, "src", "index.ts"),
    `import { ponder } from "ponder:registry";
import { blocks, inboxEvents } from "ponder:schema";

ponder.on("EveryBlock:block", async ({ event, context }) => {
  await context.db.insert(blocks).values({ number: event.block.number, hash: event.block.hash, timestamp: event.block.timestamp });
});

ponder.on("Inbox:BatchesVerified", async ({ event, context }) => {
  await context.db.insert(inboxEvents).values({ id: event.id, batchId: event.args.batchId, blockNumber: event.block.number });
});
`,
  );
}

const API = `import { db } from "ponder:api";
import schema from "ponder:schema";
import { Hono } from "hono";
import { graphql } from "ponder";

const app = new Hono();
app.use("/graphql", graphql({ db, schema }));
export default app;
`;

async function runOnce(p: RunPonderParameters): Promise<IngestSample | { reason: string }> {
  const pglite = join(PONDER_DIR, ".data");
  await rm(pglite, { recursive: true, force: true });
  await rm(join(PONDER_DIR, ".ponder"), { recursive: true, force: true });
  const port = await freePort();
  p.proxy.reset();
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      join(PONDER_DIR, "node_modules", "ponder", "dist", "esm", "bin", "ponder.js"),
      "start",
      "--port",
      String(port),
      "--schema",
      "bench",
      "--log-level",
      "warn",
    ],
    {
      cwd: PONDER_DIR,
      env: {
        ...process.env,
        BENCH_RPC_URL: p.rpcUrl,
        BENCH_INBOX_ADDRESS: p.chain.inboxAddress,
        BENCH_END_BLOCK: String(p.chain.head),
        BENCH_PGLITE_DIR: pglite,
        PONDER_TELEMETRY_DISABLED: "true",
        NODE_ENV: "production",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const unregister = registerChild(child);
  let output = "";
  const keep = (d: Buffer) => {
    output = (output + String(d)).slice(-6000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  try {
    const ready = await waitReady(child, port);
    if (!ready) {
      return {
        reason: `ponder exited (${child.exitCode ?? child.signalCode}) before /ready: ${lastLines(output)}`,
      };
    }
    // /ready means the historical sync is done; the blocks inside Ponder's finality window are then
    // indexed by its realtime sync. Done is when rows stop short of the head by at most one block:
    // measured here, Ponder leaves the block at endBlock itself unindexed (9,999 of 10,000 after 2 min).
    let produced = await countRows(port);
    const deadline = Date.now() + 30_000;
    while (produced.headers < p.chain.head - 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      produced = await countRows(port);
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpuSeconds = processTreeCpuSeconds(child.pid);
    const counts = p.proxy.counts();
    return {
      blocks: p.chain.head,
      seconds,
      cpuSeconds,
      httpRequests: counts.httpRequests,
      rpcCalls: counts.rpcCalls,
      httpResponses: counts.httpResponses,
      produced,
      byMethod: counts.byMethod,
    };
  } catch (error) {
    return { reason: `${short(error)}: ${lastLines(output)}` };
  } finally {
    unregister();
    await killAndWait(child);
  }
}

async function waitReady(child: ChildProcess, port: number): Promise<boolean> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/ready`);
      if (res.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`ponder was not ready within ${READY_TIMEOUT_MS / 1000} s`);
}

/** Rows Ponder stored, read through its SQL-over-HTTP endpoint when it offers one; else counted as unknown (-1). */
async function countRows(port: number): Promise<{ headers: number; inboxEvents: number }> {
  const count = async (table: string): Promise<number> => {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: `{ ${table}(limit: 1) { totalCount } }` }),
      });
      const json = (await res.json()) as { data?: Record<string, { totalCount?: number }> };
      return json.data?.[table]?.totalCount ?? -1;
    } catch {
      return -1;
    }
  };
  return { headers: await count("blockss"), inboxEvents: await count("inboxEventss") };
}

/** utime + stime of the process and its waited-for children, from /proc (Linux). */
function processTreeCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields after the command: state is index 0, so utime/stime/cutime/cstime are 11..14.
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
    return ticks / 100;
  } catch {
    return Number.NaN;
  }
}

const short = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 500);
const lastLines = (text: string) =>
  text
    .trim()
    .split("\n")
    .slice(-6)
    .join(" | ")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strip terminal colour codes from Ponder's log
    .replace(/\u001b\[[0-9;]*m/g, "")
    .slice(0, 800);
