import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CodeDeployClient } from "@aws-sdk/client-codedeploy";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { FirehoseClient } from "@aws-sdk/client-firehose";
import { GetFunctionConfigurationCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { stageConfigFromContext } from "../../lib/config/stageConfig.js";
import { runTidemark } from "../../scripts/cli/tidemark.js";
import { type Json, type SynthesizedStage, synthStage } from "../lib/synthStage.js";
import { captureIo } from "../scripts/cli/helpers.js";

const read = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), "utf8");

/** One shell command the docs tell a person to run, and where it was found. */
interface DocCommand {
  readonly text: string;
  readonly where: string;
  /** Inside a ```sh local (or firehose-local) block: deploymentRunbook.test.ts runs it. */
  readonly runByRunbookTest: boolean;
}

const COMMAND = /^(npx|npm|aws)\s/;
const INBOX = "0x0000000000000000000000000000000000000001";

/** Every command in fenced blocks (continuation lines joined) and in inline code spans. */
function commandsIn(markdown: string, where: string): DocCommand[] {
  const out: DocCommand[] = [];
  const fenced = /```([^\n]*)\n([\s\S]*?)```/g;
  for (const m of markdown.matchAll(fenced)) {
    const info = (m[1] ?? "").trim();
    const lines = (m[2] ?? "").replace(/\\\n\s*/g, " ").split("\n");
    for (const line of lines.map((l) => l.replace(/\s+#.*$/, "").trim())) {
      // The synopsis (`npx tidemark [--stage <name> | --local] ... <command>`) is not a command.
      if (COMMAND.test(line) && !line.includes("<command>"))
        out.push({
          text: line,
          where,
          runByRunbookTest: info === "sh local" || info === "sh firehose-local",
        });
    }
  }
  const prose = markdown.replace(fenced, "");
  for (const m of prose.matchAll(/`([^`\n]+)`/g)) {
    const text = (m[1] ?? "").trim();
    if (COMMAND.test(text)) out.push({ text, where, runByRunbookTest: false });
  }
  return out;
}

/** The tidemark argv of a command, without a pipe after it or `--json` (jsonOutput.test.ts covers that). */
const argvOf = (c: string) =>
  c
    .replace(/\|.*$/, "")
    .trim()
    .split(/\s+/)
    .slice(2)
    .filter((a) => a !== "--json");

/** The stack outputs `cdk deploy --outputs-file` would write: literal names resolved, tokens as placeholders. */
function outputsOf(stage: SynthesizedStage, region: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [name, template] of [
    ["Tidemark-prod-Stateful", stage.stateful],
    ["Tidemark-prod-Service", stage.service],
  ] as const) {
    const json = template.toJSON() as Json;
    out[name] = Object.fromEntries(
      Object.entries(json.Outputs ?? {}).map(([key, o]) => [
        key,
        outputValue(json, key, (o as Json).Value, region),
      ]),
    );
  }
  return out;
}

function outputValue(json: Json, key: string, value: Json, region: string): string {
  if (typeof value === "string") return value;
  const ref = value?.Ref as string | undefined;
  const props = ref ? json.Resources?.[ref]?.Properties : undefined;
  const named = [props?.Name, props?.FunctionName, props?.QueueName, props?.TableName].find(
    (v) => typeof v === "string",
  );
  if (named) return named;
  if (key.endsWith("Arn")) return `arn:aws:${key.toLowerCase()}:${region}:123456789012:${key}`;
  if (key.endsWith("Url")) return `https://${key.toLowerCase()}.${region}.amazonaws.com/123456789012/${key}`;
  return `${key}-value`;
}

/** Template resources of a type, with their properties. */
const resourcesOf = (stage: SynthesizedStage, type: string): Json[] =>
  [stage.stateful, stage.service].flatMap((t) =>
    Object.values((t.toJSON() as Json).Resources ?? {}).filter((r) => (r as Json).Type === type),
  ) as Json[];

describe("every command in docs/DEPLOYMENT.md and the README's deployment section", () => {
  let commands: DocCommand[];
  let prod: SynthesizedStage;
  let dir: string;
  let outputsFile: string;
  let outputs: Record<string, Record<string, string>>;
  let scripts: Record<string, string>;

  beforeAll(async () => {
    const readme = await read("README.md");
    const deploySection = readme.slice(
      readme.indexOf("## Deploying to AWS"),
      readme.indexOf("\n## ", readme.indexOf("## Deploying to AWS") + 5),
    );
    commands = [
      ...commandsIn(await read("docs/DEPLOYMENT.md"), "docs/DEPLOYMENT.md"),
      ...commandsIn(deploySection, "README.md (Deploying to AWS)"),
    ];
    scripts = JSON.parse(await read("package.json")).scripts;
    prod = synthStage("prod");
    dir = await mkdtemp(join(tmpdir(), "tidemark-doc-commands-"));
    outputsFile = join(dir, "cdk-outputs.json");
    outputs = outputsOf(prod, "eu-west-1");
    // The promotion procedure's `--stage staging` commands: the same constructs, so the same output keys.
    const staging = Object.fromEntries(
      Object.entries(outputs).map(([stack, o]) => [stack.replace("-prod-", "-staging-"), o]),
    );
    await writeFile(outputsFile, JSON.stringify({ ...outputs, ...staging }));
  }, 300_000);
  afterAll(async () => {
    vi.unstubAllEnvs();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("has a check for every command it shows: a new kind of command without one fails here", () => {
    // Assess: each command is of a kind a test below (or deploymentRunbook.test.ts) covers
    const unchecked = commands.filter((c) => kindOf(c) === undefined);
    expect(unchecked.map((c) => `${c.where}: ${c.text}`)).toEqual([]);
    expect(commands.length).toBeGreaterThan(25);
  });

  it("local commands: each is one deploymentRunbook.test.ts runs (the same argv in a ```sh local block)", () => {
    // Prepare
    const run = new Set(commands.filter((c) => c.runByRunbookTest).map((c) => argvOf(c.text).join(" ")));
    // Assess
    const notRun = commands
      .filter((c) => kindOf(c) === "tidemark-local" && !c.runByRunbookTest)
      .filter((c) => !run.has(argvOf(c.text).join(" ")))
      .map((c) => c.text);
    expect(notRun).toEqual([]);
  });

  it("npm commands name scripts package.json has", () => {
    for (const c of commands.filter((x) => kindOf(x) === "npm")) {
      const script = /^npm (?:run (?:--silent )?)?([\w:-]+)/.exec(c.text)?.[1];
      expect(scripts, c.text).toHaveProperty([script ?? ""]);
    }
  });

  it("cdk commands pass only context keys the app reads, and write the outputs file the CLI reads by default", async () => {
    // Prepare: the keys bin/tidemark.ts passes to stageConfigFromContext
    const app = await read("bin/tidemark.ts");
    const keys = new Set([...app.matchAll(/tryGetContext\("(\w+)"\)/g)].map((m) => m[1]));
    for (const c of commands.filter((x) => kindOf(x) === "cdk")) {
      // Assess
      for (const m of c.text.matchAll(/-c (\w+)=/g)) expect(keys, `${c.text}: -c ${m[1]}`).toContain(m[1]);
      const file = /--outputs-file (\S+)/.exec(c.text)?.[1];
      if (file !== undefined) expect(file, c.text).toBe("cdk-outputs.json");
    }
  });

  it("promotes staging to prod in order: synth both, diff prod, deploy and check staging, then deploy prod", async () => {
    // Prepare
    const runbook = await read("docs/DEPLOYMENT.md");
    const section = runbook
      .split(/^## /m)
      .find((s) => s.startsWith("Promoting a change from staging to prod"));
    const steps = commandsIn(section ?? "", "promotion").map((c) => c.text);
    const at = (pattern: RegExp) => steps.findIndex((t) => pattern.test(t));
    // Assess: each step is there, and none runs before the one it depends on
    const order = [
      /^npm run synth -- -c stage=staging$/,
      /^npm run synth -- -c stage=prod$/,
      /^npx cdk diff --all -c stage=prod$/,
      /^npx cdk deploy --all -c stage=staging --outputs-file cdk-outputs\.json$/,
      /^npx tidemark health --stage staging$/,
      /^npx tidemark verify --stage staging$/,
      /^npx cdk deploy --all -c stage=prod --outputs-file cdk-outputs\.json$/,
      /^npx tidemark traffic status --stage prod$/,
    ].map(at);
    expect(
      order.every((i) => i >= 0),
      steps.join("\n"),
    ).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it("aws secretsmanager create-secret names the secret the prod ingestor reads", () => {
    // Prepare
    const expected = stageConfigFromContext({ stage: "prod" }).rpcUrlsSecretName;
    const ingestorEnv = JSON.stringify(resourcesOf(prod, "AWS::Lambda::Function").map((f) => f.Properties));
    for (const c of commands.filter((x) => x.text.startsWith("aws secretsmanager create-secret"))) {
      // Assess
      expect(/--name (\S+)/.exec(c.text)?.[1], c.text).toBe(expected);
      expect(ingestorEnv).toContain(expected);
    }
  });

  it("aws dynamodb commands name a table the Stateful stack outputs, and that table keeps point-in-time backups", () => {
    // Prepare
    const stateful = prod.stateful.toJSON() as Json;
    const dynamo = commands.filter((x) => x.text.startsWith("aws dynamodb "));
    expect(dynamo.map((c) => c.text.split(" ")[2])).toEqual(
      expect.arrayContaining(["describe-continuous-backups", "restore-table-to-point-in-time"]),
    );
    for (const c of dynamo) {
      const names = [...c.text.matchAll(/--(?:source-table-name|table-name) <(\w+)>/g)].map(
        (m) => m[1] as string,
      );
      // Assess: each is an output of the stack, a Ref to a table with PITR on
      expect(names.length, c.text).toBeGreaterThan(0);
      for (const name of names) {
        const ref = stateful.Outputs?.[name]?.Value?.Ref as string | undefined;
        const table = ref === undefined ? undefined : stateful.Resources?.[ref];
        expect(table?.Type, `${c.text}: ${name}`).toBe("AWS::DynamoDB::Table");
        expect(table?.Properties?.PointInTimeRecoverySpecification, c.text).toEqual({
          PointInTimeRecoveryEnabled: true,
        });
      }
    }
  });

  it("aws lambda commands name a function the stage's outputs give", () => {
    for (const c of commands.filter((x) => x.text.startsWith("aws lambda "))) {
      expect(outputs["Tidemark-prod-Service"], c.text).toHaveProperty(["ProcessorFunctionName"]);
      expect(outputs["Tidemark-prod-Service"], c.text).toHaveProperty(["IngestorFunctionName"]);
    }
  });

  it("--stage commands find every stack output they read in the synthesized prod stacks", async () => {
    // Prepare: AWS answers nothing useful; what is checked is that no command misses a name
    const mocks = [
      SQSClient,
      LambdaClient,
      CodeDeployClient,
      CloudWatchClient,
      DynamoDBClient,
      SecretsManagerClient,
      FirehoseClient,
      S3Client,
      AthenaClient,
    ].map((c) => mockClient(c as never));
    vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "example");
    vi.stubEnv("AWS_ENDPOINT_URL_SCHEDULER", "http://127.0.0.1:1");
    const stage = commands.filter((c) => kindOf(c) === "tidemark-stage");
    expect(stage.length).toBeGreaterThanOrEqual(8);
    try {
      for (const c of stage) {
        const argv = [...argvOf(c.text.replace(/<[^>]+>/g, "7")), "--stack-outputs", outputsFile];
        const io = captureIo({ L1_RPC_URLS: "http://127.0.0.1:1", L2_RPC_URLS: "http://127.0.0.1:1" });
        // Act
        const code = await runTidemark(argv, { ...io, cwd: dir });
        // Assess
        expect(code, `${c.text}: ${io.err()}`).not.toBe(2);
        expect(io.err(), c.text).not.toMatch(/have no \w+|no stack outputs|no AWS region/);
      }
    } finally {
      for (const m of mocks) m.restore();
    }
  }, 120_000);

  it("tidemark verify --stage reads the sink through Athena, in the workgroup and Glue database the template creates", async () => {
    // Prepare
    const athena = mockClient(AthenaClient);
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-1" });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: "SUCCEEDED" } } });
    athena
      .on(GetQueryResultsCommand)
      .resolves({ ResultSet: { Rows: [], ResultSetMetadata: { ColumnInfo: [] } } });
    const lambda = mockClient(LambdaClient);
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolves({ Environment: { Variables: { INBOX_ADDRESS: INBOX } } });
    const [workGroup] = resourcesOf(prod, "AWS::Athena::WorkGroup").map((w) => w.Properties.Name);
    const [database] = resourcesOf(prod, "AWS::Glue::Database").map((d) => d.Properties.DatabaseInput.Name);
    const io = captureIo({ L1_RPC_URLS: "http://127.0.0.1:1", L2_RPC_URLS: "http://127.0.0.1:1" });
    try {
      // Act: the chain is unreachable, so it stops after the sink summary
      await runTidemark(["verify", "--stage", "prod", "--stack-outputs", outputsFile], { ...io, cwd: dir });
      // Assess
      expect(io.err()).toContain("verifying stage prod");
      const started = athena.commandCalls(StartQueryExecutionCommand).map((call) => call.args[0].input);
      expect(started.length).toBeGreaterThan(10);
      expect(new Set(started.map((s) => s.WorkGroup))).toEqual(new Set([workGroup]));
      expect(new Set(started.map((s) => s.QueryExecutionContext?.Database))).toEqual(new Set([database]));
      expect(started.map((s) => s.QueryString).join("\n")).not.toContain("::");
    } finally {
      athena.restore();
      lambda.restore();
    }
  }, 120_000);
});

type Kind = "tidemark-self" | "tidemark-local" | "tidemark-stage" | "cdk" | "npm" | "aws";

/**
 * Which check covers a command. `npx tidemark local` runs until Ctrl-C: deploymentRunbook.test.ts starts
 * what it runs (startLocalStack). `aws scheduler update-schedule` is shown as the call that does not
 * work; `cdk bootstrap` is CDK's own. Anything else returns undefined, and the first test fails.
 */
function kindOf(c: DocCommand): Kind | undefined {
  const t = c.text;
  // Covered elsewhere: `local` by deploymentRunbook.test.ts (startLocalStack), `--version` by tidemark.test.ts.
  if (/^npx tidemark (local\b|--version$)/.test(t)) return "tidemark-self";
  if (/^npx tidemark .*--stage /.test(t)) return "tidemark-stage";
  if (/^npx tidemark /.test(t)) return "tidemark-local";
  if (/^npx cdk (deploy|bootstrap|synth|diff)\b/.test(t)) return "cdk";
  if (/^npm (run |test$)/.test(t)) return "npm";
  if (
    /^aws (secretsmanager create-secret|lambda list-versions-by-function|scheduler update-schedule|dynamodb (describe-continuous-backups|restore-table-to-point-in-time))\b/.test(
      t,
    )
  )
    return "aws";
  return undefined;
}
