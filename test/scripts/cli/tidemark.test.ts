import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTidemark } from "../../../scripts/cli/tidemark.js";
import { captureIo } from "./helpers.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tidemark-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** An env with no local stack: the default env file points into the empty temp dir. */
const noStack = () => ({ TIDEMARK_ENV_FILE: join(dir, "absent.env") });

describe("tidemark", () => {
  it("answers a typo in the command with one line, a suggestion and exit 2", async () => {
    // Prepare
    const io = captureIo(noStack());
    // Act
    const code = await runTidemark(["helth"], io);
    // Assess
    expect(code).toBe(2);
    expect(io.err()).toBe("error: unknown command 'helth' (did you mean health?) (see tidemark --help)\n");
  });

  it.each([
    [["backfill", "--chain", "l3", "--from", "1", "--to", "2"], '--chain: "l3" is not one of l1, l2'],
    [["backfill", "--chain", "l1", "--from", "9", "--to", "2"], "--to 2 is below --from 9"],
    [["verify", "--frm", "3"], "unknown option '--frm' (did you mean --from?)"],
    [["dlq", "purge"], 'unknown dlq action "purge"'],
    [["consumers", "stop"], 'unknown consumers action "stop"'],
    [["traffic", "shift", "--function", "processor"], "traffic shift needs --to-version"],
    [["health", "--local", "--stage", "prod"], "--local and --stage exclude each other"],
  ])("rejects %j with one line naming the mistake and where the usage is, exit 2", async (argv, message) => {
    // Prepare
    const io = captureIo(noStack());
    // Act
    const code = await runTidemark(argv, io);
    // Assess
    expect(code).toBe(2);
    expect(io.err()).toContain(message);
    expect(io.err()).toContain(`(see tidemark ${argv[0]} --help)`);
    expect(io.err().trimEnd().split("\n")).toHaveLength(1);
  });

  it("prints its version", async () => {
    // Prepare
    const io = captureIo(noStack());
    const { version } = JSON.parse(await readFile(new URL("../../../package.json", import.meta.url), "utf8"));
    // Act
    const code = await runTidemark(["--version"], io);
    // Assess
    expect(code).toBe(0);
    expect(io.out().trim()).toBe(version);
  });

  it("takes the target options before or after the subcommand", async () => {
    // Prepare
    const outputs = join(dir, "outputs-anywhere.json");
    await writeFile(outputs, JSON.stringify({ "Tidemark-prod-Stateful": { QueueUrl: "https://sqs" } }));
    const before = captureIo(noStack());
    const after = captureIo(noStack());
    // Act
    const a = await runTidemark(["--stage", "prod", "--stack-outputs", outputs, "dlq", "list"], before);
    const b = await runTidemark(["dlq", "list", "--stage", "prod", "--stack-outputs", outputs], after);
    // Assess
    expect([a, b]).toEqual([3, 3]);
    expect(before.err()).toContain("no outputs for Tidemark-prod-Service");
    expect(before.err()).toBe(after.err());
  });

  it.each(["local", "health", "verify", "backfill", "dlq", "consumers", "ingestor", "traffic"])(
    "prints %s --help on stdout with exit 0",
    async (command) => {
      // Prepare
      const io = captureIo(noStack());
      // Act
      const code = await runTidemark([command, "--help"], io);
      // Assess
      expect(code).toBe(0);
      expect(io.out()).toContain(`Usage: tidemark ${command}`);
    },
  );

  it("says how to start a local stack when there is none, exit 3", async () => {
    // Prepare
    const io = captureIo(noStack());
    // Act
    const code = await runTidemark(["health"], io);
    // Assess
    expect(code).toBe(3);
    expect(io.err()).toContain("npx tidemark local");
  });

  it("resolves a stage from cdk deploy's outputs file and says what is missing", async () => {
    // Prepare
    const outputs = join(dir, "outputs.json");
    await writeFile(outputs, JSON.stringify({ "Tidemark-prod-Stateful": { QueueUrl: "https://sqs" } }));
    const io = captureIo(noStack());
    // Act
    const code = await runTidemark(["dlq", "list", "--stage", "prod", "--stack-outputs", outputs], io);
    // Assess
    expect(code).toBe(3);
    expect(io.err()).toContain("no outputs for Tidemark-prod-Service");
  });

  it("says traffic needs --stage, whether or not a local stack runs", async () => {
    // Prepare
    const env = join(dir, "local.env");
    await writeFile(env, "QUEUE_URL=http://127.0.0.1:1/q\nDLQ_URL=http://127.0.0.1:1/d\nSTATE_TABLE=s\n");
    const withStack = captureIo({ TIDEMARK_ENV_FILE: env });
    const without = captureIo(noStack());
    // Act
    const codes = [
      await runTidemark(["traffic", "status"], withStack),
      await runTidemark(["traffic", "status"], without),
    ];
    // Assess
    expect(codes).toEqual([2, 2]);
    for (const io of [withStack, without]) expect(io.err()).toContain("traffic needs --stage <name>");
    expect(without.err()).not.toContain("tidemark local");
  });

  it("runs from the bin launcher: a usage error exits 2 without a stack trace", async () => {
    // Act
    const result = await promisify(execFile)(
      process.execPath,
      ["scripts/cli/tidemark.mjs", "backfill", "--chain"],
      {
        env: { ...process.env, ...noStack() },
      },
    ).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => error,
    );
    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "error: option '--chain <value>' argument missing (see tidemark backfill --help)\n",
    );
  });
});
