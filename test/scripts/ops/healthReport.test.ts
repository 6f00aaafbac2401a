import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { healthReport, redactUrl } from "../../../scripts/ops/healthReport.js";

const sqsMock = mockClient(SQSClient);
const ddbMock = mockClient(DynamoDBClient);
const cwMock = mockClient(CloudWatchClient);
afterEach(() => {
  sqsMock.reset();
  ddbMock.reset();
  cwMock.reset();
});

describe("healthReport on a deployed stage", () => {
  it("reports alarm states, the oldest message age and the DLQ, and is unhealthy on an alarm", async () => {
    // Prepare
    sqsMock
      .on(GetQueueAttributesCommand, { QueueUrl: "https://q" })
      .resolves({
        Attributes: { ApproximateNumberOfMessages: "12", ApproximateNumberOfMessagesNotVisible: "3" },
      })
      .on(GetQueueAttributesCommand, { QueueUrl: "https://dlq" })
      .resolves({
        Attributes: { ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "0" },
      });
    cwMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: "oldest", Values: [420], Timestamps: [new Date("2026-01-01T00:00:00Z")] },
        { Id: "processed", Values: [37], Timestamps: [new Date("2026-01-01T00:01:00Z")] },
      ],
    });
    cwMock.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: "tidemark-oldest-message-age", StateValue: "ALARM", StateReason: "Threshold crossed" },
        { AlarmName: "tidemark-dlq-not-empty", StateValue: "OK", StateReason: "" },
      ],
    });
    // Act
    const report = await healthReport({
      rpc: { l1: [], l2: [] },
      sqs: new SQSClient({ region: "eu-west-1" }),
      queueUrl: "https://q",
      dlqUrl: "https://dlq",
      ddb: new DynamoDBClient({ region: "eu-west-1" }),
      stateTable: "state",
      cloudwatch: {
        client: new CloudWatchClient({ region: "eu-west-1" }),
        alarmPrefix: "tidemark-",
        queueName: "tidemark-events.fifo",
      },
    });
    // Assess
    expect(report.ok).toBe(false);
    expect(report.queue).toEqual({ visible: 12, inFlight: 3, oldestAgeSeconds: 420 });
    expect(report.alarms).toHaveLength(2);
    expect(report.problems).toEqual([
      "alarm tidemark-oldest-message-age is in ALARM: see docs/DEPLOYMENT.md#alarms",
    ]);
    expect(report.lastProcessed).toEqual({
      what: "37 records in that minute",
      at: "2026-01-01T00:01:00.000Z",
    });
    expect(cwMock.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input.AlarmNamePrefix).toBe("tidemark-");
    expect(ddbMock.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  it("reports every component with its own status when some cannot be reached", async () => {
    // Prepare
    sqsMock
      .on(GetQueueAttributesCommand, { QueueUrl: "https://q" })
      .rejects(Object.assign(new Error("connect ECONNREFUSED"), { name: "Error" }))
      .on(GetQueueAttributesCommand, { QueueUrl: "https://dlq" })
      .resolves({
        Attributes: { ApproximateNumberOfMessages: "2", ApproximateNumberOfMessagesNotVisible: "0" },
      });
    cwMock.on(GetMetricDataCommand).rejects(new Error("AccessDenied"));
    // Act
    const report = await healthReport({
      rpc: { l1: [], l2: [] },
      sqs: new SQSClient({ region: "eu-west-1" }),
      queueUrl: "https://q",
      dlqUrl: "https://dlq",
      ddb: new DynamoDBClient({ region: "eu-west-1" }),
      stateTable: "state",
      sink: { query: () => Promise.reject(new Error("sink query server gone")) },
      cloudwatch: {
        client: new CloudWatchClient({ region: "eu-west-1" }),
        alarmPrefix: "tidemark-",
        queueName: "tidemark-events.fifo",
      },
    });
    // Assess
    expect(report.ok).toBe(false);
    expect(report.components.map((c) => [c.component, c.ok])).toEqual([
      ["queue", false],
      ["dlq", false],
      ["sink", false],
      ["cloudwatch", false],
    ]);
    expect(report.components[0]?.detail).toContain("unreachable");
    expect(report.components[1]?.detail).toBe("2 message(s)");
    expect(report.dlq).toEqual({ count: 2 });
    expect(report.queue).toBeUndefined();
  });

  it("never shows an RPC URL's path or query, where provider keys live", () => {
    // Assess
    expect(redactUrl("https://eth-mainnet.example.com/v2/SECRETKEY?x=1")).toBe(
      "https://eth-mainnet.example.com/…",
    );
    expect(redactUrl("http://127.0.0.1:8545")).toBe("http://127.0.0.1:8545");
  });
});
