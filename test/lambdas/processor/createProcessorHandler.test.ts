import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import {
  BatchExecuteStatementCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createProcessorHandler } from "../../../lambdas/processor/createProcessorHandler.js";
import { SinkUnavailableError } from "../../../lambdas/shared/errors.js";
import type { SmokeResult } from "../../../lambdas/shared/smokeTest.js";
import type { Sink } from "../../../lambdas/sink/Sink.js";
import type { SinkConfig } from "../../../lambdas/sink/sinkConfig.js";
import {
  DLQ_URL,
  failedIds,
  l1Header,
  lambdaContext,
  MemorySink,
  sqsRecord,
  statementResponder,
  testConfig,
} from "./helpers.js";

const ddb = new DynamoDBClient({ region: "us-east-1" });
const sqs = new SQSClient({ region: "us-east-1" });
const ddbMock = mockClient(ddb);
const sqsMock = mockClient(sqs);

afterEach(() => {
  ddbMock.reset();
  sqsMock.reset();
});

function setup(sinkFactory: (config: SinkConfig) => Promise<Sink>) {
  const metrics = new Metrics({ namespace: "Tidemark", serviceName: "processor" });
  const flushed = vi.spyOn(metrics, "publishStoredMetrics").mockImplementation(() => metrics);
  const handler = createProcessorHandler({
    config: testConfig(),
    ddb,
    sqs,
    sinkFactory,
    logger: new Logger({ serviceName: "processor", logLevel: "SILENT" }),
    metrics,
  });
  return { handler, flushed };
}

describe("createProcessorHandler", () => {
  it("answers a smoke event with a dry run of every dependency and writes nothing", async () => {
    // Prepare
    ddbMock.on(DescribeTableCommand).resolves({ Table: { TableStatus: "ACTIVE" } });
    sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { QueueArn: "arn:aws:sqs:dlq" } });
    const sink = new MemorySink();
    const { handler } = setup(async () => sink);

    // Act
    const result = (await handler({ smoke: true }, lambdaContext())) as SmokeResult;

    // Assess
    expect(result.ok).toBe(true);
    expect(result.checks.map((c) => [c.name, c.ok])).toEqual([
      ["config", true],
      ["idempotencyTable", true],
      ["stateTable", true],
      ["deadLetterQueue", true],
      ["sink", true],
    ]);
    expect(sqsMock.commandCalls(GetQueueAttributesCommand)[0]?.args[0].input.QueueUrl).toBe(DLQ_URL);
    expect(ddbMock.commandCalls(BatchExecuteStatementCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(sink.writes).toEqual([]);
  });

  it("reports each unreachable dependency in the smoke result", async () => {
    // Prepare
    ddbMock
      .on(DescribeTableCommand, { TableName: "tidemark-state" })
      .rejects(new ResourceNotFoundException({ message: "no such table", $metadata: {} }))
      .on(DescribeTableCommand, { TableName: "tidemark-idempotency" })
      .resolves({ Table: { TableStatus: "ACTIVE" } });
    sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { QueueArn: "arn:aws:sqs:dlq" } });
    const { handler } = setup(async () => {
      throw new SinkUnavailableError("cannot open DuckDB");
    });

    // Act
    const result = (await handler({ smoke: true }, lambdaContext())) as SmokeResult;

    // Assess
    expect(result.ok).toBe(false);
    const failed = result.checks.filter((c) => !c.ok);
    expect(failed.map((c) => c.name)).toEqual(["stateTable", "sink"]);
    expect(failed[0]?.detail).toMatch(/no such table/);
    expect(failed[1]?.detail).toMatch(/cannot open DuckDB/);
  });

  it("processes SQS batches through the middleware chain, building the sink once", async () => {
    // Prepare
    ddbMock.on(BatchExecuteStatementCommand).callsFake(statementResponder());
    const sink = new MemorySink();
    const factory = vi.fn(async () => sink);
    const { handler, flushed } = setup(factory);
    const first = sqsRecord(l1Header(1));
    const second = sqsRecord(l1Header(2));

    // Act
    const r1 = await handler({ Records: [first] }, lambdaContext("a"));
    const r2 = await handler({ Records: [second] }, lambdaContext("b"));

    // Assess
    expect(r1).toEqual({ batchItemFailures: [] });
    expect(failedIds(r2 as { batchItemFailures: { itemIdentifier: string }[] })).toEqual([]);
    expect(sink.rows.size).toBe(2);
    expect(factory).toHaveBeenCalledTimes(1);
    // Built from the settings read at cold start, not from the environment a second time.
    expect(factory).toHaveBeenCalledWith(testConfig().sink);
    expect(flushed).toHaveBeenCalledTimes(2);
  });
});
