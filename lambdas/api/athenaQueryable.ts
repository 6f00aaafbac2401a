import { setTimeout as sleepFor } from "node:timers/promises";
import {
  type AthenaClient,
  type ColumnInfo,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type QueryExecution,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { type BackoffPolicy, backoffDelay, withRetry } from "../shared/retry.js";
import type { QueryParam, SqlQueryable } from "../sink/SqlQueryable.js";
import { AthenaQueryError, AthenaQueryTimeoutError } from "./errors.js";

export interface AthenaQueryableParameters {
  readonly client: AthenaClient;
  /** The workgroup: its enforced result location and encryption apply to every query. */
  readonly workGroup: string;
  /** The Glue database of the Iceberg tables and canonical views. */
  readonly database: string;
  /** A query still running after this long is stopped and fails retryable. @default 20_000 */
  readonly timeoutMs?: number;
  /** Delays between GetQueryExecution polls (full jitter, floored at `minPollMs`). @default 100 ms doubling to 1 s */
  readonly poll?: BackoffPolicy;
  /** @default 50 */
  readonly minPollMs?: number;
  /** Attempts at StartQueryExecution when Athena throttles. @default 3 */
  readonly startAttempts?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default node:timers/promises setTimeout */
  readonly sleep?: (ms: number) => Promise<unknown>;
  /** @default Math.random */
  readonly random?: () => number;
}

export const ATHENA_QUERYABLE_DEFAULTS = {
  timeoutMs: 20_000,
  poll: { baseDelayMs: 100, maxDelayMs: 1000 },
  minPollMs: 50,
  startAttempts: 3,
} as const;

/** The parameters with every default filled in. */
interface Resolved {
  readonly client: AthenaClient;
  readonly workGroup: string;
  readonly database: string;
  readonly timeoutMs: number;
  readonly poll: BackoffPolicy;
  readonly minPollMs: number;
  readonly startAttempts: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<unknown>;
  readonly random: () => number;
}

/** Rows per GetQueryResults page: the API's maximum. */
const PAGE_SIZE = 1000;

/**
 * The sink's SQL port over Athena (the Firehose → Iceberg sink): StartQueryExecution in the
 * workgroup and database, GetQueryExecution polled with backoff until the query ends, then every
 * page of GetQueryResults as row objects with values typed as the DuckDB adapter returns them
 * (bigint → bigint, integer/double/decimal → number, boolean, timestamp/date → Date, null).
 *
 * Values are bound as ExecutionParameters, never spliced into the SQL text: the statement's `$n`
 * placeholders become Athena's positional `?` in order of appearance, each value a single SQL
 * literal (strings quoted, quotes doubled, as Athena requires of string parameters).
 */
export function createAthenaQueryable(parameters: AthenaQueryableParameters): SqlQueryable {
  const d = ATHENA_QUERYABLE_DEFAULTS;
  const p: Resolved = {
    client: parameters.client,
    workGroup: parameters.workGroup,
    database: parameters.database,
    timeoutMs: parameters.timeoutMs ?? d.timeoutMs,
    poll: parameters.poll ?? d.poll,
    minPollMs: parameters.minPollMs ?? d.minPollMs,
    startAttempts: parameters.startAttempts ?? d.startAttempts,
    now: parameters.now ?? Date.now,
    sleep: parameters.sleep ?? sleepFor,
    random: parameters.random ?? Math.random,
  };
  const { now, sleep } = p;
  return {
    dialect: "athena",
    async query<T = Record<string, unknown>>(sql: string, params: readonly QueryParam[] = []): Promise<T[]> {
      const deadline = now() + p.timeoutMs;
      const bound = bindParameters(sql, params);
      const id = await withRetry(() => startQuery(p, bound), {
        attempts: p.startAttempts,
        ...p.poll,
        deadline,
        now,
        sleep,
        random: p.random,
      });
      await waitForQuery(p, id, deadline);
      return (await readAllRows(p.client, id)) as T[];
    },
  };
}

async function startQuery(
  p: Resolved,
  bound: { readonly sql: string; readonly values: string[] },
): Promise<string> {
  try {
    const out = await p.client.send(
      new StartQueryExecutionCommand({
        QueryString: bound.sql,
        WorkGroup: p.workGroup,
        QueryExecutionContext: { Database: p.database },
        ...(bound.values.length > 0 ? { ExecutionParameters: bound.values } : {}),
      }),
    );
    if (out.QueryExecutionId === undefined) throw new AthenaQueryError("Athena returned no query id", true);
    return out.QueryExecutionId;
  } catch (error) {
    if (error instanceof AthenaQueryError) throw error;
    const name = (error as { name?: string }).name ?? "";
    // Throttling and Athena's internal errors may pass; a refused statement (InvalidRequestException) never will.
    const retryable = name === "TooManyRequestsException" || name === "InternalServerException";
    throw new AthenaQueryError(`Athena did not start the query: ${(error as Error).message}`, retryable, {
      cause: error,
      context: { workGroup: p.workGroup, sql: bound.sql.slice(0, 200) },
    });
  }
}

/** Polls until the query ends; SUCCEEDED returns, FAILED/CANCELLED throw, the deadline stops the query. */
async function waitForQuery(p: Resolved, id: string, deadline: number): Promise<void> {
  for (let poll = 1; ; poll++) {
    const { QueryExecution: execution } = await p.client.send(
      new GetQueryExecutionCommand({ QueryExecutionId: id }),
    );
    const state = execution?.Status?.State;
    if (state === "SUCCEEDED") return;
    if (state === "FAILED" || state === "CANCELLED") throw queryFailure(id, state, execution);
    const delayMs = Math.max(p.minPollMs, backoffDelay(poll, p.poll, p.random));
    if (p.now() + delayMs >= deadline) {
      // Stop it: an abandoned query keeps scanning (and billing) up to the workgroup's limit.
      await p.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
      throw new AthenaQueryTimeoutError(`Athena query ${id} still ${state ?? "unknown"} at the deadline`, {
        context: { queryExecutionId: id, timeoutMs: p.timeoutMs },
      });
    }
    await p.sleep(delayMs);
  }
}

function queryFailure(id: string, state: string, execution: QueryExecution | undefined): AthenaQueryError {
  const error = execution?.Status?.AthenaError;
  const reason = error?.ErrorMessage ?? execution?.Status?.StateChangeReason ?? "no reason given";
  // CANCELLED without Athena's verdict: someone or the workgroup stopped it; the same query may pass.
  const retryable = error?.Retryable ?? state === "CANCELLED";
  return new AthenaQueryError(`Athena query ${id} ${state}: ${reason}`, retryable, {
    context: { queryExecutionId: id, errorCategory: error?.ErrorCategory, errorType: error?.ErrorType },
  });
}

/** Every page of the results as row objects; the first row of the first page is the header and is skipped. */
async function readAllRows(client: AthenaClient, id: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  let columns: ColumnInfo[] | undefined;
  let nextToken: string | undefined;
  let first = true;
  do {
    const page = await client.send(
      new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: PAGE_SIZE, NextToken: nextToken }),
    );
    columns ??= page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
    const data = page.ResultSet?.Rows ?? [];
    for (const row of first ? data.slice(1) : data) {
      const out: Record<string, unknown> = {};
      columns.forEach((column, i) => {
        out[column.Name ?? `_${i}`] = convertValue(row.Data?.[i]?.VarCharValue, column.Type ?? "varchar");
      });
      rows.push(out);
    }
    first = false;
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  return rows;
}

/** Athena returns every value as text; these are the types the DuckDB adapter's rows carry. */
export function convertValue(text: string | undefined, type: string): unknown {
  if (text === undefined) return null;
  switch (type.toLowerCase().replace(/\(.*$/, "")) {
    case "bigint":
      return BigInt(text);
    case "tinyint":
    case "smallint":
    case "integer":
    case "int":
    case "float":
    case "real":
    case "double":
    case "decimal":
      return Number(text);
    case "boolean":
      return text === "true";
    case "date":
      return new Date(`${text}T00:00:00Z`);
    case "timestamp":
    case "timestamp with time zone":
      return new Date(
        `${text.replace(" ", "T").replace(/ UTC$/, "")}${/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? "" : "Z"}`,
      );
    default:
      return text;
  }
}

/**
 * The statement with `$n` placeholders (DuckDB/Postgres style, as the API's queries are written)
 * turned into Athena's positional `?`, and one literal per occurrence. Quoted text is left alone.
 */
export function bindParameters(
  sql: string,
  params: readonly QueryParam[],
): { readonly sql: string; readonly values: string[] } {
  const values: string[] = [];
  let out = "";
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i];
    if (ch === "'" || ch === '"') {
      const end = sql.indexOf(ch, i + 1);
      const stop = end === -1 ? sql.length : end + 1;
      out += sql.slice(i, stop);
      i = stop - 1;
      continue;
    }
    const m = ch === "$" ? /^\$(\d+)/.exec(sql.slice(i)) : null;
    if (m === null) {
      out += ch;
      continue;
    }
    const index = Number(m[1]) - 1;
    if (index < 0 || index >= params.length) {
      throw new AthenaQueryError(`placeholder $${m[1]} has no value (${params.length} given)`, false);
    }
    values.push(toSqlLiteral(params[index] ?? null));
    out += "?";
    i += m[0].length - 1;
  }
  return { sql: out, values };
}

function toSqlLiteral(value: QueryParam): string {
  if (value === null) return "NULL";
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new AthenaQueryError(`cannot bind ${value} as a SQL number`, false);
    return String(value);
  }
  return `'${value.replaceAll("'", "''")}'`;
}
