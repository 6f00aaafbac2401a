import { Logger } from "@aws-lambda-powertools/logger";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
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
import { type SynthesizedStage, synthStage, type TemplateResource } from "../synthStage.js";
import { EXTRA_LOCAL_NAMES, exerciseOtherFunctions } from "./exerciseFunctions.js";
import { type IamCall, recordSdkCalls } from "./sdkCallRecorder.js";
import { functionRoles, type Grant, globMatches, grantsOf, type LogicalNames } from "./templateGrants.js";

/**
 * The functions run here: the ingestor and processor by the local pipeline, the others after it on its
 * parts (exerciseFunctions.ts); the ones not run are listed, each with why, so the gap stays visible.
 */
const RUN_HERE = [
  ServiceName.ingestor,
  ServiceName.processor,
  ServiceName.unprovenBatchAge,
  ServiceName.ingestApi,
  ServiceName.ingestMaintenance,
  ServiceName.apiWebSocketRoutes,
  ServiceName.apiWebSocket,
  ServiceName.apiStream,
  "api",
] as const;
/** Run, but make no AWS call here: the API's SQL runs on DuckDB locally, on Athena on AWS (AWS_ONLY). */
const NO_AWS_CALLS_HERE: readonly string[] = ["api"];
const NOT_RUN_HERE: Readonly<Record<string, string>> = {
  [ServiceName.deployHook]:
    "it calls CodeDeploy (GetDeployment, PutLifecycleEventHookExecutionStatus) and invokes the new Lambda versions: neither service has a local stand-in; runPreTrafficHook.test.ts runs it on fakes, and the smoke tests it invokes run here",
};

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
  "processor s3:GetObject PayloadBucket/payloads/*":
    "claim-checked ingest API payloads are in S3 on AWS (awsS3.ts); local runs read a file store (localObjectStore)",
  // Every other function run here: the ingestor's and processor's entries above say the same in their words.
  ...Object.fromEntries(
    RUN_HERE.filter((f) => f !== ServiceName.ingestor && f !== ServiceName.processor).flatMap((f) => [
      [`${f} logs:* <*Logs*>`, "the Lambda runtime writes the function's logs, not its code"],
      [
        `${f} xray:* *`,
        "the Lambda service sends the traces Powertools Tracer records; X-Ray has no resource ARNs",
      ],
    ]),
  ),
  ...Object.fromEntries(
    ["api", ServiceName.apiStream].flatMap((f) => [
      [
        `${f} athena:* arn:*:athena:*:workgroup/*`,
        "the API's SQL runs on Athena on AWS (SINK=athena, athenaQueryable.ts); Athena has no local stand-in, so local runs query DuckDB",
      ],
      [
        `${f} glue:* arn:*:glue:*`,
        "Athena reads the Glue catalog's tables under the caller's role, as above",
      ],
      [
        `${f} s3:* <*SinkBucket*>*`,
        "Athena reads the Iceberg data and writes query results under the caller's role, as above",
      ],
    ]),
  ),
  "ingestApi secretsmanager:GetSecretValue SigningKey":
    "the signing key is read through Powertools getSecret on AWS (fetchSecretString.ts); local runs hand the handler the key",
  "ingestMaintenance secretsmanager:GetSecretValue SigningKey": "as the ingest API's",
  "apiWebSocket dynamodb:* StateTable.StreamArn":
    "the DynamoDB Streams event source mapping reads the state table's stream under the function's role (the fan-out is woken by it)",
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
  "ingestApi dynamodb:Query IngestTable/index/eventId-index":
    "a receipt is found through the eventId index only once its idempotency record has expired (eventStore.ts getEvent), days after a run",
  "ingestMaintenance dynamodb:Query IngestTable/index/eventId-index":
    "as the ingest API's (proofs look events up the same way)",
  "unprovenBatchAge dynamodb:UpdateItem StateTable":
    "an index entry whose batch is already proven or verified is taken out of the unproven index (oldestUnprovenBatch.ts staleCleared); the processor clears its own, so a short run leaves none",
  "ingestMaintenance sqs:SendMessage EventQueue":
    "the sweep sends what the request function accepted but could not send (outbox.ts); every send of this run succeeds, so the outbox is empty — ingestConcurrencyFaults.integration.test.ts fails sends",
  "ingestMaintenance dynamodb:BatchGetItem IngestTable":
    "the sweep reads the unsent events it re-sends, as SendMessage",
  "ingestMaintenance dynamodb:BatchWriteItem IngestTable":
    "the sweep deletes the entries it re-sent, as SendMessage",
  "processor dynamodb:PartiQLDelete IdempotencyTable":
    "a claim is released when applying its event fails retryably (idempotencyStore.ts; idempotencyStore.test.ts)",
};

const STAGE = "dev";
let synthesized: SynthesizedStage;
let calls: readonly IamCall[];
let unknownCalls: readonly string[];
let answers: Record<string, unknown> = {};

/** The resources the functions call, by the names the recorder gives them. */
function logicalNames(stage: SynthesizedStage): LogicalNames {
  const storage = stage.stacks.stateful.storage;
  const { ingestApi, api } = stage.stacks.service;
  const id = (c: IConstruct) =>
    Stack.of(c).getLogicalId((c instanceof CfnElement ? c : c.node.defaultChild) as CfnElement);
  if (!ingestApi || !api?.webSocket) throw new Error(`stage ${STAGE} has no ingest API or WebSocket stream`);
  return {
    [id(storage.pipelineTables.stateTable)]: "StateTable",
    [id(storage.pipelineTables.idempotencyTable)]: "IdempotencyTable",
    [id(storage.queue)]: "EventQueue",
    [id(storage.deadLetterQueue)]: "DeadLetterQueue",
    ...(storage.firehoseSink ? { [id(storage.firehoseSink.deliveryStream)]: "FirehoseStream" } : {}),
    [id(ingestApi.table)]: "IngestTable",
    [id(ingestApi.payloadBucket)]: "PayloadBucket",
    [id(ingestApi.signingKey)]: "SigningKey",
    [id(api.webSocket.connections)]: "ConnectionsTable",
    [id(api.webSocket.api)]: "WebSocketApi",
  };
}

/** A function's environment as the synthesized template sets it. */
function templateEnv(service: string): Readonly<Record<string, unknown>> {
  const resources: Record<string, TemplateResource> = synthesized.service.toJSON().Resources;
  const fn = Object.values(resources).find(
    (r) =>
      r.Type === "AWS::Lambda::Function" &&
      r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service,
  );
  if (!fn) throw new Error(`no function runs as ${service} in the ${STAGE} template`);
  return fn.Properties.Environment.Variables;
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
      [EXTRA_LOCAL_NAMES.ingestTable]: "IngestTable",
      [EXTRA_LOCAL_NAMES.ingestQueue]: "EventQueue",
      [EXTRA_LOCAL_NAMES.payloadBucket]: "PayloadBucket",
      [EXTRA_LOCAL_NAMES.connectionsTable]: "ConnectionsTable",
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
      // Then every other function, on the same parts; the clients their modules build are watched too.
      const restore = recorder.watchClientsCreatedBy(Object.getPrototypeOf(DynamoDBClient.prototype));
      try {
        answers = await exerciseOtherFunctions(pipeline, recorder, templateEnv);
      } finally {
        restore();
      }
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

/** The grants of every function run here, from a service template's resources (the synthesized one by default). */
function grantsOfRun(
  resources: Record<string, TemplateResource> = synthesized.service.toJSON().Resources,
): Grant[] {
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

/** The recorded calls no grant allows, one line each. */
const deniedCalls = (grants: readonly Grant[]): string[] => [
  ...new Set(
    calls
      .filter((c) => !grants.some((g) => allows(g, c)))
      .map((c) => `${c.caller} ${c.action} ${c.resource} keys [${[...new Set(c.leadingKeys)].join(", ")}]`),
  ),
];

/** A reviewed entry (`<function> <action glob> <resource glob>`) covers the grants it matches. */
const covers = (entry: string, g: Grant) => {
  const [caller, action, resource] = entry.split(" ") as [string, string, string];
  return caller === g.caller && globMatches(action, g.action, true) && globMatches(resource, g.resource);
};
const REVIEWED = [...Object.keys(AWS_ONLY), ...Object.keys(NOT_EXERCISED)];
const isReviewed = (g: Grant) => REVIEWED.some((entry) => covers(entry, g));

/**
 * The service template with `action` taken out of every statement of `roleId`'s policies (a statement
 * left without actions is dropped): what a construct that forgot that grant would synthesize.
 */
function withoutAction(
  resources: Record<string, TemplateResource>,
  roleId: string,
  action: string,
): Record<string, TemplateResource> {
  const copy: Record<string, TemplateResource> = structuredClone(resources);
  for (const r of Object.values(copy)) {
    const attached =
      r.Type === "AWS::IAM::Policy" && [r.Properties.Roles].flat().some((x) => x?.Ref === roleId);
    if (!attached) continue;
    const statements = [r.Properties.PolicyDocument.Statement].flat() as { Action: string | string[] }[];
    r.Properties.PolicyDocument.Statement = statements
      .map((st) => ({ ...st, Action: [st.Action].flat().filter((a) => a !== action) }))
      .filter((st) => st.Action.length > 0);
  }
  return copy;
}

describe("permissions contract: each function's role allows exactly the AWS calls its code makes", () => {
  it("maps every recorded call to an IAM action on a known resource, for every function run", () => {
    // Assess
    expect([...new Set(calls.map((c) => c.caller))].sort()).toEqual(
      RUN_HERE.filter((f) => !NO_AWS_CALLS_HERE.includes(f)).sort(),
    );
    expect([...new Set(unknownCalls)]).toEqual([]);
  });

  it("ran every other function to a normal answer, as Lambda would see it", () => {
    // Assess
    expect(answers).toMatchObject({
      unprovenBatchAge: [{ oldestUnprovenBatchAgeSeconds: expect.any(Number) }, { ok: true }],
      ingest: [200, 200, 200, 200, 200],
      serving: [
        ...Array.from({ length: 5 }, () => ({ statusCode: 200 })),
        { failed: 0, dropped: { slow_client: 1 } },
        { status: 200, event: true },
      ],
      api: { statusCode: 200 },
    });
  });

  it("allows every call the handlers made (action, resource and partition keys)", () => {
    // Assess
    expect(deniedCalls(grantsOfRun()).sort()).toEqual([]);
  });

  it("reports every action a function uses as denied once the construct stops granting it", () => {
    // Prepare: per function, each action one of its recorded calls needs.
    const resources = synthesized.service.toJSON().Resources;
    const roles = functionRoles(resources);
    const used = [
      ...new Set(
        grantsOfRun().flatMap((g) => (calls.some((c) => allows(g, c)) ? [`${g.caller} ${g.action}`] : [])),
      ),
    ];
    // Act: withdraw each from the function's role in the template, one at a time.
    const unreported = used.filter((key) => {
      const [caller, action] = key.split(" ") as [string, string];
      const denied = deniedCalls(grantsOfRun(withoutAction(resources, roles[caller] as string, action)));
      return !denied.some(
        (line) => line.startsWith(`${caller} `) && globMatches(action, line.split(" ")[1] ?? "", true),
      );
    });
    // Assess: every function run with calls has actions to withdraw, and each withdrawal is reported.
    expect([...new Set(used.map((k) => k.split(" ")[0]))].sort()).toEqual(
      RUN_HERE.filter((f) => !NO_AWS_CALLS_HERE.includes(f)).sort(),
    );
    expect(unreported).toEqual([]);
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
    const stale = REVIEWED.filter((entry) => {
      const matching = grants.filter((g) => covers(entry, g));
      return matching.length === 0 || matching.some((g) => calls.some((c) => allows(g, c)));
    });
    expect(stale).toEqual([]);
  });

  it("compares every function's role: the ones not run here are listed", () => {
    // Assess
    const roles = Object.keys(functionRoles(synthesized.service.toJSON().Resources)).sort();
    expect(roles).toEqual([...RUN_HERE, ...Object.keys(NOT_RUN_HERE)].sort());
  });
});
