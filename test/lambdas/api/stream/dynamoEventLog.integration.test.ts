import { DeleteItemCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createDynamoEventLog,
  type EventLogEntry,
  EventLogPositionExpiredError,
} from "../../../../lambdas/api/stream/createDynamoEventLog.js";
import { withEventLog } from "../../../../lambdas/processor/withEventLog.js";
import { RetryableError } from "../../../../lambdas/shared/errors.js";
import type { Sink, SinkRecord } from "../../../../lambdas/sink/Sink.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../../../scripts/local/dynamoDbLocal.js";
import { localAwsConfig } from "../../../../scripts/local/localAwsConfig.js";
import { provisionTables } from "../../../../scripts/local/provision.js";

// Integration: the stream's event log on DynamoDB Local, whose transactions and conditions are what
// make the sequence gap-free and each observation appear once.
let local: DynamoDbLocal;
let ddb: DynamoDBClient;
let table = 0;

beforeAll(async () => {
  local = await startDynamoDbLocal();
  ddb = new DynamoDBClient(localAwsConfig(local.endpoint));
});
afterAll(async () => {
  ddb?.destroy();
  await local?.stop();
});

const freshTable = async () =>
  (await provisionTables({ ddb, names: { stateTable: `log-${++table}`, idempotencyTable: `idem-${table}` } }))
    .stateTable;
const entry = (n: number, type = "l2_header"): EventLogEntry => ({
  observationId: `obs-${n}`,
  type,
  chain: "l2",
  key: `${n}:0x${n.toString(16)}-${type}`,
  payload: { number: n },
});
const readAll = async (log: ReturnType<typeof createDynamoEventLog>) => {
  const out = [];
  for (let after = 0; ; ) {
    const page = await log.read(after, 500);
    if (page.length === 0) return out;
    out.push(...page);
    after = page[page.length - 1]?.seq ?? after;
  }
};

describe("createDynamoEventLog", () => {
  it("numbers entries 1, 2, 3… and appends an observation once, however often it is re-applied", async () => {
    // Prepare
    const log = createDynamoEventLog({ ddb, tableName: await freshTable() });
    // Act
    const first = await log.append([entry(1), entry(2), entry(3)]);
    const again = await log.append([entry(2), entry(4), entry(3), entry(4)]);
    // Assess
    expect([first, again]).toEqual([3, 1]);
    const all = await readAll(log);
    expect(all.map((e) => [e.seq, e.key])).toEqual([
      [1, "1:0x1-l2_header"],
      [2, "2:0x2-l2_header"],
      [3, "3:0x3-l2_header"],
      [4, "4:0x4-l2_header"],
    ]);
    expect(all[0]).toMatchObject({ type: "l2_header", chain: "l2", payload: { number: 1 } });
    expect(await log.head()).toBe(4);
  });

  it("stays gap-free and duplicate-free under concurrent writers that re-apply each other's records", async () => {
    // Prepare: 4 processors; each appends its own 40 records and replays 20 of the next one's
    const tableName = await freshTable();
    const writers = [0, 1, 2, 3].map(() => createDynamoEventLog({ ddb, tableName }));
    const own = (w: number) => Array.from({ length: 40 }, (_, i) => entry(w * 100 + i));
    // Act
    await Promise.all(
      writers.map(async (log, w) => {
        const mine = own(w);
        const theirs = own((w + 1) % 4).slice(0, 20);
        for (let i = 0; i < 40; i += 5) {
          await log.append([...mine.slice(i, i + 5), ...theirs.slice(i / 2, i / 2 + 3)]);
        }
      }),
    );
    // Assess
    const all = await readAll(writers[0] as ReturnType<typeof createDynamoEventLog>);
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 160 }, (_, i) => i + 1));
    expect(new Set(all.map((e) => e.key)).size).toBe(160);
  });

  it("reads in pages of at most 100 and never past a position it cannot see", async () => {
    // Prepare
    const log = createDynamoEventLog({ ddb, tableName: await freshTable() });
    await log.append(Array.from({ length: 130 }, (_, i) => entry(i + 1)));
    // Act
    const page = await log.read(10, 500);
    const tail = await log.read(125, 500);
    const none = await log.read(130, 500);
    // Assess
    expect(page.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 11));
    expect(tail.map((e) => e.seq)).toEqual([126, 127, 128, 129, 130]);
    expect(none).toEqual([]);
  });

  it("says a resume point has expired once its entries are gone", async () => {
    // Prepare: entries appended a minute ago, the first ones since removed (as TTL does)
    let now = Date.now() - 60_000;
    const tableName = await freshTable();
    const log = createDynamoEventLog({ ddb, tableName, now: () => now });
    await log.append([entry(1), entry(2), entry(3)]);
    now = Date.now();
    await ddb.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: "log#1" } } }));
    // Act / Assess
    await expect(log.read(0, 10)).rejects.toBeInstanceOf(EventLogPositionExpiredError);
    expect((await log.read(1, 10)).map((e) => e.seq)).toEqual([2, 3]);
  });
});

describe("withEventLog (the processor's log stage)", () => {
  const records = (ns: number[]): SinkRecord[] =>
    ns.map((n) => ({
      event: {
        v: 1,
        type: "l2_header",
        number: n,
        hash: `0x${n.toString(16).padStart(64, "0")}`,
        parentHash: `0x${"0".repeat(64)}`,
        timestamp: 1,
        gasUsed: "1",
        gasLimit: "2",
        baseFeePerGas: null,
        txCount: 0,
        miner: `0x${"1".repeat(40)}`,
      },
      key: `${n}:h-l2_header`,
      observationId: `o${n}`,
    }));
  const sink = (written: SinkRecord[]): Sink => ({
    write: async (r) => void written.push(...r),
    health: async () => ({ ok: true, detail: "", ms: 0 }),
    close: async () => undefined,
  });

  it("fails the write retryably when the log refuses, and a retry logs each record once", async () => {
    // Prepare: a client whose first transaction fails, as DynamoDB can
    const tableName = await freshTable();
    const flaky = new DynamoDBClient(localAwsConfig(local.endpoint));
    let failures = 1;
    flaky.middlewareStack.add(
      (next) => async (args) => {
        if (args.input && "TransactItems" in (args.input as object) && failures-- > 0) {
          throw new RetryableError("injected: transaction failed");
        }
        return next(args);
      },
      { step: "initialize", name: "failOnce" },
    );
    const written: SinkRecord[] = [];
    const logged = withEventLog(sink(written), createDynamoEventLog({ ddb: flaky, tableName }));
    // Act: the first attempt writes rows but not the log; SQS redelivers; the retry writes both
    await expect(logged.write(records([1, 2]))).rejects.toBeInstanceOf(RetryableError);
    await logged.write(records([1, 2]));
    await logged.write(records([2, 3])); // a duplicate after the claim expired, plus a new one
    // Assess
    const all = await readAll(createDynamoEventLog({ ddb, tableName }));
    expect(all.map((e) => [e.seq, e.key, e.chain])).toEqual([
      [1, "1:h-l2_header", "l2"],
      [2, "2:h-l2_header", "l2"],
      [3, "3:h-l2_header", "l2"],
    ]);
    expect(written).toHaveLength(6);
    flaky.destroy();
  });
});
