import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ClaimRequest, createIdempotencyStore } from "../../../lambdas/processor/idempotencyStore.js";
import { ClaimHeldError } from "../../../lambdas/shared/errors.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../../scripts/local/dynamoDbLocal.js";
import { localAwsConfig } from "../../../scripts/local/localAwsConfig.js";
import { provisionTables } from "../../../scripts/local/provision.js";
import { countRoundTrips } from "./helpers.js";

// Integration: the PartiQL statements and their conditions against the real DynamoDB Local.
let local: DynamoDbLocal;
let ddb: DynamoDBClient;
let tableName: string;

beforeAll(async () => {
  local = await startDynamoDbLocal();
  ddb = new DynamoDBClient(localAwsConfig(local.endpoint));
  ({ idempotencyTable: tableName } = await provisionTables({ ddb }));
});

afterAll(async () => {
  ddb?.destroy();
  await local?.stop();
});

// The injected clock starts at the real time: DynamoDB Local deletes items whose TTL has passed.
const T0 = Math.floor(Date.now() / 1000) * 1000;
let n = 0;
const request = (): ClaimRequest => ({ observationId: `obs-${++n}`, eventKey: `${n}:0xabc-l1_header` });
const store = (now: number, claimTimeoutSeconds = 60) =>
  createIdempotencyStore({ ddb, tableName, claimTimeoutSeconds, ttlDays: 30, now: () => now });

async function item(id: string) {
  const { Item } = await ddb.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: id } } }));
  return Item;
}

describe("createIdempotencyStore against DynamoDB Local", () => {
  it("claims a new observation, completes it with a TTL, and then reports it as a duplicate", async () => {
    // Prepare
    const r = request();

    // Act
    const [claimed] = await store(T0).claim([r], "worker-a");
    const [completed] = claimed?.status === "claimed" ? await store(T0).complete([claimed.claim]) : [];
    const [again] = await store(T0 + 1000).claim([r], "worker-b");

    // Assess
    expect(claimed).toMatchObject({ status: "claimed", retaken: false });
    expect(completed).toEqual({ status: "completed" });
    expect(again).toMatchObject({
      status: "duplicate",
      existing: { status: "COMPLETED", owner: "worker-a" },
    });
    const stored = await item(r.observationId);
    expect(stored?.status?.S).toBe("COMPLETED");
    expect(stored?.eventKey?.S).toBe(r.eventKey);
    expect(Number(stored?.ttl?.N)).toBe(T0 / 1000 + 30 * 86_400);
    expect(stored?.claimExpiresAt).toBeUndefined();
  });

  it("settles new, completed, live and expired observations of one batch in at most three round trips", async () => {
    // Prepare
    const [fresh, done, live, crashed] = [request(), request(), request(), request()] as const;
    const [doneClaim] = await store(T0).claim([done], "earlier");
    if (doneClaim?.status === "claimed") await store(T0).complete([doneClaim.claim]);
    await store(T0, 60).claim([live], "other-worker");
    await store(T0 - 120_000, 60).claim([crashed], "crashed-worker"); // never completed: its lease ran out at T0 - 60 s
    const trips = countRoundTrips(ddb);

    // Act
    const outcomes = await store(T0).claim([fresh, done, live, crashed], "me");
    trips.stop();

    // Assess
    // Insert all; read the existing ones (DynamoDB Local returns no item for a failed INSERT); retake the expired one.
    expect(trips.count()).toBeLessThanOrEqual(3);
    expect(outcomes.map((o) => o.status)).toEqual(["claimed", "duplicate", "failed", "claimed"]);
    expect(outcomes[2]?.status === "failed" && outcomes[2].error).toBeInstanceOf(ClaimHeldError);
    expect(outcomes[3]).toMatchObject({ status: "claimed", retaken: true });
    expect((await item(crashed.observationId))?.owner?.S).toBe("me");
  });

  it("settles a batch of replayed duplicates with one write per record and no retake statement", async () => {
    // Prepare
    const replays = Array.from({ length: 10 }, request);
    const claimed = await store(T0).claim(replays, "first");
    await store(T0).complete(claimed.flatMap((o) => (o.status === "claimed" ? [o.claim] : [])));
    const statements: string[] = [];
    ddb.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Statements?: { Statement?: string }[] };
        for (const st of input.Statements ?? []) statements.push(st.Statement?.split(" ")[0] ?? "");
        return next(args);
      },
      { step: "initialize", name: "recordStatements" },
    );

    // Act
    const outcomes = await store(T0 + 1_000).claim(replays, "replayer");
    ddb.middlewareStack.remove("recordStatements");

    // Assess: ten failed INSERTs (a write unit each) and ten reads; no conditional UPDATE to find out.
    expect(outcomes.every((o) => o.status === "duplicate")).toBe(true);
    expect(statements.filter((st) => st === "INSERT")).toHaveLength(10);
    expect(statements.filter((st) => st === "SELECT")).toHaveLength(10);
    expect(statements.filter((st) => st === "UPDATE")).toHaveLength(0);
  });

  it("recognises its own claim when the INSERT landed but its answer was lost and the SDK retried", async () => {
    // Prepare: a client whose first answer is lost after DynamoDB applied the write (a transient error the SDK retries)
    const lossy = new DynamoDBClient({ ...localAwsConfig(local.endpoint), maxAttempts: 3 });
    let answersToLose = 1;
    lossy.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        if (answersToLose-- > 0) throw Object.assign(new Error("socket hang up"), { name: "TimeoutError" });
        return out;
      },
      { step: "deserialize", priority: "high", name: "loseFirstAnswer" },
    );
    const r = request();
    const lossyStore = createIdempotencyStore({
      ddb: lossy,
      tableName,
      claimTimeoutSeconds: 60,
      ttlDays: 30,
      now: () => T0,
    });

    // Act
    const [claimed] = await lossyStore.claim([r], "worker-a");
    const [completed] = claimed?.status === "claimed" ? await store(T0).complete([claimed.claim]) : [];
    const [other] = await store(T0).claim([request()], "worker-b");
    lossy.destroy();

    // Assess: ours, not "held by another worker"; completable; and the loss really happened
    expect(answersToLose).toBeLessThan(0);
    expect(claimed).toMatchObject({ status: "claimed", claim: { owner: "worker-a" } });
    expect(completed).toEqual({ status: "completed" });
    expect(other).toMatchObject({ status: "claimed" });
  });

  it("does not let a worker whose claim was taken over complete or release it", async () => {
    // Prepare
    const r = request();
    const [slow] = await store(T0, 1).claim([r], "slow-worker");
    const [taker] = await store(T0 + 5_000, 1).claim([r], "taker");

    // Act
    const lost = slow?.status === "claimed" ? await store(T0 + 6_000).complete([slow.claim]) : [];
    const released = slow?.status === "claimed" ? await store(T0 + 6_000).release([slow.claim]) : -1;

    // Assess
    expect(taker).toMatchObject({ status: "claimed", retaken: true });
    expect(lost).toEqual([
      { status: "lost", current: expect.objectContaining({ owner: "taker", status: "IN_PROGRESS" }) },
    ]);
    expect(released).toBe(0);
    expect((await item(r.observationId))?.owner?.S).toBe("taker");
  });

  it("releases a claim so the retry claims it afresh without waiting for the lease", async () => {
    // Prepare
    const r = request();
    const [first] = await store(T0, 120).claim([r], "failed-worker");

    // Act
    const released = first?.status === "claimed" ? await store(T0).release([first.claim]) : 0;
    const [retry] = await store(T0 + 1_000, 120).claim([r], "retry-worker");

    // Assess
    expect(released).toBe(1);
    expect(retry).toMatchObject({ status: "claimed", retaken: false, claim: { owner: "retry-worker" } });
  });
});
