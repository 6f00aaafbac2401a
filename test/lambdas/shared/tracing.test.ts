import { SQSClient } from "@aws-sdk/client-sqs";
import { afterEach, describe, expect, it, vi } from "vitest";

const loadTracing = async () => {
  vi.resetModules();
  return import("../../../lambdas/shared/tracing.js");
};

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("tracing", () => {
  it("is off outside Lambda, so local runs and tests never look for an X-Ray daemon", async () => {
    // Prepare
    vi.stubEnv("AWS_EXECUTION_ENV", "");
    const { tracer, traced, withTracing } = await loadTracing();
    const client = new SQSClient({ region: "us-east-1" });
    const steps = client.middlewareStack.identify().length;

    // Act
    const same = traced(client);
    const answer = await withTracing(async (event: { n: number }) => event.n + 1)({ n: 1 }, {} as never);

    // Assess
    expect(tracer().isTracingEnabled()).toBe(false);
    expect(same).toBe(client);
    expect(client.middlewareStack.identify()).toHaveLength(steps);
    expect(answer).toBe(2);
  });

  it("is on inside Lambda, and adds X-Ray's middleware to the clients it captures", async () => {
    // Prepare
    vi.stubEnv("AWS_EXECUTION_ENV", "AWS_Lambda_nodejs22.x");
    vi.stubEnv("POWERTOOLS_SERVICE_NAME", "ingestor");
    const { tracer, traced } = await loadTracing();
    const client = new SQSClient({ region: "us-east-1" });
    const steps = client.middlewareStack.identify().length;

    // Act
    traced(client);

    // Assess
    expect(tracer().isTracingEnabled()).toBe(true);
    expect(client.middlewareStack.identify().length).toBeGreaterThan(steps);
  });

  it("is off in Lambda too when POWERTOOLS_TRACE_ENABLED=false", async () => {
    // Prepare
    vi.stubEnv("AWS_EXECUTION_ENV", "AWS_Lambda_nodejs22.x");
    vi.stubEnv("POWERTOOLS_TRACE_ENABLED", "false");
    const { tracer } = await loadTracing();

    // Assess
    expect(tracer().isTracingEnabled()).toBe(false);
  });
});
