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

/** One component as `tidemark health` shows it: each is checked on its own, so one down hides no other. */
export interface ComponentHealth {
  readonly component: string;
  readonly ok: boolean;
  /** What was found, or why it could not be checked. */
  readonly detail: string;
}

export interface HealthReport {
  readonly ok: boolean;
  /** Each reason for `ok: false`, as a sentence. */
  readonly problems: readonly string[];
  /** Every component checked, with its own status. */
  readonly components: readonly ComponentHealth[];
  readonly rpc: readonly RpcHealth[];
  readonly ingest: readonly {
    chain: Chain;
    next: number | undefined;
    head: number | undefined;
    lagBlocks: number | undefined;
  }[];
  /** undefined when the queue could not be read. */
  readonly queue:
    | {
        readonly visible: number;
        readonly inFlight: number;
        readonly oldestAgeSeconds: number | undefined;
      }
    | undefined;
  /** undefined when the DLQ could not be read. */
  readonly dlq: { readonly count: number } | undefined;
  readonly lastProcessed: { readonly what: string; readonly at: string } | undefined;
  /** undefined locally (no CloudWatch), or when CloudWatch could not be read. */
  readonly alarms: readonly { name: string; state: string; reason: string }[] | undefined;
}

const DEFAULT_MAX_LAG: Record<Chain, number> = { l1: 10, l2: 150 };

/** What the checks collect as they go. */
interface Findings {
  readonly problems: string[];
  readonly components: ComponentHealth[];
  /** Runs one component's check; a failure marks that component unreachable and the others still run. */
  check<T>(component: string, work: () => Promise<T>): Promise<T | undefined>;
  report(component: string, ok: boolean, detail: string, problem?: string): void;
}

function createFindings(): Findings {
  const problems: string[] = [];
  const components: ComponentHealth[] = [];
  const report = (component: string, ok: boolean, detail: string, problem?: string) => {
    components.push({ component, ok, detail });
    if (problem !== undefined) problems.push(problem);
  };
  return {
    problems,
    components,
    report,
    async check(component, work) {
      try {
        return await work();
      } catch (error) {
        const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        report(component, false, `unreachable: ${why}`, `${component} is unreachable: ${why}`);
        return undefined;
      }
    },
  };
}

/**
 * One look at everything an operator checks first; `ok` is false on anything that needs a person.
 * Every component (each RPC URL, the state table per chain, queue, DLQ, sink, CloudWatch) is checked
 * on its own and reported with its own status: one that cannot be reached does not stop the rest.
 */
export async function healthReport(p: HealthParameters): Promise<HealthReport> {
  const f = createFindings();
  const rpc = await checkRpc(p, f);
  const ingest = await checkIngest(p, f, rpc);
  const queue = await f.check("queue", () => queueCounts(p.sqs, p.queueUrl));
  if (queue) f.report("queue", true, `${queue.visible} waiting, ${queue.inFlight} in flight`);
  const dlq = await f.check("dlq", () => queueCounts(p.sqs, p.dlqUrl));
  const dlqCount = dlq === undefined ? undefined : dlq.visible + dlq.inFlight;
  if (dlqCount !== undefined) {
    const problem = dlqCount > 0 ? `the DLQ holds ${dlqCount} message(s): tidemark dlq list` : undefined;
    f.report("dlq", dlqCount === 0, `${dlqCount} message(s)`, problem);
  }
  let lastProcessed = p.sink
    ? await f.check("sink", () => lastProcessedRow(p.sink as SqlQueryable))
    : undefined;
  if (p.sink && !f.components.some((c) => c.component === "sink"))
    f.report("sink", true, lastProcessed ? `last row: ${lastProcessed.what}` : "reachable, no rows yet");
  let oldestAgeSeconds: number | undefined;
  let alarms: HealthReport["alarms"];
  if (p.cloudwatch) {
    const cw = await f.check("cloudwatch", () =>
      readCloudWatch(p.cloudwatch as NonNullable<HealthParameters["cloudwatch"]>),
    );
    if (cw) {
      oldestAgeSeconds = cw.oldestAgeSeconds;
      lastProcessed ??= cw.lastProcessed;
      alarms = cw.alarms;
      const raised = cw.alarms.filter((a) => a.state === "ALARM");
      f.report(
        "cloudwatch",
        raised.length === 0,
        `${raised.length} alarm(s) in ALARM of ${cw.alarms.length}`,
      );
      for (const a of raised) f.problems.push(`alarm ${a.name} is in ALARM: see docs/DEPLOYMENT.md#alarms`);
    }
  }
  return {
    ok: f.problems.length === 0,
    problems: f.problems,
    components: f.components,
    rpc,
    ingest,
    queue: queue && { visible: queue.visible, inFlight: queue.inFlight, oldestAgeSeconds },
    dlq: dlqCount === undefined ? undefined : { count: dlqCount },
    lastProcessed,
    alarms,
  };
}

async function checkRpc(p: HealthParameters, f: Findings): Promise<RpcHealth[]> {
  const rpc = await Promise.all(
    (["l1", "l2"] as const).flatMap((chain) =>
      p.rpc[chain].map((url) => probeRpc(chain, url, p.timeoutMs ?? 5_000)),
    ),
  );
  for (const r of rpc) {
    const component = `${r.chain} rpc ${r.endpoint}`;
    if (r.ok) f.report(component, true, `head ${r.head}, ${r.latencyMs} ms`);
    else
      f.report(
        component,
        false,
        `unreachable: ${r.error}`,
        `${r.chain} RPC ${r.endpoint} is unreachable: ${r.error}`,
      );
  }
  return rpc;
}

async function checkIngest(
  p: HealthParameters,
  f: Findings,
  rpc: readonly RpcHealth[],
): Promise<HealthReport["ingest"]> {
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
    const component = `${chain} ingest (state table)`;
    const cursor = await f.check(component, () => store.read(chain));
    const heads = rpc.filter((r) => r.chain === chain && r.head !== undefined).map((r) => r.head as number);
    const head = heads.length > 0 ? Math.max(...heads) : undefined;
    const next = cursor?.next;
    const lagBlocks = head !== undefined && next !== undefined ? Math.max(0, head - (next - 1)) : undefined;
    ingest.push({ chain, next, head, lagBlocks });
    if (cursor === undefined) continue;
    if (next === undefined) {
      const problem = `${chain}: the ingestor has no cursor yet (never ran, or the state table is another one)`;
      f.report(component, false, "no cursor yet", problem);
    } else if (lagBlocks !== undefined && lagBlocks > maxLag[chain]) {
      const problem = `${chain}: ingestion is ${lagBlocks} blocks behind the head (more than ${maxLag[chain]})`;
      f.report(component, false, `${lagBlocks} blocks behind`, problem);
    } else {
      f.report(
        component,
        true,
        `cursor at ${next}${lagBlocks === undefined ? "" : `, ${lagBlocks} blocks behind`}`,
      );
    }
  }
  return ingest;
}

async function queueCounts(sqs: SQSClient, queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  const a = out.Attributes;
  return {
    visible: Number(a?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

async function lastProcessedRow(sink: SqlQueryable): Promise<HealthReport["lastProcessed"]> {
  const rows = await sink.query<{ what: string; inserted: string | Date }>(
    `SELECT what, inserted FROM (
       SELECT 'l1 block ' || l1_block_number::VARCHAR AS what, inserted_at AS inserted FROM l1_head_events
       UNION ALL SELECT 'l2 block ' || l2_block_number::VARCHAR AS what, inserted_at AS inserted FROM l2_head_events
     ) ORDER BY inserted DESC LIMIT 1`,
  );
  const row = rows[0];
  return row ? { what: row.what, at: new Date(row.inserted).toISOString() } : undefined;
}

/** Deployed only: the oldest message's age, the processor's last activity, and every alarm's state. */
async function readCloudWatch(cw: NonNullable<HealthParameters["cloudwatch"]>) {
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
  const described = await cw.client.send(
    new DescribeAlarmsCommand({ AlarmNamePrefix: cw.alarmPrefix, MaxRecords: 100 }),
  );
  return {
    oldestAgeSeconds: latest.oldest?.value,
    lastProcessed: latest.processed
      ? { what: `${latest.processed.value} records in that minute`, at: latest.processed.at }
      : undefined,
    alarms: (described.MetricAlarms ?? []).map((a) => ({
      name: a.AlarmName ?? "?",
      state: a.StateValue ?? "?",
      reason: a.StateReason ?? "",
    })),
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
