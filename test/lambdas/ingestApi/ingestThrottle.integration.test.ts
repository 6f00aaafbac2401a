import { type DynamoDBClient, ProvisionedThroughputExceededException } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { describe, expect, it, vi } from "vitest";
import { drainOutbox } from "../../../lambdas/ingestApi/outbox.js";
import { body, buildDeps, drainQueue, event, mountV1, provisionIngest, useIngestParts } from "./helpers.js";

// Integration, over DynamoDB Local and fauxqs: throttles as the SDK reports them once its own retries
// are spent (thrown before the request is sent), on the commands a predicate picks.
const parts = useIngestParts();

type Pick = (command: string, input: Record<string, unknown>) => boolean;

function throttleDynamo(ddb: DynamoDBClient, pick: { current: Pick }): void {
  ddb.middlewareStack.add(
    (next, context) => async (args) => {
      if (pick.current(String(context.commandName), args.input as Record<string, unknown>)) {
        throw new ProvisionedThroughputExceededException({ message: "injected throttle", $metadata: {} });
      }
      return next(args);
    },
    { step: "initialize", name: "injectThrottle" },
  );
}

function throttleSqs(sqs: SQSClient, on: { current: boolean }): void {
  sqs.middlewareStack.add(
    (next) => async (args) => {
      if (on.current && "Entries" in (args.input as object)) {
        throw Object.assign(new Error("injected: Rate exceeded"), { name: "ThrottlingException" });
      }
      return next(args);
    },
    { step: "initialize", name: "injectSqsThrottle" },
  );
}

/** A sequencing transaction of `stream` (its first item moves head#<stream>). */
const sequencing =
  (stream: string): Pick =>
  (command, input) => {
    if (command !== "TransactWriteItemsCommand") return false;
    const items = input.TransactItems as { Update?: { Key?: { pk?: { S?: string } } } }[];
    return items[0]?.Update?.Key?.pk?.S === `head#${stream}`;
  };

async function setup() {
  const names = await provisionIngest(parts());
  const deps = await buildDeps(parts(), names);
  const pick = { current: (() => false) as Pick };
  const sqsOn = { current: false };
  throttleDynamo(deps.ddb, pick);
  throttleSqs(deps.sqs, sqsOn);
  const { apiKey } = await deps.keys.createKey({ name: "t", streams: ["*"] });
  const app = mountV1(deps);
  const post = async (payload: string) => {
    const res = await app.request("/v1/events", {
      method: "POST",
      body: payload,
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    });
    return {
      status: res.status,
      retryAfter: res.headers.get("retry-after"),
      json: (await res.json()) as never,
    };
  };
  return { names, deps, pick, sqsOn, post };
}

type Result = { status: string; eventId: string; sequence: number };

describe("ingest API under dependency throttles", () => {
  it("answers a DynamoDB throttle while authenticating with 503, Retry-After and the dependency's name, not 500", async () => {
    // Prepare
    const { deps, pick, post } = await setup();
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    pick.current = (command) => command === "GetItemCommand";
    // Act
    const throttled = await post(body(event("ops", "a-1")));
    pick.current = () => false;
    const resent = await post(body(event("ops", "a-1")));
    // Assess
    expect(throttled).toMatchObject({
      status: 503,
      retryAfter: "1",
      json: { error: { code: "dependency_throttled", dependency: "DynamoDB" } },
    });
    expect((throttled.json as { error: { message: string } }).error.message).toMatch(
      /DynamoDB is throttling \(ProvisionedThroughputExceededException\)/,
    );
    expect(resent.status).toBe(200);
    expect((resent.json as { results: Result[] }).results).toEqual([
      expect.objectContaining({ status: "accepted", sequence: 1 }),
    ]);
    deps.destroy();
  });

  it("answers a throttled sequencing transaction 503 naming DynamoDB; the resend numbers the events once", async () => {
    // Prepare
    const { deps, pick, post } = await setup();
    pick.current = sequencing("ops");
    // Act
    const throttled = await post(body(event("ops", "b-1"), event("ops", "b-2")));
    pick.current = () => false;
    const resent = await post(body(event("ops", "b-1"), event("ops", "b-2")));
    // Assess: 503 with Retry-After, not "the head kept moving"; nothing was numbered, so the resend is first.
    expect(throttled).toMatchObject({
      status: 503,
      retryAfter: "1",
      json: { error: { code: "dependency_throttled", dependency: "DynamoDB" } },
    });
    expect((resent.json as { results: Result[] }).results.map((r) => [r.status, r.sequence])).toEqual([
      ["accepted", 1],
      ["accepted", 2],
    ]);
    expect((await deps.events.readRange("ops", 1, 10)).map((e) => e.sequence)).toEqual([1, 2]);
    deps.destroy();
  });

  it("when one stream of a batch is throttled, the other stream's events are on the queue and the resend repeats their numbers", async () => {
    // Prepare
    const { names, deps, pick, post } = await setup();
    pick.current = sequencing("relays");
    const batch = body(event("orders", "c-1"), event("relays", "c-2"), event("orders", "c-3"));
    // Act
    const throttled = await post(batch);
    const queued = await drainQueue(parts().sqsServer.endpoint, names.queueUrl);
    pick.current = () => false;
    const resent = await post(batch);
    // Assess
    expect(throttled).toMatchObject({ status: 503, retryAfter: "1" });
    expect(queued.map((m) => [m.stream, m.sequence, m.clientEventId])).toEqual([
      ["orders", 1, "c-1"],
      ["orders", 2, "c-3"],
    ]);
    expect((resent.json as { results: Result[] }).results.map((r) => [r.status, r.sequence])).toEqual([
      ["duplicate", 1],
      ["accepted", 1],
      ["duplicate", 2],
    ]);
    expect((resent.json as { results: Result[] }).results[0]?.eventId).toBe(queued[0]?.eventId);
    deps.destroy();
  });

  it("accepts through an SQS throttle: the event stays in the outbox and the sweeper puts it on the queue once", async () => {
    // Prepare
    const { names, deps, sqsOn, post } = await setup();
    sqsOn.current = true;
    // Act
    const answer = await post(body(event("ops", "d-1")));
    const whileThrottled = await drainQueue(parts().sqsServer.endpoint, names.queueUrl);
    sqsOn.current = false;
    const swept = await drainOutbox({ ...deps, partitions: deps.settings.partitions, graceSeconds: 0 });
    const queued = await drainQueue(parts().sqsServer.endpoint, names.queueUrl);
    // Assess
    expect(answer.status).toBe(200);
    expect((answer.json as { results: Result[] }).results[0]).toMatchObject({
      status: "accepted",
      sequence: 1,
    });
    expect(whileThrottled).toEqual([]);
    expect(swept).toEqual({ sent: 1, unsent: 0 });
    expect(queued.map((m) => [m.stream, m.sequence])).toEqual([["ops", 1]]);
    deps.destroy();
  });
});
