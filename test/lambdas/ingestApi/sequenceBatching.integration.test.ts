import { QueryCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { acceptEvents, type EventResult } from "../../../lambdas/ingestApi/acceptEvents.js";
import { eventIdOf } from "../../../lambdas/ingestApi/apiEventMessage.js";
import { IngestFaultPoint } from "../../../lambdas/ingestApi/ingestFaultPoints.js";
import { ingestKeys } from "../../../lambdas/ingestApi/ingestTable.js";
import { drainOutbox } from "../../../lambdas/ingestApi/outbox.js";
import { parseEventBatch } from "../../../lambdas/ingestApi/parseEventBatch.js";
import {
  body,
  buildDeps,
  drainQueue,
  event,
  eventItems,
  outboxEntries,
  provisionIngest,
  useIngestParts,
} from "./helpers.js";

// Integration (DynamoDB Local, fauxqs): the batched sequencing path — one transaction per ≤ 48 events of
// a combined call, one outbox entry per transaction — keeps every event whole or absent.
const parts = useIngestParts();

type Deps = Awaited<ReturnType<typeof buildDeps>>;

const send = (deps: Deps, ...events: unknown[]) =>
  acceptEvents(deps, parseEventBatch(body(...events), deps.settings)).then((r) => r.results);

const numbered = (r: EventResult | undefined) => {
  if (r === undefined || r.status === "rejected")
    throw new Error(`expected a number, got ${JSON.stringify(r)}`);
  return r;
};

/** Sequences of the stream's event items, and the eventIds that have an idempotency record. */
async function tableState(deps: Deps, stream: string, clientEventIds: readonly string[]) {
  const items = await eventItems(deps, stream);
  const withRecord: string[] = [];
  for (const id of clientEventIds) {
    const { Items: idem = [] } = await deps.ddb.send(
      new QueryCommand({
        TableName: deps.tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": { S: ingestKeys.idempotency(eventIdOf(stream, id)).pk } },
        ConsistentRead: true,
      }),
    );
    if (idem.length > 0) withRecord.push(id);
  }
  return { sequences: items.map((i) => Number(i.sequence?.N)), withRecord };
}

describe("batched sequencing", () => {
  it("leaves nothing of a transaction DynamoDB cancels, and renumbers the rest after the winner, gap-free", async () => {
    // Prepare: another instance numbers e3 — one of this batch's five — between this call's read-back and
    // its transaction, so DynamoDB cancels the transaction (the head moved, e3's record exists).
    const names = await provisionIngest(parts());
    const deps = await buildDeps(parts(), names);
    const other = await buildDeps(parts(), names);
    await send(deps, event("tx", "e0"));
    const ids = ["e1", "e2", "e3", "e4", "e5"];
    let afterCancel: Awaited<ReturnType<typeof tableState>> | undefined;
    let raced = false;
    deps.ddb.middlewareStack.add(
      (next) => async (args) => {
        if (raced || !("TransactItems" in (args.input as object))) return next(args);
        raced = true;
        await send(other, event("tx", "e3"));
        try {
          return await next(args);
        } catch (error) {
          afterCancel = await tableState(deps, "tx", ids);
          throw error;
        }
      },
      { step: "initialize", name: "raceAnotherInstance" },
    );
    // Act
    const results = await send(deps, ...ids.map((id) => event("tx", id)));
    // Assess: after the cancel, only e0 and the winner's e3 were there — none of the cancelled four.
    expect(afterCancel).toEqual({ sequences: [1, 2], withRecord: ["e3"] });
    expect(results.map((r) => [r.status, numbered(r).sequence])).toEqual([
      ["accepted", 3],
      ["accepted", 4],
      ["duplicate", 2],
      ["accepted", 5],
      ["accepted", 6],
    ]);
    expect(await tableState(deps, "tx", ids)).toEqual({ sequences: [1, 2, 3, 4, 5, 6], withRecord: ids });
    expect(await outboxEntries(deps)).toEqual([]);
    const onQueue = await drainQueue(parts().sqsServer.endpoint, names.queueUrl);
    expect(onQueue.map((m) => m.sequence).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    deps.destroy();
    other.destroy();
  });

  it("shows readers no gap when a call dies after numbering and before sending; the sweeper sends its range once", async () => {
    // Prepare: the first call dies right after its transaction (a crash between numbering and the send).
    const names = await provisionIngest(parts());
    let crashed = false;
    const deps = await buildDeps(parts(), names, {
      faults: {
        hit(point) {
          if (point !== IngestFaultPoint.AfterSequence || crashed) return;
          crashed = true;
          throw new Error("injected crash after the sequencing transaction");
        },
      },
    });
    // Act: three concurrent requests of two events on one stream.
    const answers = await Promise.allSettled(
      [0, 1, 2].map((r) => send(deps, event("gap", `r${r}-a`), event("gap", `r${r}-b`))),
    );
    const readable = await deps.events.readEvents("gap", 0, 100);
    const pending = await outboxEntries(deps);
    const beforeSweep = await drainQueue(parts().sqsServer.endpoint, names.queueUrl);
    const swept = await drainOutbox({ ...deps, faults: undefined, partitions: 16, graceSeconds: 0 });
    const afterSweep = await drainQueue(parts().sqsServer.endpoint, names.queueUrl);
    // The request that arrived first had the first call to itself (the others waited for the next).
    const died = answers.findIndex((a) => a.status === "rejected");
    const resent = await send(deps, event("gap", `r${died}-a`), event("gap", `r${died}-b`));
    // Assess
    expect(answers.filter((a) => a.status === "rejected")).toHaveLength(1);
    expect(readable.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(pending.map((c) => [c.stream, c.from, c.to])).toEqual([["gap", 1, 2]]);
    expect(beforeSweep.map((m) => m.sequence).sort((a, b) => a - b)).toEqual([3, 4, 5, 6]);
    expect(swept).toEqual({ sent: 2, unsent: 0 });
    expect(afterSweep.map((m) => [m.clientEventId, m.sequence])).toEqual([
      [`r${died}-a`, 1],
      [`r${died}-b`, 2],
    ]);
    expect(await outboxEntries(deps)).toEqual([]);
    // The client's resend of the request that died gets the numbers and times it was given.
    expect(resent.map((r) => [r.status, numbered(r).sequence, numbered(r).acceptedAt])).toEqual(
      readable.slice(0, 2).map((e) => ["duplicate", e.sequence, e.receipt.acceptedAt]),
    );
    deps.destroy();
  });
});
