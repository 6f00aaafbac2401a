import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDynamoCursorStore } from "../../lambdas/ingestor/cursorStore.js";
import { ProcessorMetric } from "../../lambdas/shared/metricNames.js";
import { runTidemark } from "../../scripts/cli/tidemark.js";
import { type LocalStack, startLocalStack } from "../../scripts/pipeline/startLocalStack.js";
import { captureIo } from "../scripts/cli/helpers.js";

const RUNBOOK = new URL("../../docs/DEPLOYMENT.md", import.meta.url);

/** `npx tidemark ...` lines of the runbook's ```sh local blocks, in order. */
function localCommands(markdown: string): string[][] {
  const blocks = [...markdown.matchAll(/```sh local\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  return blocks
    .flatMap((b) => b.split("\n"))
    .map((l) => l.trim())
    .filter((l) => l.startsWith("npx tidemark "))
    .map((l) => l.split(/\s+/).slice(2));
}

/** Every other `npx tidemark ... --stage ...` the runbook shows, placeholders filled. */
function stageCommands(markdown: string): string[][] {
  const found = [...markdown.matchAll(/(?:^|`)(npx tidemark [^`\n]*--stage [^`\n]*)/gm)]
    .map((m) => m[1] as string)
    // The synopsis line, not a command.
    .filter((c) => !c.includes("<command>"));
  return found.map((c) =>
    c
      .replace(/<[^>]+>/g, "7")
      .trim()
      .split(/\s+/)
      .slice(2),
  );
}

/** The `npx tidemark ...` lines of the runbook's blocks run by a test: `sh local` here, `sh firehose-local` by replayFirehoseErrors.test.ts. */
function testedLines(markdown: string): Set<string> {
  const blocks = [...markdown.matchAll(/```sh (?:local|firehose-local)\n([\s\S]*?)```/g)].map(
    (m) => m[1] as string,
  );
  return new Set(
    blocks.flatMap((b) => b.split("\n").map((l) => l.trim())).filter((l) => l.startsWith("npx tidemark ")),
  );
}

/** The recovery table: per row, the failure and the `npx tidemark ...` command it names. */
function recoveryRows(markdown: string): { failure: string; command: string }[] {
  const section = markdown.split(/^## /m).find((s) => s.startsWith("Recovery: which command")) ?? "";
  return section
    .split("\n")
    .filter((l) => l.startsWith("| ") && !l.startsWith("| failure") && !l.startsWith("| ---"))
    .map((l) => {
      const cells = l.split(" | ");
      return {
        failure: (cells[0] ?? "").replace(/^\| /, ""),
        command: /`(npx tidemark [^`]+)`/.exec(cells[2] ?? "")?.[1] ?? "",
      };
    });
}

let dir: string;
let stack: LocalStack;
let markdown: string;
let cursors: ReturnType<typeof createDynamoCursorStore>;

beforeAll(async () => {
  markdown = await readFile(RUNBOOK, "utf8");
  dir = await mkdtemp(join(tmpdir(), "tidemark-runbook-"));
  // What `npx tidemark local` runs, in process (that command itself runs until Ctrl-C).
  stack = await startLocalStack({
    consumerSwitchFile: join(dir, "consumers.json"),
    envFile: join(dir, "local.env"),
  });
  cursors = createDynamoCursorStore({
    ddb: stack.parts.dynamodb?.client as never,
    tableName: stack.env.STATE_TABLE as string,
    leaseSeconds: 10,
    recentHashes: 2,
  });
  const store = cursors;
  // The runbook backfills L1 0..5 and L2 0..20: wait until the chains and the pipeline are past them.
  const deadline = Date.now() + 90_000;
  for (;;) {
    const [l1, l2] = await Promise.all([store.read("l1"), store.read("l2")]);
    if (
      (l1.next ?? 0) > 6 &&
      (l2.next ?? 0) > 21 &&
      stack.processorMetrics.total(ProcessorMetric.RecordsProcessed) > 0
    )
      break;
    if (Date.now() > deadline) throw new Error("the local stack did not get going");
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
});

afterAll(async () => {
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("docs/DEPLOYMENT.md", () => {
  it("documents every alarm of lib/monitoring/PipelineAlarms.ts", async () => {
    // Prepare
    const source = await readFile(new URL("../../lib/monitoring/PipelineAlarms.ts", import.meta.url), "utf8");
    const keys = [...source.matchAll(/alarm\("([a-z0-9-]+)"/g)].map((m) => m[1] as string);
    // Assess
    expect(keys.length).toBeGreaterThan(10);
    for (const key of keys) expect(markdown).toContain(`\`${key}\``);
  });

  it("gives the lagging provider, the deep reorg and a Firehose delivery failure each a recovery command a test runs", () => {
    // Prepare
    const rows = recoveryRows(markdown);
    const tested = testedLines(markdown);
    // Assess: each failure has a row, and each row's command is a line of a block a test runs
    for (const failure of [
      /lagging/,
      /deeper than/,
      /Firehose delivery failure, rows under/,
      /acknowledged but not in the sink/,
    ])
      expect(rows.map((r) => r.failure).some((f) => failure.test(f))).toBe(true);
    for (const row of rows)
      expect({ ...row, tested: tested.has(row.command) }).toMatchObject({ tested: true });
  });

  it("pauses the local ingestor schedule (the cursor stays) and resumes it (the cursor moves on)", async () => {
    // Prepare
    const run = (action: string) =>
      runTidemark(["ingestor", action], captureIo({ TIDEMARK_ENV_FILE: join(dir, "local.env") }));
    const until = async (what: string, check: () => Promise<boolean> | boolean) => {
      const deadline = Date.now() + 30_000;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    // Act: paused once the invocation in flight has finished.
    expect(await run("pause")).toBe(0);
    await until("the schedule is off", () => !stack.ingestorScheduleEnabled());
    const paused = (await cursors.read("l2")).next ?? 0;
    // Longer than a schedule period plus an invocation's budget: a running schedule would have moved it.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    const stillPaused = (await cursors.read("l2")).next ?? 0;
    expect(await run("resume")).toBe(0);
    await until("the cursor moves on", async () => ((await cursors.read("l2")).next ?? 0) > paused);
    // Assess
    expect(stillPaused).toBe(paused);
    expect(stack.ingestorScheduleEnabled()).toBe(true);
  });

  it("runs every local command of the runbook, in order, against the local stack", async () => {
    // Prepare
    const commands = localCommands(markdown);
    expect(commands.length).toBeGreaterThanOrEqual(8);
    await stack.stopProduction();
    await stack.poller.drain({ idleMs: 1_000, timeoutMs: 60_000 });
    // Act + Assess, one command at a time so a failure names it.
    for (const argv of commands) {
      const io = captureIo({ TIDEMARK_ENV_FILE: join(dir, "local.env") });
      const code = await runTidemark(argv, io);
      if (argv[0] === "backfill") await stack.poller.drain({ idleMs: 1_000, timeoutMs: 60_000 });
      const said = code === 0 ? "" : `${io.out()}${io.err()}`;
      expect({ command: `tidemark ${argv.join(" ")}`, code, said }).toEqual({
        command: `tidemark ${argv.join(" ")}`,
        code: 0,
        said: "",
      });
    }
  });

  it("spells every deployed-stage command so that it parses (it stops at the missing stack outputs, exit 3)", async () => {
    // Prepare
    const commands = stageCommands(markdown);
    expect(commands.length).toBeGreaterThanOrEqual(8);
    for (const argv of commands) {
      const io = captureIo({});
      // Act
      const code = await runTidemark(argv, { ...io, cwd: dir });
      // Assess
      expect({ command: argv.join(" "), code, err: io.err().split("\n")[0] }).toMatchObject({ code: 3 });
    }
  });
});
