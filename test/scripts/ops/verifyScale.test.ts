import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChainClient, getHeaders } from "../../../lambdas/ingestor/chainReader.js";
import { type Chain, type PipelineEvent, SCHEMA_VERSION } from "../../../lambdas/shared/events.js";
import { eventKey, observationId } from "../../../lambdas/shared/keys.js";
import { createDuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { type AnvilNode, startAnvil } from "../../../scripts/local/anvil.js";
import { writeEmptyChainState } from "../../../scripts/local/emptyChainState.js";

// `npm test` checks 2,000 blocks; `npm run verify:scale` the 100,000, writing docs/evidence/verify-100k.json.
const BLOCKS = Number(process.env.VERIFY_SCALE_BLOCKS ?? 2_000);
const WINDOW = Number(process.env.VERIFY_SCALE_WINDOW ?? 500);
const ARTIFACT = process.env.VERIFY_SCALE_ARTIFACT;
const L2_BLOCKS = 120;
/** The one block the sink is left without: verify must find it, and name the backfill that repairs it. */
const HOLE = Math.floor(BLOCKS * 0.61);
/** What the whole run may hold above a two-window run: flat memory means this does not grow with BLOCKS. */
const BOUNDED_GROWTH_MIB = 64;
/** The verify process's V8 old space (MiB): what it may hold, whatever the chain's length. */
const VERIFY_HEAP_MIB = 384;
const INBOX = "0x0000000000000000000000000000000000000001";
const ROOT = new URL("../../../", import.meta.url).pathname;
const SLOW_MS = 600_000 + BLOCKS * 40;
const git = (...args: string[]) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
/** The code under test, read when the run starts (the tree may change while a long run goes on). */
const REVISION = { commit: git("rev-parse", "HEAD"), dirty: git("status", "--porcelain").length > 0 };

interface VerifyRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The verify process's own peak resident set (VmHWM), in MiB. */
  readonly peakRssMiB: number;
  /** Resident set sampled every 50 ms while it ran, in MiB. */
  readonly samples: number;
  readonly seconds: number;
}

/** `tidemark verify …` as its own process (what an operator runs), its peak RSS read from /proc. */
async function runVerify(args: readonly string[], env: Record<string, string>): Promise<VerifyRun> {
  const started = Date.now();
  // A fixed old-space size: V8's default limit (sized from the machine's memory) lets garbage pile up before a
  // major collection, so peak RSS measured GC slack (210 MiB over 100,000 blocks), not what verify keeps.
  // Under the cap a run that kept memory per block would grow to it and fail; one that does not, stays flat.
  const child = spawn(
    process.execPath,
    [
      `--max-old-space-size=${VERIFY_HEAP_MIB}`,
      "--import",
      "tsx",
      "scripts/cli/tidemark.ts",
      "verify",
      ...args,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const out: string[] = [];
  const err: string[] = [];
  child.stdout.on("data", (c) => out.push(String(c)));
  child.stderr.on("data", (c) => err.push(String(c)));
  const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? -1)));
  let peakKiB = 0;
  let samples = 0;
  const status = `/proc/${child.pid}/status`;
  for (let done = false; !done; ) {
    done = await Promise.race([exited.then(() => true), sleep(50).then(() => false)]);
    if (done || !existsSync(status)) continue;
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(status, "utf8"))?.[1];
      if (hwm) {
        peakKiB = Math.max(peakKiB, Number(hwm));
        samples++;
      }
    } catch {
      // The process ended between the check and the read.
    }
  }
  return {
    code: await exited,
    stdout: out.join(""),
    stderr: err.join(""),
    peakRssMiB: peakKiB / 1024,
    samples,
    seconds: (Date.now() - started) / 1000,
  };
}

describe(`tidemark verify --from 0 over a ${BLOCKS}-block local chain`, () => {
  let l1: AnvilNode;
  let l2: AnvilNode;
  let dir: string;
  let duckdb: string;
  let ingestSeconds = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tidemark-verify-scale-"));
    duckdb = join(dir, "sink.duckdb");
    // L1 from a pre-built state (anvil_mine slows with the chain's length); L2 mined, it is short.
    const state = join(dir, "l1-state.json");
    await writeEmptyChainState({ file: state, blocks: BLOCKS });
    [l1, l2] = await Promise.all([
      startAnvil({ loadState: state, readyTimeoutMs: SLOW_MS }),
      startAnvil({ chainId: 167_001 }),
    ]);
    await fetch(l2.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "anvil_mine",
        params: [`0x${L2_BLOCKS.toString(16)}`],
      }),
    });
    // The sink as the processor leaves it: every header once (the ingestor's own reads), but one.
    const started = Date.now();
    const sink = await createDuckDbSink({ path: duckdb });
    const fill = async (chain: Chain, url: string, last: number) => {
      const client = createChainClient({ urls: [url] });
      for (let from = 0; from <= last; from += 2_000) {
        const headers = await getHeaders(client, { fromBlock: from, toBlock: Math.min(last, from + 1_999) });
        const records = headers
          .filter((h) => !(chain === "l1" && h.number === HOLE))
          .map(({ logsBloom: _bloom, ...fields }) => {
            const event = {
              v: SCHEMA_VERSION,
              type: chain === "l1" ? "l1_header" : "l2_header",
              ...fields,
            } as PipelineEvent;
            return { event, key: eventKey(event), observationId: observationId(event) };
          });
        await sink.write(records);
      }
    };
    try {
      await fill("l1", l1.url, BLOCKS);
      await fill("l2", l2.url, L2_BLOCKS);
    } finally {
      await sink.close();
    }
    ingestSeconds = (Date.now() - started) / 1000;
  }, 3 * SLOW_MS);

  afterAll(async () => {
    await Promise.all([l1?.stop(), l2?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    "reads the chain in windows with a progress bar, in memory that does not grow with the chain, and names the one missing block and its repair",
    async () => {
      // Prepare
      const env = {
        L1_RPC_URLS: l1.url,
        L2_RPC_URLS: l2.url,
        INBOX_ADDRESS: INBOX,
        // A local target is named by these; verify reads none of them.
        QUEUE_URL: "http://127.0.0.1:1/q.fifo",
        DLQ_URL: "http://127.0.0.1:1/dlq.fifo",
        STATE_TABLE: "unused",
        TIDEMARK_ENV_FILE: join(dir, "none.env"),
      };
      const common = ["--duckdb", duckdb, "--window", String(WINDOW)];
      // Act: two windows (the baseline, with the bar drawn), then the whole chain.
      const short = await runVerify(["--from", "0", "--to", String(2 * WINDOW - 1), ...common], env);
      const whole = await runVerify(["--from", "0", ...common, "--json"], env);
      // Assess (the evidence is written first: a failed run is evidence too)
      const report = JSON.parse(whole.stdout || "{}") as {
        ranges: { l1: { from: number; to: number } };
        findings: { kind: string; table: string; count: number; examples: string[]; action: string }[];
      };
      if (ARTIFACT) await writeArtifact(ARTIFACT, { short, whole, report, ingestSeconds, common });
      expect(short.stderr).toMatch(/verify \[[#-]+\] 100% \d+\/\d+ blocks/);
      expect(short.code, short.stderr.slice(-2_000)).toBe(0);
      expect(whole.code, whole.stderr.slice(-2_000)).toBe(1);
      expect(report.ranges.l1).toEqual({ from: 0, to: BLOCKS });
      expect(report.findings.filter((f) => f.kind === "missing")).toEqual([
        expect.objectContaining({
          table: "l1_head_events",
          count: 1,
          action: `tidemark backfill --chain l1 --from ${HOLE} --to ${HOLE}`,
        }),
      ]);
      expect(report.findings.find((f) => f.kind === "gap")).toMatchObject({ count: 1 });
      expect(short.samples).toBeGreaterThan(0);
      expect(whole.samples).toBeGreaterThan(0);
      expect(whole.peakRssMiB - short.peakRssMiB).toBeLessThan(BOUNDED_GROWTH_MIB);
    },
    2 * SLOW_MS,
  );
});

async function writeArtifact(
  file: string,
  r: {
    short: VerifyRun;
    whole: VerifyRun;
    report: { findings?: { kind: string; table: string; count: number; action: string }[] };
    ingestSeconds: number;
    common: string[];
  },
): Promise<void> {
  const mib = (n: number) => Math.round(n);
  const evidence = {
    what: "tidemark verify --from 0 over a local anvil chain (L1 loaded from a pre-built empty-block state), DuckDB sink filled with every header as the ingestor reads them, L1 block HOLE left out",
    command: `tidemark verify --from 0 --duckdb <sink.duckdb> --window ${WINDOW} --json`,
    test: "test/scripts/ops/verifyScale.test.ts (npm run verify:scale)",
    ...REVISION,
    at: new Date().toISOString(),
    chain: { l1Blocks: BLOCKS + 1, l2Blocks: L2_BLOCKS + 1, hole: HOLE },
    windows: Math.ceil((BLOCKS + 1) / WINDOW),
    windowBlocks: WINDOW,
    ingestSeconds: Math.round(r.ingestSeconds),
    verify: {
      exit: r.whole.code,
      seconds: Math.round(r.whole.seconds),
      peakRssMiB: mib(r.whole.peakRssMiB),
      stderrTail: r.whole.code === 1 ? undefined : r.whole.stderr.slice(-1_000),
      findings: (r.report.findings ?? []).map((f) => `${f.kind} ${f.table} ${f.count} → ${f.action}`),
    },
    baseline: {
      command: `tidemark verify --from 0 --to ${2 * WINDOW - 1} (two windows)`,
      seconds: Math.round(r.short.seconds),
      exit: r.short.code,
      peakRssMiB: mib(r.short.peakRssMiB),
      // The last lines it printed when it did not pass (its findings, or the error that stopped it).
      stderrTail: r.short.code === 0 ? undefined : r.short.stderr.slice(-1_000),
    },
    peakRssGrowthMiB: mib(r.whole.peakRssMiB - r.short.peakRssMiB),
    verifyHeapMiB: VERIFY_HEAP_MIB,
    loadAverageAtEnd: loadavg().map((x) => Math.round(x * 10) / 10),
    cores: Number(execFileSync("nproc", { encoding: "utf8" }).trim()),
  };
  await writeFile(file, `${JSON.stringify(evidence, null, 2)}\n`);
}
