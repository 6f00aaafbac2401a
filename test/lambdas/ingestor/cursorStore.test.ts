import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { createDynamoCursorStore } from "../../../lambdas/ingestor/cursorStore.js";
import { CursorConflictError, LeaseHeldError } from "../../../lambdas/shared/errors.js";
import { fakeChain } from "./helpers.js";

const ddb = new DynamoDBClient({
  region: "us-east-1",
  credentials: { accessKeyId: "x", secretAccessKey: "x" },
});
const ddbMock = mockClient(ddb);
const store = createDynamoCursorStore({ ddb, tableName: "state", leaseSeconds: 60, recentHashes: 4 });
const NOW = 1_700_000_000_000;

function conditionFailed(item: Record<string, unknown>) {
  return new ConditionalCheckFailedException({
    message: "The conditional request failed",
    $metadata: {},
    Item: item as never,
  });
}

describe("createDynamoCursorStore", () => {
  afterEach(() => ddbMock.reset());

  it("takes the lease when it is free, expired or ours, with a conditional write", async () => {
    // Prepare
    ddbMock.on(UpdateItemCommand).resolves({
      Attributes: {
        pk: { S: "cursor#l1" },
        leaseOwner: { S: "me" },
        leaseExpiresAt: { N: String(NOW + 60_000) },
      },
    });

    // Act
    const cursor = await store.acquireLease("l1", "me", NOW);

    // Assess
    expect(cursor).toEqual({ next: undefined, recent: [], lease: { owner: "me", expiresAt: NOW + 60_000 } });
    const input = ddbMock.commandCalls(UpdateItemCommand)[0]?.args[0].input as UpdateItemCommandInput;
    expect(input.Key).toEqual({ pk: { S: "cursor#l1" } });
    expect(input.ConditionExpression).toBe(
      "attribute_not_exists(#owner) OR #expires < :now OR #owner = :owner",
    );
    expect(input.ExpressionAttributeValues).toMatchObject({
      ":owner": { S: "me" },
      ":now": { N: String(NOW) },
    });
    expect(input.ReturnValuesOnConditionCheckFailure).toBe("ALL_OLD");
  });

  it("reports who holds the lease when another ingestor has it", async () => {
    // Prepare
    ddbMock.on(UpdateItemCommand).rejects(
      conditionFailed({
        pk: { S: "cursor#l2" },
        leaseOwner: { S: "other" },
        leaseExpiresAt: { N: String(NOW + 30_000) },
      }),
    );

    // Act
    const error = await store.acquireLease("l2", "me", NOW).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(LeaseHeldError);
    expect((error as LeaseHeldError).context).toMatchObject({
      chain: "l2",
      holder: "other",
      expiresAt: NOW + 30_000,
    });
  });

  it("advances only under our lease from the expected block, keeping the last RECENT_HASHES hashes", async () => {
    // Prepare
    const blocks = fakeChain(10).map((b) => ({ number: b.number, hash: b.hash }));
    ddbMock.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
      const v = input.ExpressionAttributeValues ?? {};
      return {
        Attributes: {
          pk: { S: "cursor#l1" },
          next: v[":next"],
          recentFrom: v[":from"],
          recentHashes: v[":hashes"],
          leaseOwner: v[":owner"],
          leaseExpiresAt: v[":expires"],
        },
      };
    });

    // Act
    const cursor = await store.advance("l1", "me", { expectedNext: 5, next: 10, recent: blocks }, NOW);

    // Assess
    const input = ddbMock.commandCalls(UpdateItemCommand)[0]?.args[0].input as UpdateItemCommandInput;
    expect(input.ConditionExpression).toBe("#owner = :owner AND #next = :expected");
    expect(input.ExpressionAttributeValues?.[":expected"]).toEqual({ N: "5" });
    expect(cursor.next).toBe(10);
    expect(cursor.recent).toEqual(blocks.slice(-4));
  });

  it("requires that no cursor exists when advancing for the first time", async () => {
    // Prepare
    ddbMock.on(UpdateItemCommand).resolves({ Attributes: { pk: { S: "cursor#l1" }, next: { N: "3" } } });

    // Act
    await store.advance("l1", "me", { expectedNext: undefined, next: 3, recent: [] }, NOW);

    // Assess
    const input = ddbMock.commandCalls(UpdateItemCommand)[0]?.args[0].input as UpdateItemCommandInput;
    expect(input.ConditionExpression).toBe("#owner = :owner AND attribute_not_exists(#next)");
  });

  it("raises CursorConflictError with what it found when the cursor moved or the lease was lost", async () => {
    // Prepare
    ddbMock.on(UpdateItemCommand).rejects(
      conditionFailed({
        pk: { S: "cursor#l1" },
        next: { N: "42" },
        leaseOwner: { S: "other" },
        leaseExpiresAt: { N: "1" },
      }),
    );

    // Act
    const error = await store
      .advance(
        "l1",
        "me",
        { expectedNext: 5, next: 6, recent: [{ number: 5, hash: `0x${"ab".repeat(32)}` }] },
        NOW,
      )
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(CursorConflictError);
    expect((error as CursorConflictError).context).toMatchObject({ found: { next: 42, holder: "other" } });
  });

  it("treats releasing a lease already lost as done", async () => {
    // Prepare
    ddbMock
      .on(UpdateItemCommand)
      .rejects(conditionFailed({ pk: { S: "cursor#l1" }, leaseOwner: { S: "other" } }));

    // Act
    const released = store.release("l1", "me");

    // Assess
    await expect(released).resolves.toBeUndefined();
  });

  it("reads a missing cursor as empty", async () => {
    // Prepare
    ddbMock.on(GetItemCommand).resolves({});

    // Act
    const cursor = await store.read("l2");

    // Assess
    expect(cursor).toEqual({ next: undefined, recent: [], lease: undefined });
  });
});
