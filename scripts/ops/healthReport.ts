import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricDataQuery,
} from "@aws-sdk/client-cloudwatch";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { createDynamoCursorStore } from "../../lambdas/ingestor/cursorStore.js";
import type { Chain } from "../../lambdas/shared/events.js";
import { METRIC_NAMESPACE, ProcessorMetric } from "../../lambdas/shared/metricNames.js";
import type { SqlQueryable } from "../../lambdas/sink/SqlQueryable.js";

export interface HealthParameters {
  readonly rpc: Readonly<Record<Chain, readonly string[]>>;
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly ddb: DynamoDBClient;
  readonly stateTable: string;
  /** Read for the last processed event, when reachable (local stack, ClickHouse). */
  readonly sink?: SqlQueryable;
  /** Deployed only: alarm states, oldest message age and the processor's last activity. */
  readonly cloudwatch?: {
    readonly client: CloudWatchClient;
    readonly alarmPrefix: string;
    readonly queueName: string;
  };
  /** Lag above this is a problem. @default the ingest-lag alarms' thresholds: l1 10, l2 150 */
  readonly maxLagBlocks?: Readonly<Record<Chain, number>>;
  /** Per RPC request. @default 5000 */
  readonly timeoutMs?: number;
}

export interface RpcHealth {
  readonly chain: Chain;
  /** Scheme, host and port only: provider URLs carry API keys in their path or query. */
  readonly endpoint: string;
  readonly ok: boolean;
  readonly head: number | undefined;
  readonly latencyMs: number | undefined;
  readonly error: string | undefined;
}

export interface HealthReport {
  readonly ok: boolean;
  /** Each reason for `ok: false`, as a sentence. */
  readonly problems: readonly string[];
  readonly rpc: readonly RpcHealth[];
  readonly ingest: readonly {
    chain: Chain;
    next: number | undefined;
    head: number | undefined;
    lagBlocks: number | undefined;
  }[];
  readonly queue: {
    readonly visible: number;
    readonly inFlight: number;
    readonly oldestAgeSeconds: number | undefined;
  };
  readonly dlq: { readonly count: number };
  readonly lastProcessed: { readonly what: string; readonly at: string } | undefined;
  /** undefined locally (no CloudWatch). */
  readonly alarms: readonly { name: string; state: string; reason: string }[] | undefined;
}

const DEFAULT_MAX_LAG: Record<Chain, number> = { l1: 10, l2: 150 };

/** One look at everything an operator checks first; `ok` is false on anything that needs a person. */
export async function healthReport(p: HealthParameters): Promise<HealthReport> {
  const problems: string[] = [];
  const rpc = (
    await Promise.all(
      (["l1", "l2"] as const).flatMap((chain) =>
        p.rpc[chain].map((url) => probeRpc(chain, url, p.timeoutMs ?? 5_000)),
      ),
    )
  ).flat();
  for (const r of rpc) if (!r.ok) problems.push(`${r.chain} RPC ${r.endpoint} is unreachable: ${r.error}`);

  const store = createDynamoCursorStore({
    ddb: p.ddb,
    tableName: p.stateTable,
    leaseSeconds: 60,
    recentHashes: 2,
  });
  const maxLag = p.maxLagBlocks ?? DEFAULT_MAX_LAG;
  const ingest = [];
  for (const chain of ["l1", "l2"] as const) {
    if (p.rpc[chain].length === 0) continue;
    const cursor = await store.read(chain);
    const heads = rpc.filter((r) => r.chain === chain && r.head !== undefined).map((r) => r.head as number);
    const head = heads.length > 0 ? Math.max(...heads) : undefined;
    const lagBlocks =
      head !== undefined && cursor.next !== undefined ? Math.max(0, head - (cursor.next - 1)) : undefined;
    ingest.push({ chain, next: cursor.next, head, lagBlocks });
    if (cursor.next === undefined)
      problems.push(
        `${chain}: the ingestor has no cursor yet (never ran, or the state table is another one)`,
      );
    else if (lagBlocks !== undefined && lagBlocks > maxLag[chain])
      problems.push(
        `${chain}: ingestion is ${lagBlocks} blocks behind the head (more than ${maxLag[chain]})`,
      );
  }

  const [q, d] = await Promise.all(
    [p.queueUrl, p.dlqUrl].map((QueueUrl) =>
      p.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl,
          AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        }),
      ),
    ),
  );
  const count = (a: Record<string, string> | undefined, name: string) => Number(a?.[name] ?? 0);
  const dlqCount =
    count(d?.Attributes, "ApproximateNumberOfMessages") +
    count(d?.Attributes, "ApproximateNumberOfMessagesNotVisible");
  if (dlqCount > 0) problems.push(`the DLQ holds ${dlqCount} message(s): tidemark dlq list`);

  let lastProcessed: HealthReport["lastProcessed"];
  if (p.sink) {
    const rows = await p.sink.query<{ what: string; inserted: string | Date }>(
      `SELECT what, inserted FROM (
         SELECT 'l1 block ' || l1_block_number::VARCHAR AS what, inserted_at AS inserted FROM l1_head_events
         UNION ALL SELECT 'l2 block ' || l2_block_number::VARCHAR AS what, inserted_at AS inserted FROM l2_head_events
       ) ORDER BY inserted DESC LIMIT 1`,
    );
    const row = rows[0];
    if (row) lastProcessed = { what: row.what, at: new Date(row.inserted).toISOString() };
  }

  let oldestAgeSeconds: number | undefined;
  let alarms: HealthReport["alarms"];
  if (p.cloudwatch) {
    const cw = p.cloudwatch;
    const latest = await latestDatapoints(cw.client, [
      {
        Id: "oldest",
        MetricStat: {
          Metric: {
            Namespace: "AWS/SQS",
            MetricName: "ApproximateAgeOfOldestMessage",
            Dimensions: [{ Name: "QueueName", Value: cw.queueName }],
          },
          Period: 60,
          Stat: "Maximum",
        },
      },
      {
        Id: "processed",
        MetricStat: {
          Metric: {
            Namespace: METRIC_NAMESPACE,
            MetricName: ProcessorMetric.RecordsProcessed,
            Dimensions: [{ Name: "service", Value: "processor" }],
          },
          Period: 60,
          Stat: "Sum",
        },
      },
    ]);
    oldestAgeSeconds = latest.oldest?.value;
    if (!lastProcessed && latest.processed) {
      lastProcessed = { what: `${latest.processed.value} records in that minute`, at: latest.processed.at };
    }
    const described = await cw.client.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: cw.alarmPrefix, MaxRecords: 100 }),
    );
    alarms = (described.MetricAlarms ?? []).map((a) => ({
      name: a.AlarmName ?? "?",
      state: a.StateValue ?? "?",
      reason: a.StateReason ?? "",
    }));
    for (const a of alarms)
      if (a.state === "ALARM") problems.push(`alarm ${a.name} is in ALARM: see docs/DEPLOYMENT.md#alarms`);
  }

  return {
    ok: problems.length === 0,
    problems,
    rpc,
    ingest,
    queue: {
      visible: count(q?.Attributes, "ApproximateNumberOfMessages"),
      inFlight: count(q?.Attributes, "ApproximateNumberOfMessagesNotVisible"),
      oldestAgeSeconds,
    },
    dlq: { count: dlqCount },
    lastProcessed,
    alarms,
  };
}

/** Scheme, host and port of a URL: never its path or query, which often hold an API key. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname !== "/" || u.search ? "/…" : ""}`;
  } catch {
    return "(not a URL)";
  }
}

async function probeRpc(chain: Chain, url: string, timeoutMs: number): Promise<RpcHealth> {
  const endpoint = redactUrl(url);
  const t0 = Date.now();
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json()) as { result?: string; error?: { message?: string } };
    if (!response.ok || typeof body.result !== "string") {
      throw new Error(body.error?.message ?? `HTTP ${response.status}`);
    }
    return {
      chain,
      endpoint,
      ok: true,
      head: Number(BigInt(body.result)),
      latencyMs: Date.now() - t0,
      error: undefined,
    };
  } catch (error) {
    return {
      chain,
      endpoint,
      ok: false,
      head: undefined,
      latencyMs: undefined,
      error: (error as Error).message,
    };
  }
}

async function latestDatapoints(
  client: CloudWatchClient,
  queries: MetricDataQuery[],
): Promise<Record<string, { value: number; at: string } | undefined>> {
  const end = new Date();
  const out = await client.send(
    new GetMetricDataCommand({
      MetricDataQueries: queries,
      StartTime: new Date(end.getTime() - 3 * 3600_000),
      EndTime: end,
      ScanBy: "TimestampDescending",
    }),
  );
  const result: Record<string, { value: number; at: string } | undefined> = {};
  for (const r of out.MetricDataResults ?? []) {
    const value = r.Values?.[0];
    const at = r.Timestamps?.[0];
    if (r.Id && value !== undefined && at) result[r.Id] = { value, at: at.toISOString() };
  }
  return result;
}
