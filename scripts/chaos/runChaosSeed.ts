import { randomUUID } from "node:crypto";
import { Logger } from "@aws-lambda-powertools/logger";
import {
  type AttributeValue,
  DynamoDBClient,
  ScanCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { createPublicClient, http } from "viem";
import { createChainClient } from "../../lambdas/ingestor/chainReader.js";
import { loadIngestorConfig } from "../../lambdas/ingestor/config.js";
import { cursorKey } from "../../lambdas/ingestor/cursorStore.js";
import { createIngestorHandler, type IngestorEvent } from "../../lambdas/ingestor/handler.js";
import type { IngestorReport } from "../../lambdas/ingestor/ingestor.js";
import { loadProcessorConfig } from "../../lambdas/processor/config.js";
import { createProcessorHandler } from "../../lambdas/processor/createProcessorHandler.js";
import type { Chain } from "../../lambdas/shared/events.js";
import {
  createFaultInjector,
  FAULT_POINTS,
  type FaultPointName,
  isInjectedCrash,
} from "../../lambdas/shared/faultPoints.js";
import { MessageAttribute } from "../../lambdas/shared/messageAttributes.js";
import { ProcessorMetric } from "../../lambdas/shared/metricNames.js";
import { ServiceName } from "../../lambdas/shared/serviceNames.js";
import { StateTable } from "../../lambdas/shared/tables.js";
import { createDuckDbSink } from "../../lambdas/sink/duckdbSink.js";
import { createDevnet } from "../devnet/createDevnet.js";
import { createPrng } from "../devnet/createPrng.js";
import { createEventSourcePoller, HandlerTimeoutError } from "../local/eventSourcePoller.js";
import { localAwsConfig } from "../local/localAwsConfig.js";
import { startLocalParts } from "../local/localParts.js";
import { redriveDlq } from "../ops/redriveDlq.js";
import { CountingMetrics } from "../pipeline/countingMetrics.js";
import { lambdaContext } from "../pipeline/lambdaContext.js";
import { POISON_BODIES, sendPoison } from "../pipeline/sendPoison.js";
import { type VerifyReport, verifyAgainstChain } from "../pipeline/verifyAgainstChain.js";
import { addAwsFaults, createAwsFaultControl } from "./awsFaults.js";
import {
  type ChaosSchedule,
  type ChaosScheduleOptions,
  chaosSchedule,
  describeSchedule,
} from "./chaosSchedule.js";
import { type FaultyRpcProxy, startFaultyRpcProxy } from "./faultyRpcProxy.js";
import { createFaultySink, createSinkFaultControl } from "./faultySink.js";

export interface ChaosSeedResult {
  readonly seed: number;
  readonly ok: boolean;
  /** Every broken guarantee; empty when ok. */
  readonly problems: readonly string[];
  readonly schedule: ChaosSchedule;
  /** Faults that actually happened, by kind. */
  readonly injected: Readonly<Record<string, number>>;
  /** Canonical rows (headers, inbox events, batch blocks) and orphaned blocks checked against the chain. */
  readonly eventsChecked: number;
  readonly verification: VerifyReport | undefined;
  readonly counters: Readonly<Record<string, number>>;
  readonly durationMs: number;
  /** Wall-clock seconds per phase (starting, running, settling, …), to see where a slow seed spent its time. */
  readonly phaseSeconds: Readonly<Record<string, number>>;
}

export interface RunChaosSeedOptions extends ChaosScheduleOptions {
  /** Called with one-line notes as the run goes (phase changes). */
  readonly onNote?: (note: string) => void;
}

/** Short leases and timeouts so that a crashed step is retried within seconds. */
const VISIBILITY_TIMEOUT_S = 4;
const CLAIM_TIMEOUT_S = 3;
const LEASE_S = 5;
const INGESTOR_EVERY_MS = 1_000;
const INGESTOR_BUDGET_MS = 2_500;
/** Wall-clock pause between devnet blocks, so that ingestion interleaves with the story. */
const PACING_MS = 12;
const LOG_LEVEL = (process.env.POWERTOOLS_LOG_LEVEL ?? "SILENT") as "SILENT";

/**
 * One seed of the chaos suite: the devnet story with faults injected as the seed's schedule says,
 * then the causes fixed, the queue drained, the DLQ redriven, and guarantees 1–5 checked against the
 * canonical chain. The handlers and stores are the production code; faults enter only at the
 * boundaries (SDK middleware, an RPC proxy, a sink wrapper, the crash points) and by direct actions
 * (lease loss, poison, duplicate publishes, extra ingestors).
 */
export async function runChaosSeed(
  seed: number,
  options: RunChaosSeedOptions = {},
): Promise<ChaosSeedResult> {
  const t0 = Date.now();
  const phaseSeconds: Record<string, number> = {};
  let phase = { name: "starting", since: t0 };
  const endPhase = () => {
    phaseSeconds[phase.name] = (Date.now() - phase.since) / 1000;
  };
  const note = (name: string) => {
    endPhase();
    phase = { name, since: Date.now() };
    options.onNote?.(name);
  };
  const schedule = chaosSchedule(seed, options);
  const random = createPrng(`chaos-draws:${seed}`).next;
  const injected: Record<string, number> = {};
  const count = (kind: string, n = 1) => {
    injected[kind] = (injected[kind] ?? 0) + n;
  };
  const problems: string[] = [];
  const cleanup: (() => Promise<unknown>)[] = [];
  let verification: VerifyReport | undefined;
  let eventsChecked = 0;
  const counters: Record<string, number> = {};

  try {
    const parts = await startLocalParts({ visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_S });
    cleanup.push(() => parts.stop());
    const queueUrl = parts.resources.queueUrl;
    const dlqUrl = parts.resources.dlqUrl;
    const harnessSqs = parts.sqs.client;
    const harnessDdb = parts.dynamodb.client;

    const devnet = createDevnet({ l1Url: parts.l1.url, l2Url: parts.l2.url, seed, knobs: schedule.knobs });
    const addresses = await devnet.deploy();

    // Two RPC URLs per chain, each a proxy that can fail on its own.
    const proxies: Record<Chain, FaultyRpcProxy[]> = { l1: [], l2: [] };
    for (const chain of ["l1", "l2"] as const) {
      for (let i = 0; i < 2; i++) {
        const proxy = await startFaultyRpcProxy({ upstream: parts[chain].url, holdMs: 2_000 });
        cleanup.unshift(() => proxy.stop());
        proxies[chain].push(proxy);
      }
    }

    const env: Record<string, string> = {
      ...parts.env(),
      L1_RPC_URLS: proxies.l1.map((p) => p.url).join(","),
      L2_RPC_URLS: proxies.l2.map((p) => p.url).join(","),
      INBOX_ADDRESS: addresses.inbox,
      INBOX_WRAPPER_ADDRESS: addresses.wrapper,
      L1_START_BLOCK: "0",
      L2_START_BLOCK: "0",
      POLL_INTERVAL_MS: "100",
      TIME_RESERVE_MS: "200",
      LEASE_SECONDS: String(LEASE_S),
      MAX_BLOCKS_PER_RANGE: "40",
      CONFIRMATIONS: "0",
      SINK: "duckdb",
      DUCKDB_PATH: parts.duckdbPath,
      CLAIM_TIMEOUT_SECONDS: String(CLAIM_TIMEOUT_S),
    };

    // The pipeline's own AWS clients carry the injected faults; the harness uses clean ones.
    const aws = createAwsFaultControl();
    const ddb = new DynamoDBClient(localAwsConfig(parts.dynamodb.endpoint));
    const sqs = new SQSClient(localAwsConfig(parts.sqs.endpoint));
    cleanup.unshift(async () => ddb.destroy());
    cleanup.unshift(async () => sqs.destroy());
    addAwsFaults(ddb, "dynamodb", aws, random);
    addAwsFaults(sqs, "sqs", aws, random);

    // Duplicate publishes, after what SQS really accepted: same dedup id (SQS drops it) or a new one.
    const replays: Promise<unknown>[] = [];
    let duplicatesOn = true;
    sqs.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const input = args.input as { QueueUrl?: string; Entries?: SendMessageBatchRequestEntry[] };
        const output = result.output as { Successful?: { Id?: string }[] };
        if (!duplicatesOn || input.QueueUrl !== queueUrl || !Array.isArray(input.Entries)) return result;
        const sent = new Set((output.Successful ?? []).map((s) => s.Id));
        for (const entry of input.Entries) {
          if (!sent.has(entry.Id)) continue;
          const same = random() < schedule.duplicates.sameId;
          const fresh = random() < schedule.duplicates.newId;
          if (same) {
            count("duplicate:sameDedupId");
            replays.push(resend(harnessSqs, queueUrl, entry, entry.MessageDeduplicationId as string));
          }
          if (fresh) {
            count("duplicate:newDedupId");
            replays.push(resend(harnessSqs, queueUrl, entry, `${entry.MessageDeduplicationId}-again`));
          }
        }
        return result;
      },
      { step: "initialize", name: "chaosDuplicatePublisher" },
    );

    const duck = await createDuckDbSink({ path: parts.duckdbPath });
    cleanup.unshift(() => duck.close());
    const sinkFaults = createSinkFaultControl();
    const sink = createFaultySink(duck, sinkFaults, random);

    // --- the crash points: the runtime dies at the scheduled hits.
    const hits = Object.fromEntries(FAULT_POINTS.map((p) => [p, 0])) as Record<FaultPointName, number>;
    const crashAt = Object.fromEntries(FAULT_POINTS.map((p) => [p, new Set(schedule.crashes[p])])) as Record<
      FaultPointName,
      Set<number>
    >;
    let crashesOn = true;
    const faults = createFaultInjector((point) => {
      if (!crashesOn) return false;
      hits[point]++;
      const dies = crashAt[point].has(hits[point]);
      if (dies) count(`crash:${point}`);
      return dies;
    });

    // --- ingestors: each slot is a container; a crashed one is replaced by a fresh container (new owner).
    const ingestorMetrics = new CountingMetrics("ingestor");
    const config = loadIngestorConfig(env);
    const newIngestor = () => {
      const owner = `chaos:${randomUUID()}`;
      const clients = {
        l1: createChainClient({
          urls: config.rpc.kind === "urls" ? config.rpc.urls.l1 : [],
          timeoutMs: 1_000,
          retryDelayMs: 50,
        }),
        l2: createChainClient({
          urls: config.rpc.kind === "urls" ? config.rpc.urls.l2 : [],
          timeoutMs: 1_000,
          retryDelayMs: 50,
        }),
      };
      return createIngestorHandler({
        logger: new Logger({ serviceName: ServiceName.ingestor, logLevel: LOG_LEVEL }),
        metrics: ingestorMetrics,
        runtime: { config, clients, sqs, ddb, owner, faults },
      });
    };
    const slots = [newIngestor(), newIngestor(), newIngestor()];
    const heads = { l1: 0, l2: 0 };
    const ingestStats = { invocations: 0, leaseStandDowns: 0, failedInvocations: 0 };
    const running = new Set<Promise<void>>();
    const invoke = (budgetMs: number) => {
      const slot = ingestStats.invocations++ % slots.length;
      const handler = slots[slot] as ReturnType<typeof newIngestor>;
      const p = (async () => {
        try {
          const report = (await handler(
            {} as IngestorEvent,
            lambdaContext("tidemark-ingestor", budgetMs),
          )) as IngestorReport;
          for (const chain of report.chains) {
            if (chain.status === "lease-held") ingestStats.leaseStandDowns++;
            if (chain.next !== undefined) heads[chain.chain] = Math.max(heads[chain.chain], chain.next);
          }
        } catch (error) {
          if (isInjectedCrash(error)) slots[slot] = newIngestor();
          else ingestStats.failedInvocations++;
        }
      })();
      running.add(p);
      void p.finally(() => running.delete(p));
    };

    // --- processor behind the local event source (the event source itself is AWS's: clean client).
    const processorMetrics = new CountingMetrics("processor");
    const processor = createProcessorHandler({
      config: loadProcessorConfig(env),
      ddb,
      sqs,
      sinkFactory: async () => sink,
      logger: new Logger({ serviceName: ServiceName.processor, logLevel: LOG_LEVEL }),
      metrics: processorMetrics,
      faults,
    });
    let processorCrashes = 0;
    let processorTimeouts = 0;
    // Guarantee 5 is checked per message: each redriven message (it names its DLQ message in the
    // `redrivenFrom` attribute) must be acknowledged by the event source exactly once.
    const redrivenFrom = new Map<string, string>();
    const redriveAcks = new Map<string, number>();
    let redriving = false;
    let otherAcksDuringRedrive = 0;
    const poller = createEventSourcePoller({
      sqs: harnessSqs,
      queueUrl,
      queueArn: parts.resources.queueArn,
      handler: (event: SQSEvent, context: Context) => {
        for (const r of event.Records) {
          const from = r.messageAttributes[MessageAttribute.RedrivenFrom]?.stringValue;
          if (from !== undefined) redrivenFrom.set(r.messageId, from);
        }
        return processor(event, context) as Promise<SQSBatchResponse>;
      },
      concurrency: 3,
      waitTimeSeconds: 1,
      timeoutMs: CLAIM_TIMEOUT_S * 1000,
      onBatch: (outcome) => {
        if (isInjectedCrash(outcome.error)) processorCrashes++;
        if (outcome.error instanceof HandlerTimeoutError) processorTimeouts++;
        if (!redriving) return;
        for (const id of outcome.deletedIds) {
          const from = redrivenFrom.get(id);
          if (from === undefined) otherAcksDuringRedrive++;
          else redriveAcks.set(from, (redriveAcks.get(from) ?? 0) + 1);
        }
      },
      onError: () => undefined,
    });
    poller.start();
    cleanup.unshift(() => poller.stop());

    // --- the story, with the schedule applied block by block.
    note("running");
    const poisonSent: string[] = [];
    const scheduler = setInterval(() => invoke(INGESTOR_BUDGET_MS), INGESTOR_EVERY_MS);
    cleanup.unshift(async () => clearInterval(scheduler));
    invoke(INGESTOR_BUDGET_MS);
    for (let block = 0; block < schedule.l2Blocks; block++) {
      applyWindows(schedule, block, { aws, sinkFaults, proxies });
      for (const p of schedule.poison.filter((x) => x.atBlock === block)) {
        poisonSent.push(...(await sendPoison(harnessSqs, queueUrl, p.count, p.offset)));
        count("poison", p.count);
      }
      for (const steal of schedule.leaseSteals.filter((s) => s.atBlock === block)) {
        if (await expireLease(harnessDdb, parts.resources.stateTable, steal.chain)) count("leaseLost");
      }
      for (const _ of schedule.extraIngestors.filter((b) => b === block)) {
        count("concurrentIngestor");
        invoke(INGESTOR_BUDGET_MS);
      }
      await devnet.step();
      await sleep(PACING_MS);
    }

    // --- the causes are fixed: no more faults from here on.
    note("settling");
    applyWindows(schedule, Number.POSITIVE_INFINITY, { aws, sinkFaults, proxies });
    crashesOn = false;
    duplicatesOn = false;
    await devnet.settle();
    clearInterval(scheduler);
    await Promise.all(running);

    note("catching up");
    const l1 = createPublicClient({ transport: http(parts.l1.url) });
    const l2 = createPublicClient({ transport: http(parts.l2.url) });
    const target = { l1: Number(await l1.getBlockNumber()), l2: Number(await l2.getBlockNumber()) };
    for (let round = 0; heads.l1 <= target.l1 || heads.l2 <= target.l2; round++) {
      if (round >= 30) {
        problems.push(
          `ingestor did not reach the head (l1 ${heads.l1}/${target.l1}, l2 ${heads.l2}/${target.l2})`,
        );
        break;
      }
      invoke(3_000);
      await Promise.all(running);
    }

    note("draining");
    await Promise.all(replays);
    await poller.drain({ idleMs: 1_000, timeoutMs: 90_000 });

    // Guarantee 5: redrive the whole DLQ after the fix; poison returns to it once, the rest is applied once.
    note("redriving");
    const exhausted = { count: 0 };
    redriving = true;
    const redrive = await redriveDlq(harnessSqs, {
      dlqUrl,
      queueUrl,
      filter: (m) => {
        const reason = m.MessageAttributes?.errorType?.StringValue;
        // Moved by SQS itself after maxReceiveCount receives: no reason attributes.
        if (reason === undefined) exhausted.count++;
        else if (reason === "InjectedSinkRejection") count("sinkRejectDeadLettered");
        return true;
      },
    });
    if (exhausted.count > 0) count("exhaustedToDlqBySqs", exhausted.count);
    await poller.drain({ idleMs: 1_000, timeoutMs: 60_000 });
    const wrongAcks = redrive.movedIds
      .map((id) => [id, redriveAcks.get(id) ?? 0] as const)
      .filter(([, n]) => n !== 1);
    if (wrongAcks.length > 0) {
      problems.push(
        `${wrongAcks.length} of ${redrive.moved} redriven messages not acknowledged exactly once (e.g. ${wrongAcks
          .slice(0, 3)
          .map(([id, n]) => `${id}: ${n}×`)
          .join(", ")})`,
      );
    }

    note("verifying");
    // Consumed, not peeked: a FIFO group's later messages show only once the earlier ones are deleted.
    problems.push(...checkDlq(await takeAll(harnessSqs, dlqUrl), poisonSent.length, schedule));

    verification = await verifyAgainstChain({
      l1Url: parts.l1.url,
      l2Url: parts.l2.url,
      inboxAddresses: [addresses.inbox, addresses.wrapper],
      l1Range: { from: 0, to: heads.l1 - 1 },
      l2Range: { from: 0, to: heads.l2 - 1 },
      query: (sql) => duck.query(sql),
    });
    for (const t of verification.tables) {
      eventsChecked += t.expected;
      if (t.missing.length + t.unexpected.length + t.duplicates.length > 0) {
        problems.push(
          `${t.table}: ${t.missing.length} missing, ${t.unexpected.length} unexpected, ${t.duplicates.length} duplicated (e.g. ${[...t.missing, ...t.unexpected, ...t.duplicates].slice(0, 3).join("; ")})`,
        );
      }
    }
    for (const chain of ["l1", "l2"] as const) {
      const o = verification.orphans[chain];
      eventsChecked += o.offChain;
      if (o.unmarked.length > 0) problems.push(`${chain}: ${o.unmarked.length} orphaned blocks not marked`);
    }

    // An applied record whose completion write failed keeps an IN_PROGRESS item by design; its claim must
    // have expired (a later copy retakes it), never hold the event forever.
    const claims = await claimsInProgress(harnessDdb, parts.resources.idempotencyTable);
    const live = claims.filter(
      (c) => c.claimExpiresAt === undefined || c.claimExpiresAt > Date.now() + CLAIM_TIMEOUT_S * 1000,
    );
    if (live.length > 0)
      problems.push(`${live.length} idempotency item(s) IN_PROGRESS with a claim that never expires`);
    counters.unrecordedCompletions = claims.length;

    const newIdDuplicates = injected["duplicate:newDedupId"] ?? 0;
    const dropped = processorMetrics.total(ProcessorMetric.DuplicatesDropped);
    // A copy is dropped as a duplicate, or, when the first copy's completion write was lost (throttled),
    // re-applied idempotently after retaking the expired claim; the sink check above catches any double row.
    const retaken = processorMetrics.total(ProcessorMetric.ExpiredClaimsRetaken);
    if (dropped + retaken < newIdDuplicates) {
      problems.push(
        `${newIdDuplicates} duplicates published past the window, only ${dropped} dropped and ${retaken} retaken`,
      );
    }

    for (const [kind, n] of Object.entries(aws.injected)) count(kind, n);
    for (const [kind, n] of Object.entries(sinkFaults.injected)) count(kind, n);
    for (const chain of ["l1", "l2"] as const) {
      for (const proxy of proxies[chain])
        for (const [mode, n] of Object.entries(proxy.faults)) count(`rpc:${mode}`, n);
    }
    Object.assign(counters, {
      ingestorInvocations: ingestStats.invocations,
      leaseStandDowns: ingestStats.leaseStandDowns,
      failedIngestorInvocations: ingestStats.failedInvocations,
      processorCrashes,
      processorTimeouts,
      otherAcksDuringRedrive,
      processed: processorMetrics.total(ProcessorMetric.RecordsProcessed),
      duplicatesDropped: dropped,
      retried: processorMetrics.total(ProcessorMetric.RecordsRetried),
      deadLettered: processorMetrics.total(ProcessorMetric.RecordsDeadLettered),
      expiredClaimsRetaken: processorMetrics.total(ProcessorMetric.ExpiredClaimsRetaken),
      redriven: redrive.moved,
      l2Blocks: heads.l2,
      l1Blocks: heads.l1,
      reorgsL1: devnet.stats.reorgs.l1.total,
      reorgsL2: devnet.stats.reorgs.l2.total,
    });
  } catch (error) {
    problems.push(
      `the run itself failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  } finally {
    note("stopping");
    for (const step of cleanup) await step().catch(() => undefined);
    endPhase();
  }
  return {
    seed,
    ok: problems.length === 0,
    problems,
    schedule,
    injected,
    eventsChecked,
    verification,
    counters,
    durationMs: Date.now() - t0,
    phaseSeconds,
  };
}

/** Switch every fault to what the schedule says for this block (all off past the end). */
function applyWindows(
  schedule: ChaosSchedule,
  block: number,
  c: {
    aws: ReturnType<typeof createAwsFaultControl>;
    sinkFaults: ReturnType<typeof createSinkFaultControl>;
    proxies: Record<Chain, FaultyRpcProxy[]>;
  },
): void {
  const active = schedule.windows.filter((w) => w.from <= block && block < w.to);
  const sum = (kind: string) =>
    active.filter((w) => w.kind === kind).reduce((s, w) => s + ("probability" in w ? w.probability : 0), 0);
  c.aws.throttle = Math.max(sum("dynamoThrottle"), sum("sqsThrottle"));
  c.aws.partial = Math.max(sum("dynamoPartial"), sum("sqsPartial"));
  c.sinkFaults.down = active.some((w) => w.kind === "sinkDown");
  c.sinkFaults.delayMs = Math.max(0, ...active.map((w) => (w.kind === "sinkSlow" ? w.delayMs : 0)));
  c.sinkFaults.reject = sum("sinkReject");
  for (const chain of ["l1", "l2"] as const) {
    c.proxies[chain].forEach((proxy, i) => {
      const w = active.find((x) => x.kind === "rpc" && x.chain === chain && x.proxy === i);
      proxy.setMode(w?.kind === "rpc" ? w.mode : "ok");
    });
  }
}

/** Lease loss mid-run: the lease is expired under whoever holds it, so another ingestor may take over. */
async function expireLease(ddb: DynamoDBClient, table: string, chain: Chain): Promise<boolean> {
  try {
    await ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { [StateTable.partitionKey]: { S: cursorKey(chain) } },
        UpdateExpression: "SET leaseExpiresAt = :past",
        ConditionExpression: "attribute_exists(leaseOwner)",
        ExpressionAttributeValues: { ":past": { N: "0" } },
      }),
    );
    return true;
  } catch {
    return false; // nobody held it: nothing to lose
  }
}

async function resend(
  sqs: SQSClient,
  queueUrl: string,
  entry: SendMessageBatchRequestEntry,
  dedupId: string,
) {
  await sleep(50);
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: entry.MessageBody,
      MessageGroupId: entry.MessageGroupId,
      MessageDeduplicationId: dedupId,
      MessageAttributes: entry.MessageAttributes,
    }),
  );
}

/** After the redrive the DLQ holds exactly the poison, each once, with the reason it failed. */
function checkDlq(
  messages: readonly { body: string; errorType: string | undefined; errorMessage: string | undefined }[],
  poisonSent: number,
  schedule: ChaosSchedule,
): string[] {
  const problems: string[] = [];
  const expected = new Map<string, number>();
  for (const p of schedule.poison) {
    for (let i = 0; i < p.count; i++) {
      const body = (POISON_BODIES[(p.offset + i) % POISON_BODIES.length] as (typeof POISON_BODIES)[number])
        .body;
      expected.set(body, (expected.get(body) ?? 0) + 1);
    }
  }
  if (messages.length !== poisonSent)
    problems.push(`DLQ holds ${messages.length} messages, ${poisonSent} poison were sent`);
  for (const m of messages) {
    const kind = POISON_BODIES.find((p) => p.body === m.body);
    if (!kind) {
      problems.push(
        `a non-poison message is in the DLQ (${m.errorType ?? "no reason"}): ${m.body.slice(0, 120)}`,
      );
      continue;
    }
    expected.set(m.body, (expected.get(m.body) ?? 0) - 1);
    if (m.errorType !== kind.errorType || !m.errorMessage) {
      problems.push(
        `poison dead-lettered as ${m.errorType ?? "(no reason)"}, expected ${kind.errorType} with a message`,
      );
    }
  }
  for (const [body, left] of expected) {
    if (left !== 0)
      problems.push(
        `poison ${body.slice(0, 40)}…: ${left > 0 ? `${left} missing from` : `${-left} extra in`} the DLQ`,
      );
  }
  return problems;
}

async function claimsInProgress(
  ddb: DynamoDBClient,
  table: string,
): Promise<{ claimExpiresAt: number | undefined }[]> {
  const found: { claimExpiresAt: number | undefined }[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await ddb.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: "#s = :p",
        ExpressionAttributeNames: { "#s": "status" },
        ExpressionAttributeValues: { ":p": { S: "IN_PROGRESS" } },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of out.Items ?? []) {
      const at = item.claimExpiresAt?.N;
      found.push({ claimExpiresAt: at === undefined ? undefined : Number(at) });
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return found;
}

/** Receive and delete everything on a queue, with the reason attributes. */
async function takeAll(
  sqs: SQSClient,
  queueUrl: string,
): Promise<{ body: string; errorType: string | undefined; errorMessage: string | undefined }[]> {
  const taken: { body: string; errorType: string | undefined; errorMessage: string | undefined }[] = [];
  for (let empty = 0; empty < 2; ) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ["All"],
      }),
    );
    const messages = out.Messages ?? [];
    empty = messages.length === 0 ? empty + 1 : 0;
    for (const m of messages) {
      taken.push({
        body: m.Body ?? "",
        errorType: m.MessageAttributes?.[MessageAttribute.ErrorType]?.StringValue,
        errorMessage: m.MessageAttributes?.[MessageAttribute.ErrorMessage]?.StringValue,
      });
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle as string }),
      );
    }
  }
  return taken;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export { describeSchedule };
