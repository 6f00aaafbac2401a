import { Logger } from "@aws-lambda-powertools/logger";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { CfnElement, Stack } from "aws-cdk-lib";
import type { Context, SQSEvent } from "aws-lambda";
import type { IConstruct } from "constructs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIngestorHandler, loadIngestorRuntime } from "../../../lambdas/ingestor/handler.js";
import { loadProcessorConfig } from "../../../lambdas/processor/config.js";
import { createProcessorHandler } from "../../../lambdas/processor/createProcessorHandler.js";
import { ServiceName } from "../../../lambdas/shared/serviceNames.js";
import { DEFAULT_LOCAL_RESOURCE_NAMES } from "../../../scripts/local/provision.js";
import { CountingMetrics } from "../../../scripts/pipeline/countingMetrics.js";
import type { LocalPipeline } from "../../../scripts/pipeline/createLocalPipeline.js";
import { lambdaContext } from "../../../scripts/pipeline/lambdaContext.js";
import { runLocalPipeline } from "../../../scripts/pipeline/runLocalPipeline.js";
import { type SynthesizedStage, synthStage } from "../synthStage.js";
import { type IamCall, recordSdkCalls } from "./sdkCallRecorder.js";
import { functionRoles, type Grant, globMatches, grantsOf, type LogicalNames } from "./templateGrants.js";

/** The functions the local pipeline runs; the others are listed so the gap is visible and shrinks. */
const RUN_HERE = [ServiceName.ingestor, ServiceName.processor] as const;
const NOT_RUN_HERE: readonly string[] = [
  ServiceName.unprovenBatchAge,
  ServiceName.deployHook,
  "api",
  ServiceName.apiStream,
  ServiceName.apiWebSocketRoutes,
  ServiceName.apiWebSocket,
  ServiceName.ingestApi,
  ServiceName.ingestMaintenance,
];

/**
 * Reviewed: grants only the AWS side uses (no local run can make the call), each with why. Keyed
 * `<function> <action> <resource glob>`; an entry that matches no grant fails the test, so the list
 * cannot outlive the grant.
 */
const AWS_ONLY: Readonly<Record<string, string>> = {
  "ingestor logs:CreateLogStream <*Logs*>": "the Lambda runtime writes the function's logs, not its code",
  "ingestor logs:PutLogEvents <*Logs*>": "as CreateLogStream",
  "ingestor secretsmanager:GetSecretValue arn:*:secret:*/rpc-urls-??????":
    "the RPC URLs come from the secret on AWS (fetchSecretString); local runs pass L1_RPC_URLS/L2_RPC_URLS",
  "ingestor xray:PutTraceSegments *":
    "the Lambda service sends the traces Powertools Tracer records (tracing off outside Lambda); X-Ray has no resource ARNs",
  "ingestor xray:PutTelemetryRecords *": "as PutTraceSegments",
  "processor xray:PutTraceSegments *": "as the ingestor's",
  "processor xray:PutTelemetryRecords *": "as the ingestor's",
  "processor logs:CreateLogStream <*Logs*>": "the Lambda runtime writes the function's logs, not its code",
  "processor logs:PutLogEvents <*Logs*>": "as CreateLogStream",
  "processor sqs:ReceiveMessage EventQueue":
    "the SQS event source mapping polls under the function's role (the local poller stands in for it)",
  "processor sqs:DeleteMessage EventQueue": "the event source mapping deletes what the handler acknowledged",
  "processor sqs:GetQueueAttributes EventQueue": "the event source mapping reads the queue's attributes",
  "processor firehose:PutRecordBatch FirehoseStream":
    "the Firehose sink (SINK=firehose) writes rows on AWS; local runs write DuckDB (firehoseSink.ts, its own tests)",
  "processor firehose:DescribeDeliveryStream FirehoseStream":
    "the Firehose sink's health check in the smoke test (firehoseSink.ts)",
  "processor s3:GetObject <IngestApiPayloads*>/payloads/*":
    "claim-checked ingest API payloads are in S3 on AWS (awsS3.ts); local runs read a file store (localObjectStore)",
};

/**
 * Reviewed: calls the functions make on paths a short devnet run does not reach, each with the path and
 * the test that runs it on the local parts. Same key form as AWS_ONLY, and as honest: an entry whose
 * call the run made fails the test, so it leaves the list once the run covers it.
 */
const NOT_EXERCISED: Readonly<Record<string, string>> = {
  "ingestor sqs:SendMessage DeadLetterQueue":
    "a log that does not decode goes to the DLQ (rejections.ts); the devnet's logs all decode — the chaos bad-log fault and test/lambdas/ingestor/ingestChain.test.ts send them",
  "ingestor dynamodb:BatchGetItem StateTable":
    "published-hash items are read on a reorg deeper than the recent-hash window (publishedHashes.ts; deepReorg.integration.test.ts)",
  "ingestor dynamodb:PutItem StateTable":
    "a published-hash item is written once per 256 blocks (publishedHashes.ts), more than a short run mines (deepReorg.integration.test.ts)",
  "ingestor dynamodb:ConditionCheckItem StateTable": "as PutItem: the item's write is fenced by the cursor",
  "processor dynamodb:PartiQLDelete IdempotencyTable":
    "a claim is released when applying its event fails retryably (idempotencyStore.ts; idempotencyStore.test.ts)",
};

const STAGE = "dev";
let synthesized: SynthesizedStage;
let calls: readonly IamCall[];
let unknownCalls: readonly string[];

/** The stateful resources the functions call, by the names the recorder gives them. */
function logicalNames(stage: SynthesizedStage): LogicalNames {
  const storage = stage.stacks.stateful.storage;
  const id = (c: IConstruct) =>
    Stack.of(c).getLogicalId((c instanceof CfnElement ? c : c.node.defaultChild) as CfnElement);
  return {
    [id(storage.pipelineTables.stateTable)]: "StateTable",
    [id(storage.pipelineTables.idempotencyTable)]: "IdempotencyTable",
    [id(storage.queue)]: "EventQueue",
    [id(storage.deadLetterQueue)]: "DeadLetterQueue",
    ...(storage.firehoseSink ? { [id(storage.firehoseSink.deliveryStream)]: "FirehoseStream" } : {}),
  };
}

/** Both handlers' smoke tests (what the pre-traffic hook invokes), on the clients the run recorded. */
async function invokeSmokeTests(
  pipeline: LocalPipeline,
  clients: { sqs: SQSClient; ddb: DynamoDBClient },
  as: <T>(caller: string, run: () => T) => T,
): Promise<void> {
  const logger = new Logger({ logLevel: "SILENT" });
  const ingestor = createIngestorHandler({
    logger,
    metrics: new CountingMetrics(ServiceName.ingestor),
    runtime: () => loadIngestorRuntime({ ...clients, env: pipeline.env }),
  });
  const processor = createProcessorHandler({
    config: loadProcessorConfig(pipeline.env),
    ...clients,
    sinkFactory: async () => pipeline.sink,
    logger,
    metrics: new CountingMetrics(ServiceName.processor),
  });
  const smoke = { smoke: true };
  const results = [
    await as(ServiceName.ingestor, () => ingestor(smoke, lambdaContext("tidemark-ingestor", 10_000))),
    await as(ServiceName.processor, () =>
      processor(smoke as unknown as SQSEvent, lambdaContext("tidemark-processor", 10_000)),
    ),
  ];
  expect(results).toMatchObject([{ ok: true }, { ok: true }]);
}

beforeAll(async () => {
  synthesized = synthStage(STAGE);
  const recorder = recordSdkCalls({
    resources: {
      [DEFAULT_LOCAL_RESOURCE_NAMES.stateTable]: "StateTable",
      [DEFAULT_LOCAL_RESOURCE_NAMES.idempotencyTable]: "IdempotencyTable",
      [DEFAULT_LOCAL_RESOURCE_NAMES.queue]: "EventQueue",
      [DEFAULT_LOCAL_RESOURCE_NAMES.deadLetterQueue]: "DeadLetterQueue",
    },
    // The pipeline's clients serve only the two handlers; the processor's calls are marked below.
    defaultCaller: ServiceName.ingestor,
  });
  let clients: { sqs: SQSClient; ddb: DynamoDBClient } | undefined;
  // Act: the local pipeline (ingestor and processor handlers, the factories Lambda runs) over a devnet
  // with reorgs, poison and duplicates; then both smoke tests.
  const result = await runLocalPipeline({
    durationMs: 6_000,
    seed: 2,
    poisonMessages: 1,
    duplicateProbability: 0.2,
    // The dev stage serves the live stream, so its processor appends to the event log: so does this run.
    eventLog: true,
    hooks: {
      wrapClients: (c) => {
        clients = c;
        recorder.watch(c.sqs);
        recorder.watch(c.ddb);
      },
      wrapProcessor: (handler) => (event: SQSEvent, context: Context) =>
        recorder.as(ServiceName.processor, () => handler(event, context)),
    },
    afterVerify: async (pipeline) => {
      if (!clients) throw new Error("the pipeline never handed over its clients");
      await invokeSmokeTests(pipeline, clients, recorder.as);
    },
  });
  // What the run verified is other tests' concern (a loaded machine may dead-letter a slow message);
  // this one needs the calls it made, and that it processed events.
  expect(result.counters.processed).toBeGreaterThan(0);
  calls = recorder.calls();
  unknownCalls = recorder.unknown();
}, 600_000);

afterAll(() => undefined);

const grantKey = (g: Grant) => `${g.caller} ${g.action} ${g.resource}`;

function grantsOfRun(): Grant[] {
  const resources = synthesized.service.toJSON().Resources;
  const roles = functionRoles(resources);
  const names = logicalNames(synthesized);
  return RUN_HERE.flatMap((caller) => grantsOf(resources, caller, roles[caller] as string, names));
}

/** A grant allows a call when action and resource match and every partition key it names is within the fence. */
const allows = (g: Grant, c: IamCall) =>
  g.caller === c.caller &&
  globMatches(g.action, c.action, true) &&
  globMatches(g.resource, c.resource) &&
  (g.leadingKeys === undefined || c.leadingKeys.every((k) => g.leadingKeys?.some((p) => globMatches(p, k))));

const isReviewed = (g: Grant) =>
  [...Object.keys(AWS_ONLY), ...Object.keys(NOT_EXERCISED)].some((entry) => {
    const [caller, action, resource] = entry.split(" ") as [string, string, string];
    return caller === g.caller && action === g.action && globMatches(resource, g.resource);
  });

describe("permissions contract: each function's role allows exactly the AWS calls its code makes", () => {
  it("maps every recorded call to an IAM action on a known resource", () => {
    // Assess
    expect(calls.length).toBeGreaterThan(0);
    expect([...new Set(unknownCalls)]).toEqual([]);
  });

  it("allows every call the handlers made (action, resource and partition keys)", () => {
    // Assess
    const grants = grantsOfRun();
    const denied = calls
      .filter((c) => !grants.some((g) => allows(g, c)))
      .map((c) => `${c.caller} ${c.action} ${c.resource} keys [${[...new Set(c.leadingKeys)].join(", ")}]`);
    expect([...new Set(denied)].sort()).toEqual([]);
  });

  it("allows nothing the handlers never call, but the reviewed AWS-only and not-exercised grants", () => {
    // Assess
    const unused = grantsOfRun()
      .filter((g) => !calls.some((c) => allows(g, c)) && !isReviewed(g))
      .map(grantKey);
    expect([...new Set(unused)].sort()).toEqual([]);
  });

  it("keeps the reviewed lists honest: each entry matches a grant no recorded call uses", () => {
    // Assess
    const grants = grantsOfRun();
    const stale = [...Object.keys(AWS_ONLY), ...Object.keys(NOT_EXERCISED)].filter((entry) => {
      const matching = grants.filter((g) => isReviewed(g) && entry.startsWith(`${g.caller} ${g.action} `));
      return matching.length === 0 || matching.some((g) => calls.some((c) => allows(g, c)));
    });
    expect(stale).toEqual([]);
  });

  it("compares every function's role: the ones not run here are listed", () => {
    // Assess
    const roles = Object.keys(functionRoles(synthesized.service.toJSON().Resources)).sort();
    expect(roles).toEqual([...RUN_HERE, ...NOT_RUN_HERE].sort());
  });
});
