import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STAGE_NAMES } from "../../../../lib/config/stageConfig.js";
import { TIDEMARK_DEFAULTS } from "../../../../lib/Tidemark.js";
import { COST_STAGES } from "../../../../scripts/cli/commands/costCommand.js";
import { runTidemark } from "../../../../scripts/cli/tidemark.js";
import { benchFiguresOf, MissingBenchFigureError } from "../../../../scripts/ops/cost/benchFigures.js";
import { monitoringInventory, STACK_SETTINGS } from "../../../../scripts/ops/cost/costInputs.js";
import { monthlyCost } from "../../../../scripts/ops/cost/monthlyCost.js";
import { captureIo } from "../../cli/helpers.js";

/** A bench results file with only what `tidemark cost` reads: 0.5 messages per event, 100 ms, 2 WRU + 1 RRU. */
function results() {
  const median = (v: number) => ({ median: v, min: v, max: v, runs: [v] });
  return {
    generatedAt: "2026-01-01T00:00:00.000Z",
    parts: {
      ingest: {
        cells: [
          {
            variant: "tidemark-realtime",
            samples: [{ produced: { queued: 60, messages: 30 } }, { produced: { queued: 40, messages: 20 } }],
          },
        ],
      },
      processor: {
        cells: [
          { variant: "tidemark", phase: "replay", concurrency: 1, batchLatencyP50Ms: median(5) },
          {
            variant: "tidemark",
            phase: "new",
            concurrency: 1,
            batchLatencyP50Ms: median(100),
            writeUnitsPerRecord: median(2),
            readUnitsPerRecord: median(1),
          },
        ],
      },
    },
  };
}

const CHAIN = {
  network: "mainnet",
  l1BlockSeconds: 12,
  l2BlockSeconds: 2,
  inboxEventsPerL1Block: 1,
  source: "test",
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tidemark-cost-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("monthlyCost", () => {
  it("multiplies the chain's rates by the bench's requests per event and the published prices", () => {
    // Prepare
    const bench = benchFiguresOf(results(), "results.json");
    // Act
    const cost = monthlyCost({
      stage: "prod",
      chain: CHAIN,
      bench,
      stack: STACK_SETTINGS,
      monitoring: { alarms: 10, dashboards: 1, customMetrics: 5 },
    });
    // Assess: 30 days = 216,000 L1 blocks + 1,296,000 L2 blocks + 216,000 inbox logs; 864,000 messages
    expect(cost.eventsPerMonth).toBe(1_728_000);
    const byItem = Object.fromEntries(cost.lines.map((l) => [`${l.service} ${l.item}`, l]));
    const expected: Record<string, [number, number]> = {
      "SQS FIFO send + receive + delete, 3 per message": [2_592_000, 1.296],
      "DynamoDB write units (processor, per record)": [1_728_000, 1.08],
      "DynamoDB read units (processor, per record)": [864_000, 0.108],
      "Lambda ingestor invocations (one per schedule period)": [43_200, 0.00864],
      "Lambda ingestor GB-seconds (it polls through its budget)": [1_944_000, 25.9201296],
      "Lambda processor invocations (one message each)": [864_000, 0.1728],
      "Lambda processor GB-seconds (bench median per invocation)": [86_400, 1.15200576],
      "CloudWatch custom metrics (one dimension set each, at least)": [5, 1.5],
      "CloudWatch alarms (synthesized template)": [10, 1],
      "CloudWatch dashboards (synthesized template)": [1, 3],
    };
    expect(Object.keys(byItem).sort()).toEqual(Object.keys(expected).sort());
    for (const [item, [quantity, usd]] of Object.entries(expected)) {
      expect({ item, quantity: byItem[item]?.quantity }).toEqual({ item, quantity });
      expect(byItem[item]?.usd, item).toBeCloseTo(usd, 8);
    }
    const sum = Object.values(expected).reduce((s, [, usd]) => s + usd, 0);
    expect(cost.totalUsd).toBeCloseTo(sum, 8);
    expect(cost.region).toBe("us-east-1");
    expect(cost.pricesReadOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it("names the bench figure it lacks instead of guessing", () => {
    // Prepare
    const noWrites = results();
    delete (noWrites.parts.processor.cells[1] as Record<string, unknown>).writeUnitsPerRecord;
    const noRealtime = results();
    noRealtime.parts.ingest.cells = [];
    // Act + Assess
    expect(() => benchFiguresOf(noWrites, "r.json")).toThrow(MissingBenchFigureError);
    expect(() => benchFiguresOf(noWrites, "r.json")).toThrow(
      /r\.json has no parts\.processor\.cells\[variant="tidemark", phase="new", concurrency=1\]\.writeUnitsPerRecord\.median/,
    );
    expect(() => benchFiguresOf(noRealtime, "r.json")).toThrow(/variant="tidemark-realtime"/);
  });

  it("uses the stack's own settings (lib/Tidemark.ts, the ingestor's time reserve) and stages", async () => {
    // Prepare
    const stack = await readFile(new URL("../../../../lib/Tidemark.ts", import.meta.url), "utf8");
    const config = await readFile(new URL("../../../../lambdas/ingestor/config.ts", import.meta.url), "utf8");
    const fn = await readFile(
      new URL("../../../../lib/compute/PipelineFunction.ts", import.meta.url),
      "utf8",
    );
    const memoryOf = (id: string) =>
      Number(new RegExp(`new PipelineFunction\\(this, "${id}"[\\s\\S]*?memorySize: (\\d+)`).exec(stack)?.[1]);
    const reserveMs = Number(/TimeReserveMs, \{ default: (\d+)/.exec(config)?.[1]);
    // Assess
    expect(STACK_SETTINGS.scheduleSeconds).toBe(TIDEMARK_DEFAULTS.scheduleRate.toSeconds());
    expect(STACK_SETTINGS.ingestorBusySeconds).toBe(
      TIDEMARK_DEFAULTS.ingestorTimeout.toSeconds() - reserveMs / 1000,
    );
    expect(STACK_SETTINGS.ingestorMemoryMb).toBe(memoryOf("Ingestor"));
    expect(STACK_SETTINGS.processorMemoryMb).toBe(memoryOf("Processor"));
    expect(fn).toContain("lambda.Architecture.ARM_64");
    expect(STACK_SETTINGS.architecture).toBe("arm64");
    expect(COST_STAGES).toEqual(STAGE_NAMES);
  });

  it("counts alarms and dashboards in the stage's synthesized templates only", async () => {
    // Prepare
    const out = join(dir, "cdk.out");
    await rm(out, { recursive: true, force: true });
    await mkdir(out);
    const template = (types: string[]) =>
      JSON.stringify({ Resources: Object.fromEntries(types.map((Type, i) => [`R${i}`, { Type }])) });
    await writeFile(
      join(out, "Tidemark-prod-Service.template.json"),
      template([
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::Dashboard",
        "AWS::SQS::Queue",
      ]),
    );
    await writeFile(join(out, "Tidemark-prod-Stateful.template.json"), template(["AWS::CloudWatch::Alarm"]));
    await writeFile(join(out, "Tidemark-dev-Service.template.json"), template(["AWS::CloudWatch::Alarm"]));
    // Act
    const prod = await monitoringInventory(out, "prod");
    const missing = await monitoringInventory(join(dir, "nowhere"), "prod");
    // Assess
    expect(prod).toMatchObject({ alarms: 3, dashboards: 1 });
    expect(prod.customMetrics).toBeGreaterThan(10);
    expect(missing.alarms).toBeUndefined();
  });
});

describe("tidemark cost", () => {
  it("lists each line item and the total per stage, with the region and the prices' date", async () => {
    // Prepare
    const file = join(dir, "results.json");
    await writeFile(file, JSON.stringify(results()));
    const io = captureIo({}, dir);
    // Act
    const code = await runTidemark(
      ["cost", "--network", "hoodi", "--stage", "staging", "--results", file],
      io,
    );
    // Assess
    expect({ code, err: io.err() }).toEqual({ code: 0, err: "" });
    expect(io.out()).toMatch(/us-east-1 prices as of \d{4}-\d{2}-\d{2}/);
    expect(io.out()).toContain("stage staging on hoodi");
    expect(io.out()).toMatch(/^total\s+\$\d+\.\d\d$/m);
    expect(io.out()).toContain("https://aws.amazon.com/sqs/pricing/");
  });

  it("fails naming the missing bench figure", async () => {
    // Prepare
    const broken = results();
    broken.parts.processor.cells = [];
    const file = join(dir, "broken.json");
    await writeFile(file, JSON.stringify(broken));
    const io = captureIo({}, dir);
    // Act
    const code = await runTidemark(["cost", "--network", "mainnet", "--results", file], io);
    // Assess
    expect(code).toBe(1);
    expect(io.err()).toContain(
      'has no parts.processor.cells[variant="tidemark", phase="new", concurrency=1]',
    );
  });

  it("rejects a network it has no rates for with a one-line usage error", async () => {
    // Prepare
    const io = captureIo({}, dir);
    // Act
    const code = await runTidemark(["cost", "--network", "sepolia"], io);
    // Assess
    expect(code).toBe(2);
    expect(io.err().trim().split("\n")).toEqual([
      'error: --network: "sepolia" is not one of mainnet, hoodi (see tidemark cost --help)',
    ]);
  });
});
