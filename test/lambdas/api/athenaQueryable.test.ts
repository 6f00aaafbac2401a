import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  InvalidRequestException,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  TooManyRequestsException,
} from "@aws-sdk/client-athena";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { bindParameters, createAthenaQueryable } from "../../../lambdas/api/athenaQueryable.js";
import { AthenaQueryError, AthenaQueryTimeoutError } from "../../../lambdas/api/errors.js";
import { isRetryable } from "../../../lambdas/shared/errors.js";

const athena = mockClient(AthenaClient);
afterEach(() => athena.reset());

/** A virtual clock: sleeping advances it, so polling and deadlines run instantly and exactly. */
function virtualTime() {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
  };
}

const columns = [
  { Name: "n", Type: "bigint" },
  { Name: "share", Type: "double" },
  { Name: "seq", Type: "varchar" },
  { Name: "ok", Type: "boolean" },
  { Name: "samples", Type: "integer" },
];
const row = (...values: (string | undefined)[]) => ({
  Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })),
});

function athenaFor(clock = virtualTime(), timeoutMs = 5000) {
  return createAthenaQueryable({
    client: new AthenaClient({ region: "us-east-1" }),
    workGroup: "tidemark",
    database: "tidemark",
    timeoutMs,
    now: clock.now,
    sleep: clock.sleep,
    random: () => 1,
  });
}

describe("the Athena SqlQueryable", () => {
  it("starts in the workgroup and database, binds values, polls until SUCCEEDED and reads every page", async () => {
    // Prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-1" });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { Status: { State: "QUEUED" } } })
      .resolvesOnce({ QueryExecution: { Status: { State: "RUNNING" } } })
      .resolves({ QueryExecution: { Status: { State: "SUCCEEDED" } } });
    athena
      .on(GetQueryResultsCommand, { QueryExecutionId: "q-1", NextToken: undefined })
      .resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: columns },
          Rows: [
            row("n", "share", "seq", "ok", "samples"),
            row("9007199254740993", "0.25", "0xab", "true", "3"),
          ],
        },
        NextToken: "page-2",
      })
      .on(GetQueryResultsCommand, { QueryExecutionId: "q-1", NextToken: "page-2" })
      .resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: columns },
          Rows: [row("2", undefined, "it's", "false", "0")],
        },
      });
    const clock = virtualTime();
    // Act
    const rows = await athenaFor(clock).query(
      "SELECT n FROM canonical_l2_head_events WHERE block_ts >= $1 AND block_ts < $2 AND sequencer = $3 AND note = '$1'",
      [100, 200n, "o'brien"],
    );
    // Assess
    expect(rows).toEqual([
      { n: 9007199254740993n, share: 0.25, seq: "0xab", ok: true, samples: 3 },
      { n: 2n, share: null, seq: "it's", ok: false, samples: 0 },
    ]);
    const start = athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input;
    expect(start).toEqual({
      QueryString:
        "SELECT n FROM canonical_l2_head_events WHERE block_ts >= ? AND block_ts < ? AND sequencer = ? AND note = '$1'",
      WorkGroup: "tidemark",
      QueryExecutionContext: { Database: "tidemark" },
      ExecutionParameters: ["100", "200", "'o''brien'"],
    });
    expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(3);
    // Backoff between polls: 100 ms, then 200 ms (full jitter at its ceiling here).
    expect(clock.sleeps).toEqual([100, 200]);
  });

  it("binds a repeated or reordered $n once per occurrence, in order of appearance", () => {
    // Act
    const bound = bindParameters("SELECT * FROM t WHERE a = $2 OR b = $1 OR c = $2", ["x", 7]);
    // Assess
    expect(bound).toEqual({
      sql: "SELECT * FROM t WHERE a = ? OR b = ? OR c = ?",
      values: ["7", "'x'", "7"],
    });
    expect(() => bindParameters("SELECT $3", [1])).toThrow(AthenaQueryError);
  });

  it("throws Athena's own verdict when the query FAILED", async () => {
    // Prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-2" });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        Status: {
          State: "FAILED",
          AthenaError: {
            ErrorCategory: 2,
            ErrorType: 1006,
            Retryable: false,
            ErrorMessage: "COLUMN_NOT_FOUND: x",
          },
        },
      },
    });
    // Act
    const failure = await athenaFor()
      .query("SELECT x FROM reorgs")
      .catch((e: unknown) => e);
    // Assess
    expect(failure).toBeInstanceOf(AthenaQueryError);
    expect((failure as Error).message).toContain("COLUMN_NOT_FOUND: x");
    expect(isRetryable(failure)).toBe(false);
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  it("calls a system failure that Athena marks retryable retryable", async () => {
    // Prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-3" });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: { Status: { State: "FAILED", AthenaError: { ErrorCategory: 1, Retryable: true } } },
    });
    // Act
    const failure = await athenaFor()
      .query("SELECT 1")
      .catch((e: unknown) => e);
    // Assess
    expect(isRetryable(failure)).toBe(true);
  });

  it("stops a query still running at the deadline and fails retryable", async () => {
    // Prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-4" });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: "RUNNING" } } });
    athena.on(StopQueryExecutionCommand).resolves({});
    const clock = virtualTime();
    // Act
    const failure = await athenaFor(clock, 3000)
      .query("SELECT 1")
      .catch((e: unknown) => e);
    // Assess
    expect(failure).toBeInstanceOf(AthenaQueryTimeoutError);
    expect(isRetryable(failure)).toBe(true);
    expect(athena.commandCalls(StopQueryExecutionCommand)[0]?.args[0].input).toEqual({
      QueryExecutionId: "q-4",
    });
    // Polled with growing delays (capped at 1 s) and never slept past the budget.
    expect(clock.sleeps).toEqual([100, 200, 400, 800, 1000]);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBeLessThan(3000);
  });

  it("retries a throttled start, and does not retry a statement Athena refuses", async () => {
    // Prepare
    athena
      .on(StartQueryExecutionCommand)
      .rejectsOnce(new TooManyRequestsException({ message: "slow down", $metadata: {} }))
      .resolves({ QueryExecutionId: "q-5" });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: "SUCCEEDED" } } });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: [{ Name: "ok", Type: "integer" }] },
        Rows: [row("ok"), row("1")],
      },
    });
    // Act
    const rows = await athenaFor().query("SELECT 1 AS ok");
    athena.reset();
    athena
      .on(StartQueryExecutionCommand)
      .rejects(new InvalidRequestException({ message: "line 1:8: mismatched input", $metadata: {} }));
    const refused = await athenaFor()
      .query("SELEC 1")
      .catch((e: unknown) => e);
    // Assess
    expect(rows).toEqual([{ ok: 1 }]);
    expect(refused).toBeInstanceOf(AthenaQueryError);
    expect(isRetryable(refused)).toBe(false);
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(1);
  });
});
