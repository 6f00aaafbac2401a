import { Duration, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { InvalidPropsError } from "../../../lib/InvalidPropsError.js";
import { EventQueue } from "../../../lib/stateful/EventQueue.js";

const synth = (props: ConstructorParameters<typeof EventQueue>[2]) => {
  const stack = new Stack();
  const eventQueue = new EventQueue(stack, "Events", props);
  return { eventQueue, template: Template.fromStack(stack) };
};

describe("EventQueue", () => {
  it("creates a FIFO queue with explicit deduplication, redriving to a FIFO DLQ after 3 receives", () => {
    // Act
    const { template } = synth({ processorTimeout: Duration.seconds(30) });

    // Assess
    template.resourceCountIs("AWS::SQS::Queue", 2);
    template.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "tidemark-events-dlq.fifo",
      FifoQueue: true,
      ContentBasedDeduplication: false,
      MessageRetentionPeriod: 1_209_600,
      SqsManagedSseEnabled: true,
    });
    template.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "tidemark-events.fifo",
      FifoQueue: true,
      ContentBasedDeduplication: false,
      MessageRetentionPeriod: 1_209_600,
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 180,
      RedrivePolicy: {
        deadLetterTargetArn: { "Fn::GetAtt": [Match.stringLikeRegexp("DeadLetterQueue"), "Arn"] },
        maxReceiveCount: 3,
      },
    });
  });

  it("refuses plain-HTTP access to both queues", () => {
    // Act
    const { template } = synth({ processorTimeout: Duration.seconds(30) });

    // Assess
    const policies = template.findResources("AWS::SQS::QueuePolicy");
    expect(Object.keys(policies)).toHaveLength(2);
    for (const policy of Object.values(policies)) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
      );
    }
  });

  it("derives the visibility timeout as 6 × the processor timeout and honours maxReceiveCount", () => {
    // Act
    const { eventQueue, template } = synth({ processorTimeout: Duration.seconds(45), maxReceiveCount: 5 });

    // Assess
    expect(eventQueue.visibilityTimeout.toSeconds()).toBe(270);
    template.hasResourceProperties("AWS::SQS::Queue", {
      VisibilityTimeout: 270,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
    });
  });

  it("accepts a visibility timeout of exactly 6 × the processor timeout", () => {
    // Act
    const { template } = synth({
      processorTimeout: Duration.seconds(30),
      visibilityTimeout: Duration.seconds(180),
    });

    // Assess
    template.hasResourceProperties("AWS::SQS::Queue", { VisibilityTimeout: 180 });
  });

  it("rejects a visibility timeout below 6 × the processor timeout", () => {
    // Act
    const act = () =>
      synth({ processorTimeout: Duration.seconds(30), visibilityTimeout: Duration.seconds(179) });

    // Assess
    expect(act).toThrow(/visibilityTimeout is 179s but must be at least 6 × processorTimeout \(30s\) = 180s/);
  });

  it("lists every conflict at once", () => {
    // Act
    let error: unknown;
    try {
      synth({
        processorTimeout: Duration.seconds(60),
        visibilityTimeout: Duration.seconds(60),
        maxReceiveCount: 0,
        retentionPeriod: Duration.days(15),
        queueName: "events",
      });
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(InvalidPropsError);
    const problems = (error as InvalidPropsError).problems;
    expect(problems).toHaveLength(4);
    expect(problems.join("\n")).toMatch(/visibilityTimeout is 60s/);
    expect(problems.join("\n")).toMatch(/maxReceiveCount is 0/);
    expect(problems.join("\n")).toMatch(/retentionPeriod/);
    expect(problems.join("\n")).toMatch(/queueName "events" must end in ".fifo"/);
    expect((error as Error).message.split("\n  - ")).toHaveLength(5);
  });
});
