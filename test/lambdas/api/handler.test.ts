import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_ENV } from "../../../lambdas/api/apiSettings.js";

/** An API Gateway HTTP API (payload 2.0) request, as Lambda receives it. */
function httpApiEvent(path: string, query = "", sourceIp = "198.51.100.7") {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: path,
    rawQueryString: query,
    headers: { host: "api.example", accept: "application/json" },
    requestContext: {
      accountId: "123456789012",
      apiId: "api",
      domainName: "api.example",
      domainPrefix: "api",
      http: { method: "GET", path, protocol: "HTTP/1.1", sourceIp, userAgent: "test" },
      requestId: "r",
      routeKey: "$default",
      stage: "$default",
      time: "01/Dec/2026:00:00:00 +0000",
      timeEpoch: 0,
    },
    isBase64Encoded: false,
  };
}

describe("the Lambda handler", () => {
  const saved = { ...process.env };
  beforeAll(() => {
    process.env.SINK = "duckdb";
    process.env.DUCKDB_PATH = ":memory:";
    process.env[API_ENV.rateLimitPerMinute] = "2";
  });
  afterAll(() => {
    process.env = saved;
  });

  it("serves the same app from an API Gateway event, with settings from the environment", async () => {
    // Prepare
    const { handler } = await import("../../../lambdas/api/handler.js");
    // Act
    const ready = await handler(httpApiEvent("/ready") as never, {} as never);
    const head = await handler(httpApiEvent("/v1/l2-head") as never, {} as never);
    const bad = await handler(httpApiEvent("/v1/l2-blocks", "limit=0") as never, {} as never);
    const limited = await handler(httpApiEvent("/v1/l2-head") as never, {} as never);
    // Assess
    expect(ready.statusCode).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({ status: "healthy", checks: { sink: { status: "up" } } });
    expect(head.statusCode).toBe(404);
    expect(JSON.parse(bad.body)).toMatchObject({ error: { field: "limit" } });
    expect(limited.statusCode).toBe(429); // the third /v1 request of this source IP in the minute
  });
});
