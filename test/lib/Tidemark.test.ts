import { App, type CfnElement, CfnResource, Duration, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { InvalidPropsError } from "../../lib/InvalidPropsError.js";
import { Tidemark } from "../../lib/Tidemark.js";
import { TidemarkStorage } from "../../lib/TidemarkStorage.js";
import {
  cdkJsonContext,
  FIXTURE_ENTRIES,
  type Json,
  RUNBOOK_ALARMS,
  type SynthesizedStage,
  synthStage,
  type TemplateResource,
} from "./synthStage.js";

type Resource = TemplateResource;

let prod: SynthesizedStage;
let resources: Record<string, Resource>;

beforeAll(() => {
  prod = synthStage("prod", { alarmEmail: "ops@example.com" });
  resources = prod.service.toJSON().Resources;
}, 600_000);

const logicalId = (construct: IConstruct): string =>
  prod.stacks.service.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
const ids = () => {
  const t = prod.stacks.service.tidemark;
  return {
    ingestor: logicalId(t.functions.ingestor),
    processor: logicalId(t.functions.processor),
    hook: logicalId(t.functions.deployHook),
    ingestorAlias: logicalId(t.aliases.ingestor),
    processorAlias: logicalId(t.aliases.processor),
  };
};
const fn = (id: string) => resources[id] as Resource;
const env = (id: string): Record<string, unknown> => fn(id).Properties.Environment.Variables;
const alarmsNamed = (): Record<string, Resource> =>
  Object.fromEntries(
    Object.entries(resources)
      .filter(([, r]) => r.Type === "AWS::CloudWatch::Alarm")
      .map(([id, r]) => [
        String(r.Properties.AlarmName).replace(/^tidemark-prod-/, ""),
        { ...r, id } as Resource & { id: string },
      ]),
  );

/** The single metric an alarm watches, however CDK rendered it (labelled metrics become a Metrics array). */
const watched = (alarm: Resource | undefined) => {
  const props = alarm?.Properties ?? {};
  const stat = props.Metrics?.[0]?.MetricStat;
  return stat
    ? { ...stat.Metric, Stat: stat.Stat, Period: stat.Period }
    : {
        MetricName: props.MetricName,
        Namespace: props.Namespace,
        Dimensions: props.Dimensions,
        Stat: props.Statistic ?? props.ExtendedStatistic,
        Period: props.Period,
      };
};

/** A metric-math alarm: its expression and each metric as name/service. */
const mathOver = (alarm: Resource | undefined) => {
  type Query = {
    Id: string;
    Expression?: string;
    MetricStat?: { Metric: { MetricName: string; Dimensions: { Name: string; Value: string }[] } };
  };
  const queries = (alarm?.Properties?.Metrics ?? []) as Query[];
  return {
    expression: queries.find((q) => q.Expression)?.Expression,
    metrics: Object.fromEntries(
      queries
        .filter((q) => q.MetricStat)
        .map((q) => [
          q.Id,
          `${q.MetricStat?.Metric.MetricName}/${q.MetricStat?.Metric.Dimensions.find((d) => d.Name === "service")?.Value}`,
        ]),
    ),
  };
};

describe("Tidemark functions", () => {
  it("runs every function on nodejs22.x, arm64, JSON logs into its own log group with explicit retention", () => {
    // Assess
    for (const id of [ids().ingestor, ids().processor, ids().hook]) {
      const props = fn(id).Properties;
      expect(props.Runtime).toBe("nodejs22.x");
      expect(props.Architectures).toEqual(["arm64"]);
      expect(props.LoggingConfig).toMatchObject({ LogFormat: "JSON", LogGroup: { Ref: expect.any(String) } });
      const logGroup = resources[props.LoggingConfig.LogGroup.Ref] as Resource;
      expect(logGroup.Type).toBe("AWS::Logs::LogGroup");
      expect(logGroup.Properties.RetentionInDays).toBe(365);
      expect(props.Environment.Variables).toMatchObject({ POWERTOOLS_METRICS_NAMESPACE: "Tidemark" });
    }
  });

  it("reserves a single concurrent ingestor (one writer of the cursor)", () => {
    // Assess
    expect(fn(ids().ingestor).Properties.ReservedConcurrentExecutions).toBe(1);
    expect(fn(ids().processor).Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it("passes the ingestor its queue, state table, RPC secret name and inbox addresses, never RPC URLs", () => {
    // Assess
    const vars = env(ids().ingestor);
    expect(vars).toMatchObject({
      POWERTOOLS_SERVICE_NAME: "ingestor",
      RPC_URLS_SECRET_ID: "tidemark/prod/rpc-urls",
      TAIKO_NETWORK: "mainnet",
      PARTITIONS: "16",
      LEASE_SECONDS: "65",
    });
    // The preset names every fork's inboxes: no single Pacaya address beside it.
    expect(vars.INBOX_ADDRESS).toBeUndefined();
    expect(vars.QUEUE_URL).toBeDefined();
    expect(vars.STATE_TABLE).toBeDefined();
    expect(Object.keys(vars)).not.toEqual(expect.arrayContaining(["L1_RPC_URLS"]));
    expect(Object.keys(vars)).not.toEqual(expect.arrayContaining(["L2_RPC_URLS"]));
    expect(JSON.stringify(prod.service.toJSON())).not.toMatch(/https?:\/\/[^"]*(rpc|alchemy|infura)/i);
  });

  it("lets the ingestor dead-letter the input it rejects, with DLQ_URL, and alarms on it", () => {
    // Assess: DLQ_URL is the stateful stack's DLQ, and the ingestor's role may send there (and only there)
    const vars = env(ids().ingestor);
    expect(JSON.stringify(vars.DLQ_URL)).toMatch(/DeadLetter|Dlq/i);
    const role = fn(ids().ingestor).Properties.Role["Fn::GetAtt"][0];
    const statements = Object.values(resources)
      .filter((r) => r.Type === "AWS::IAM::Policy" && JSON.stringify(r.Properties.Roles).includes(role))
      .flatMap(
        (r) => r.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
      );
    const sends = statements.filter((s) => [s.Action].flat().includes("sqs:SendMessage"));
    expect(sends.map((s) => JSON.stringify(s.Resource))).toEqual(
      expect.arrayContaining([expect.stringMatching(/DeadLetter|Dlq/i)]),
    );
    const alarm = alarmsNamed()["ingestor-rejected-input"];
    expect(JSON.stringify(alarm?.Properties.Metrics)).toContain("RecordsRejected");
    expect(alarm?.Properties).toMatchObject({ Threshold: 1, TreatMissingData: "notBreaching" });
  });

  it("passes the processor its tables, DLQ and Firehose sink, with a claim lease between timeout and visibility", () => {
    // Assess
    const vars = env(ids().processor);
    expect(vars).toMatchObject({
      POWERTOOLS_SERVICE_NAME: "processor",
      SINK: "firehose",
      FIREHOSE_STREAM_NAME: "tidemark-prod-sink",
      CLAIM_TIMEOUT_SECONDS: "120",
    });
    for (const key of ["STATE_TABLE", "IDEMPOTENCY_TABLE", "DLQ_URL"]) expect(vars[key]).toBeDefined();
    const timeout = fn(ids().processor).Properties.Timeout;
    expect(timeout).toBe(30);
    // A live claim outlasts its invocation; a crashed worker's claim expires before SQS redelivers its records.
    const events = Object.values(prod.stateful.toJSON().Resources as Record<string, Resource>).find(
      (r) => r.Type === "AWS::SQS::Queue" && r.Properties.RedrivePolicy !== undefined,
    );
    expect(Number(vars.CLAIM_TIMEOUT_SECONDS)).toBeGreaterThan(timeout);
    expect(Number(vars.CLAIM_TIMEOUT_SECONDS)).toBeLessThan(events?.Properties.VisibilityTimeout);
  });

  it("lets the processor run its PartiQL statements on the idempotency table (IAM authorizes them per kind)", () => {
    // Assess: BatchExecuteStatement is authorized by the PartiQL actions, not PutItem/UpdateItem.
    const role = fn(ids().processor).Properties.Role["Fn::GetAtt"][0];
    const statements = Object.values(resources)
      .filter((r) => r.Type === "AWS::IAM::Policy" && r.Properties.Roles.some((x: Json) => x.Ref === role))
      .flatMap((r) => r.Properties.PolicyDocument.Statement as Json[]);
    const partiql = statements.filter((st) => JSON.stringify(st.Action).includes("PartiQL"));
    expect(partiql).toHaveLength(1);
    expect([...(partiql[0].Action as string[])].sort()).toEqual([
      "dynamodb:DescribeTable",
      "dynamodb:PartiQLDelete",
      "dynamodb:PartiQLInsert",
      "dynamodb:PartiQLSelect",
      "dynamodb:PartiQLUpdate",
    ]);
    expect(JSON.stringify(partiql[0].Resource)).toMatch(/IdempotencyTable/);
  });

  it("lets the ingestor read exactly the RPC secret it is told about", () => {
    // Assess
    prod.service.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: "secretsmanager:GetSecretValue",
            Resource: {
              "Fn::Join": [
                "",
                Match.arrayWith([
                  Match.stringLikeRegexp(":secret:tidemark/prod/rpc-urls-\\?\\?\\?\\?\\?\\?"),
                ]),
              ],
            },
          }),
        ]),
      },
      Roles: [{ Ref: fn(ids().ingestor).Properties.Role["Fn::GetAtt"][0] }],
    });
  });

  it("grants no wildcard action and no resource '*' (but X-Ray's, which has no resource ARNs) to any role", () => {
    // Assess
    const statements = Object.values(resources)
      .filter((r) => r.Type === "AWS::IAM::Policy")
      .flatMap(
        (r) => r.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
      );
    expect(statements.length).toBeGreaterThan(10);
    for (const statement of statements) {
      const actions = ([] as string[]).concat(statement.Action);
      expect(actions.filter((a) => a.includes("*"))).toEqual([]);
      const xrayOnly = actions.every(
        (a) => a === "xray:PutTraceSegments" || a === "xray:PutTelemetryRecords",
      );
      if (!xrayOnly) expect(([] as unknown[]).concat(statement.Resource)).not.toContain("*");
    }
    for (const role of Object.values(resources).filter((r) => r.Type === "AWS::IAM::Role")) {
      expect(role.Properties.Policies).toBeUndefined();
    }
  });
});

describe("Tidemark blue-green deployments", () => {
  it("publishes both functions behind a `live` alias", () => {
    // Assess
    for (const alias of [ids().ingestorAlias, ids().processorAlias]) {
      expect(fn(alias).Type).toBe("AWS::Lambda::Alias");
      expect(fn(alias).Properties.Name).toBe("live");
      expect(resources[fn(alias).Properties.FunctionVersion["Fn::GetAtt"][0]]?.Type).toBe(
        "AWS::Lambda::Version",
      );
    }
  });

  it("lets CodeDeploy move each alias with the smoke-testing pre-traffic hook", () => {
    // Assess
    for (const alias of [ids().ingestorAlias, ids().processorAlias]) {
      const update = fn(alias).UpdatePolicy.CodeDeployLambdaAliasUpdate;
      expect(update.BeforeAllowTrafficHook).toEqual({ Ref: ids().hook });
      expect(resources[update.DeploymentGroupName.Ref]?.Type).toBe("AWS::CodeDeploy::DeploymentGroup");
    }
  });

  it("lets the hook invoke only the versions being deployed and report to their deployment groups", () => {
    // Assess
    const hookRole = fn(ids().hook).Properties.Role["Fn::GetAtt"][0];
    const policy = Object.values(resources).find(
      (r) => r.Type === "AWS::IAM::Policy" && r.Properties.Roles[0].Ref === hookRole,
    ) as Resource;
    const statements = policy.Properties.PolicyDocument.Statement as {
      Action: string | string[];
      Resource: Json;
    }[];
    const invoke = statements.find((s) => s.Action === "lambda:InvokeFunction");
    const versionRefs = invoke?.Resource.map((r: { Ref: string }) => resources[r.Ref]?.Type);
    expect(versionRefs).toEqual(["AWS::Lambda::Version", "AWS::Lambda::Version"]);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ["codedeploy:GetDeployment", "codedeploy:PutLifecycleEventHookExecutionStatus"],
      }),
    );
  });

  it("rolls back automatically on failure, stop and alarm", () => {
    // Assess
    const groups = Object.values(resources).filter((r) => r.Type === "AWS::CodeDeploy::DeploymentGroup");
    // Ingestor and processor; the service stack's API and stream (ServingApi) and the ingest function
    // (IngestApi) shift the same way.
    expect(groups).toHaveLength(5);
    for (const group of groups) {
      expect(group.Properties.AutoRollbackConfiguration).toEqual({
        Enabled: true,
        Events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST", "DEPLOYMENT_STOP_ON_ALARM"],
      });
      expect(group.Properties.AlarmConfiguration.Enabled).toBe(true);
    }
  });

  it("gates each deployment on the alarms about what the new version does, never on state a fix must clear", () => {
    // Assess
    const alarms = alarmsNamed() as Record<string, Resource & { id: string }>;
    const groupAlarms = (alias: string) => {
      const group = resources[
        fn(alias).UpdatePolicy.CodeDeployLambdaAliasUpdate.DeploymentGroupName.Ref
      ] as Resource;
      return group.Properties.AlarmConfiguration.Alarms.map((a: { Name: { Ref: string } }) => a.Name.Ref);
    };
    const idOf = (name: string) => alarms[name]?.id;
    expect(groupAlarms(ids().ingestorAlias)).toEqual(["ingestor-errors"].map(idOf));
    expect(groupAlarms(ids().processorAlias).sort()).toEqual(
      [
        "processor-error-rate-critical",
        "processor-duration-p95",
        "processor-throttles",
        "processor-dead-lettering",
      ]
        .map(idOf)
        .sort(),
    );
  });
});

describe("Tidemark triggers", () => {
  it("ticks the ingestor's live alias every minute, with retries and its own encrypted DLQ", () => {
    // Assess
    const schedule = Object.values(resources).find(
      (r) =>
        r.Type === "AWS::Scheduler::Schedule" && r.Properties.Description === "Starts the Tidemark ingestor",
    ) as Resource;
    expect(schedule.Properties.ScheduleExpression).toBe("rate(1 minute)");
    expect(schedule.Properties.Target.Arn).toEqual({ Ref: ids().ingestorAlias });
    expect(schedule.Properties.Target.RetryPolicy).toEqual({
      MaximumRetryAttempts: 3,
      MaximumEventAgeInSeconds: 120,
    });
    const dlq = resources[schedule.Properties.Target.DeadLetterConfig.Arn["Fn::GetAtt"][0]] as Resource;
    expect(dlq.Type).toBe("AWS::SQS::Queue");
    expect(dlq.Properties.SqsManagedSseEnabled).toBe(true);
  });

  it("ticks the unproven-batch-age function's live alias every minute; it may only query the unproven index", () => {
    // Assess
    const t = prod.stacks.service.tidemark;
    const id = logicalId(t.functions.unprovenBatchAge);
    expect(env(id)).toMatchObject({
      POWERTOOLS_SERVICE_NAME: "unprovenBatchAge",
      STATE_TABLE: expect.anything(),
    });
    const schedule = Object.values(resources).find(
      (r) =>
        r.Type === "AWS::Scheduler::Schedule" &&
        r.Properties.Description === "Starts the Tidemark unproven-batch-age function",
    ) as Resource;
    expect(schedule.Properties.ScheduleExpression).toBe("rate(1 minute)");
    const alias = resources[schedule.Properties.Target.Arn.Ref] as Resource;
    expect(alias.Properties).toMatchObject({ Name: "live", FunctionName: { Ref: id } });
    const role = fn(id).Properties.Role["Fn::GetAtt"][0];
    const statements = Object.values(resources)
      .filter((r) => r.Type === "AWS::IAM::Policy" && r.Properties.Roles.some((x: Json) => x.Ref === role))
      .flatMap((r) => r.Properties.PolicyDocument.Statement as Json[]);
    const dynamo = statements.filter((st) => JSON.stringify(st.Action).includes("dynamodb:"));
    expect(dynamo.map((st) => st.Action)).toEqual([
      "dynamodb:Query",
      "dynamodb:UpdateItem",
      "dynamodb:DescribeTable",
    ]);
    expect(JSON.stringify(dynamo[0].Resource)).toContain("/index/unproven");
  });

  it("drops stale async ticks instead of queueing them behind a running ingestor", () => {
    // Assess
    prod.service.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      FunctionName: { Ref: ids().ingestor },
      Qualifier: { "Fn::Select": [7, { "Fn::Split": [":", { Ref: ids().ingestorAlias }] }] },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
  });

  it("feeds the processor's live alias from the FIFO queue in batches of 10 with partial failures", () => {
    // Assess
    // The other mapping (ServingApi's WebSocket fan-out) reads the state table's stream.
    const mappings = Object.values(resources).filter(
      (r) =>
        r.Type === "AWS::Lambda::EventSourceMapping" && !JSON.stringify(r.Properties).includes("StreamArn"),
    );
    expect(mappings).toHaveLength(1);
    const props = (mappings[0] as Resource).Properties;
    expect(props).toMatchObject({
      BatchSize: 10,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      ScalingConfig: { MaximumConcurrency: 16 },
    });
    expect(JSON.stringify(props.FunctionName)).toContain(ids().processorAlias);
    expect(JSON.stringify(props.FunctionName)).toContain(":live");
    expect(JSON.stringify(props.EventSourceArn)).toContain("EventQueue");
    expect(JSON.stringify(props.EventSourceArn)).not.toContain("DeadLetter");
  });
});

describe("Tidemark monitoring", () => {
  it("creates every alarm of the runbook, each notifying the one topic on ALARM and OK", () => {
    // Assess
    const alarms = alarmsNamed();
    expect(Object.keys(alarms).sort()).toEqual([...RUNBOOK_ALARMS].sort());
    const topics = Object.entries(resources).filter(([, r]) => r.Type === "AWS::SNS::Topic");
    expect(topics).toHaveLength(1);
    const topicRef = { Ref: topics[0]?.[0] };
    for (const alarm of Object.values(alarms)) {
      expect(alarm.Properties.AlarmActions).toEqual([topicRef]);
      expect(alarm.Properties.OKActions).toEqual([topicRef]);
    }
  });

  it("alarms on rows Firehose could not commit and on objects under firehose-errors/, notifying only", () => {
    // Assess
    const alarms = alarmsNamed();
    expect(watched(alarms["firehose-delivery-failed"])).toMatchObject({
      Namespace: "AWS/Firehose",
      MetricName: "DeliveryToIceberg.FailedRowCount",
      Dimensions: [{ Name: "DeliveryStreamName", Value: "tidemark-prod-sink" }],
      Stat: "Sum",
    });
    expect(watched(alarms["firehose-error-objects"])).toMatchObject({
      Namespace: "AWS/S3",
      MetricName: "PutRequests",
      Stat: "Sum",
    });
    expect(JSON.stringify(watched(alarms["firehose-error-objects"]).Dimensions)).toContain("firehose-errors");
    for (const key of ["firehose-delivery-failed", "firehose-error-objects"]) {
      expect(alarms[key]?.Properties).toMatchObject({
        Threshold: 0,
        ComparisonOperator: "GreaterThanThreshold",
      });
    }
    const gating = Object.values(resources)
      .filter((r) => r.Type === "AWS::CodeDeploy::DeploymentGroup")
      .flatMap((r) => r.Properties.AlarmConfiguration?.Alarms ?? []);
    expect(JSON.stringify(gating)).not.toContain("firehose");
  });

  it("treats a silent L2 stream and a silent proposer as breaching", () => {
    // Assess
    const alarms = alarmsNamed();
    expect(watched(alarms["no-new-l2-block"])).toEqual({
      MetricName: "BlocksIngested",
      Namespace: "Tidemark",
      Dimensions: [
        { Name: "chain", Value: "l2" },
        { Name: "service", Value: "ingestor" },
        { Name: "stage", Value: "prod" },
      ],
      Stat: "Sum",
      Period: 60,
    });
    expect(alarms["no-new-l2-block"]?.Properties).toMatchObject({
      ComparisonOperator: "LessThanThreshold",
      Threshold: 1,
      EvaluationPeriods: 10,
      TreatMissingData: "breaching",
    });
    // Either fork's proposals count: Pacaya batches and Shasta proposals, a gap in one read as 0.
    expect(mathOver(alarms["no-batch-proposed"])).toEqual({
      expression: "FILL(pacaya, 0) + FILL(shasta, 0)",
      metrics: { pacaya: "BatchesProposed/processor", shasta: "ShastaProposalsProposed/processor" },
    });
    expect(alarms["no-batch-proposed"]?.Properties).toMatchObject({
      EvaluationPeriods: 10,
      TreatMissingData: "breaching",
    });
  });

  it("alarms on a batch unproven for 3 hours and on ingest lag per chain", () => {
    // Assess
    const alarms = alarmsNamed();
    // The gauge comes from the scheduled unproven-batch-age function: its service is the dimension.
    // The gauges come from the scheduled unproven-batch-age function: both forks, the older one counts.
    expect(mathOver(alarms["batch-not-proven"])).toEqual({
      expression: "MAX([FILL(pacaya, 0), FILL(shasta, 0)])",
      metrics: {
        pacaya: "OldestUnprovenBatchAgeSeconds/unprovenBatchAge",
        shasta: "OldestUnfinalizedProposalAgeSeconds/unprovenBatchAge",
      },
    });
    expect(alarms["batch-not-proven"]?.Properties).toMatchObject({
      Threshold: 10_800,
      ComparisonOperator: "GreaterThanThreshold",
    });
    expect(watched(alarms["ingest-lag-l1"])).toMatchObject({
      MetricName: "IngestLagBlocks",
      Dimensions: [
        { Name: "chain", Value: "l1" },
        { Name: "service", Value: "ingestor" },
        { Name: "stage", Value: "prod" },
      ],
    });
  });

  it("computes the processor error rate as metric math with a 1 % warning and a 5 % critical level", () => {
    // Assess
    const alarms = alarmsNamed();
    for (const [name, threshold] of [
      ["processor-error-rate-warning", 1],
      ["processor-error-rate-critical", 5],
    ] as const) {
      const props = alarms[name]?.Properties;
      expect(props?.Threshold).toBe(threshold);
      const expression = props?.Metrics.find((m: { Expression?: string }) => m.Expression);
      expect(expression.Expression).toBe("IF(invocations > 0, 100 * errors / invocations, 0)");
      const names = props?.Metrics.filter((m: Json) => m.MetricStat).map(
        (m: Json) => m.MetricStat.Metric.MetricName,
      );
      expect(names.sort()).toEqual(["Errors", "Invocations"]);
    }
  });

  it("alarms on the processor's p95 duration below its timeout, and on throttles of Lambda and DynamoDB", () => {
    // Assess
    const alarms = alarmsNamed();
    expect(watched(alarms["processor-duration-p95"])).toMatchObject({ MetricName: "Duration", Stat: "p95" });
    expect(watched(alarms["processor-duration-p95"]).Dimensions).toContainEqual({
      Name: "Resource",
      Value: expect.objectContaining({ "Fn::Join": expect.anything() }),
    });
    expect(alarms["processor-duration-p95"]?.Properties.Threshold).toBe(20_000);
    expect(watched(alarms["processor-throttles"]).MetricName).toBe("Throttles");
    const tableMetrics = alarms["state-table-throttles"]?.Properties.Metrics.filter(
      (m: Json) => m.MetricStat,
    );
    expect(tableMetrics.map((m: Json) => m.MetricStat.Metric.MetricName).sort()).toEqual([
      "ReadThrottleEvents",
      "WriteThrottleEvents",
    ]);
  });
});

describe("Tidemark alarm topic and dashboard", () => {
  it("encrypts the topic with a rotating key that CloudWatch may use, and refuses non-TLS publishes", () => {
    // Assess
    const [topicId, topic] = Object.entries(resources).find(([, r]) => r.Type === "AWS::SNS::Topic") as [
      string,
      Resource,
    ];
    const key = resources[topic.Properties.KmsMasterKeyId["Fn::GetAtt"][0]] as Resource;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.Properties.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      }),
    );
    prod.service.hasResourceProperties("AWS::SNS::TopicPolicy", {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ]),
      },
    });
    prod.service.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "ops@example.com",
    });
  });

  it("draws one dashboard with pipeline health and chain metrics side by side", () => {
    // Assess
    const dashboards = Object.values(resources).filter((r) => r.Type === "AWS::CloudWatch::Dashboard");
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify((dashboards[0] as Resource).Properties.DashboardBody);
    for (const title of [
      "Pipeline health",
      "Chain",
      "L2 block cadence",
      "Batch posting cadence",
      "Prove and verify time",
      "Reorgs",
      "DLQ depth",
    ]) {
      expect(body).toContain(title);
    }
  });
  it("graphs the ingestor's per-chain counters with the dimensions they are emitted with, one line per chain", () => {
    // Assess: lambdas/ingestor records these with `{service, chain}`; a graph without `chain` stays empty.
    const [dashboard] = Object.values(resources).filter((r) => r.Type === "AWS::CloudWatch::Dashboard");
    const body: Json = dashboard?.Properties.DashboardBody;
    const text =
      typeof body === "string"
        ? body
        : (body["Fn::Join"][1] as Json[]).map((p) => (typeof p === "string" ? p : "<ref>")).join("");
    const line = (name: string, chain: string) => `"${name}","chain","${chain}","service","ingestor"`;
    for (const name of ["MessagesPublished", "RpcErrors", "LeaseContention"]) {
      for (const chain of ["l1", "l2"]) expect(text).toContain(line(name, chain));
    }
    expect(text).toContain(line("InboxEventsPublished", "l1"));
    expect(text).not.toMatch(
      /"(MessagesPublished|InboxEventsPublished|RpcErrors|LeaseContention)","service"/,
    );
  });
});

describe("Tidemark stateful resources (prod)", () => {
  it("encrypts both tables, keeps point-in-time recovery and TTL, and protects them from deletion", () => {
    // Assess
    const tables = Object.values(prod.stateful.toJSON().Resources as Record<string, Resource>).filter(
      (r) => r.Type === "AWS::DynamoDB::Table",
    );
    expect(tables.map((t) => t.Properties.KeySchema[0].AttributeName).sort()).toEqual(["id", "pk"]);
    for (const table of tables) {
      expect(table.Properties).toMatchObject({
        BillingMode: "PAY_PER_REQUEST",
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: "ttl", Enabled: true },
        DeletionProtectionEnabled: true,
      });
      expect(table.DeletionPolicy).toBe("Retain");
    }
  });

  it("keeps the sink bucket private, encrypted, TLS-only and access-logged", () => {
    // Assess
    const buckets = prod.stateful.findResources("AWS::S3::Bucket");
    expect(Object.keys(buckets)).toHaveLength(2);
    for (const bucket of Object.values(buckets)) {
      expect(bucket.Properties).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      });
    }
    prod.stateful.hasResourceProperties("AWS::S3::Bucket", {
      LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp("AccessLogs") } },
      VersioningConfiguration: { Status: "Enabled" },
    });
    const policies = Object.values(prod.stateful.findResources("AWS::S3::BucketPolicy"));
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
      );
    }
  });
});

describe("Tidemark props", () => {
  const newStack = () => new Stack(new App({ context: cdkJsonContext() }), "Props");

  it("lists every conflicting prop at once, before creating anything", () => {
    // Prepare
    const stack = newStack();

    // Act
    let error: unknown;
    try {
      new Tidemark(stack, "Tidemark", {
        entries: FIXTURE_ENTRIES,
        processorTimeout: Duration.seconds(60),
        visibilityTimeout: Duration.seconds(120),
        processorBatchSize: 20,
        processorMaxConcurrency: 1,
        ingestorTimeout: Duration.seconds(90),
        inboxAddress: "0x1234",
        alarmEmail: "nobody",
        alarmThresholds: { processorErrorRateWarningPercent: 5, processorErrorRateCriticalPercent: 5 },
      });
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(InvalidPropsError);
    const text = (error as InvalidPropsError).problems.join("\n");
    expect((error as InvalidPropsError).problems).toHaveLength(7);
    expect(text).toMatch(
      /visibilityTimeout is 120s but must be at least 6 × processorTimeout \(60s\) = 360s/,
    );
    expect(text).toMatch(/processorBatchSize is 20/);
    expect(text).toMatch(/processorMaxConcurrency is 1/);
    expect(text).toMatch(/ingestorTimeout \(90s\) must be shorter than scheduleRate \(60s\)/);
    expect(text).toMatch(/inboxAddress "0x1234"/);
    expect(text).toMatch(/alarmEmail "nobody"/);
    expect(text).toMatch(
      /processorErrorRateWarningPercent \(5\) must be below processorErrorRateCriticalPercent \(5\)/,
    );
    expect(stack.node.findAll().filter((c) => CfnResource.isCfnResource(c))).toEqual([]);
  });

  it("rejects storage settings when storage is passed in, and a storage queue too short for the processor", () => {
    // Prepare
    const stack = newStack();
    const storage = new TidemarkStorage(stack, "Storage", { processorTimeout: Duration.seconds(30) });

    // Act
    let error: unknown;
    try {
      new Tidemark(stack, "Tidemark", {
        entries: FIXTURE_ENTRIES,
        storage,
        maxReceiveCount: 5,
        deletionProtection: false,
        processorTimeout: Duration.seconds(60),
      });
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(InvalidPropsError);
    expect((error as Error).message).toMatch(
      /maxReceiveCount is a storage setting[\s\S]*deletionProtection is a storage setting[\s\S]*visibility timeout \(180s\) is below 6 × processorTimeout \(60s\) = 360s/,
    );
  });

  it("derives the p95 alarm and visibility from a custom processor timeout in a single-stack app", () => {
    // Prepare
    const stack = newStack();

    // Act
    const tidemark = new Tidemark(stack, "Tidemark", {
      entries: FIXTURE_ENTRIES,
      processorTimeout: Duration.seconds(60),
      namePrefix: "mark",
    });
    const template = Template.fromStack(stack);

    // Assess
    expect(tidemark.queue).toBe(tidemark.storage.queue);
    expect(Object.keys(tidemark.functions)).toEqual([
      "ingestor",
      "processor",
      "deployHook",
      "unprovenBatchAge",
    ]);
    expect(Object.keys(tidemark.aliases)).toEqual(["ingestor", "processor"]);
    template.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "mark-events.fifo",
      VisibilityTimeout: 360,
    });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "mark-processor-duration-p95",
      Threshold: 40_000,
    });
    template.hasResourceProperties("AWS::CodeDeploy::DeploymentGroup", {
      DeploymentConfigName: "CodeDeployDefault.LambdaCanary10Percent5Minutes",
    });
  });
});
