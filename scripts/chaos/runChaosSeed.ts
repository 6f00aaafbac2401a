import { setTimeout as sleep } from "node:timers/promises";
import {
  type AttributeValue,
  type DynamoDBClient,
  ScanCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { createChainClient } from "../../lambdas/ingestor/chainReader.js";
import { cursorKey } from "../../lambdas/ingestor/cursorStore.js";
import type { Chain } from "../../lambdas/shared/events.js";
import {
  createFaultInjector,
  FAULT_POINTS,
  type FaultInjector,
  type FaultPointName,
  isInjectedCrash,
} from "../../lambdas/shared/faultPoints.js";
import { MessageAttribute } from "../../lambdas/shared/messageAttributes.js";
import { ProcessorMetric } from "../../lambdas/shared/metricNames.js";
import { StateTable } from "../../lambdas/shared/tables.js";
import { logSources } from "../../lambdas/shared/taiko/networks.js";
import { createPrng } from "../devnet/createPrng.js";
import { HandlerTimeoutError, type SqsBatchHandler } from "../local/eventSourcePoller.js";
import { type DlqEntry, readDlq } from "../ops/readDlq.js";
import { redriveDlqInRounds } from "../ops/redriveDlqInRounds.js";
import {
  createLocalPipeline,
  type LocalPipeline,
  type LocalPipelineHooks,
} from "../pipeline/createLocalPipeline.js";
import { POISON_BODIES, sendPoison } from "../pipeline/sendPoison.js";
import type { VerifyReport } from "../pipeline/verifyAgainstChain.js";
import { addAwsFaults, createAwsFaultControl } from "./awsFaults.js";
import { badLogCall, isBadLogLetter } from "./badInboxLogs.js";
import {
  type ChaosSchedule,
  type ChaosScheduleOptions,
  chaosSchedule,
  describeSchedule,
} from "./chaosSchedule.js";
import {
  type ChaosSinkKind,
  chaosSinkFor,
  clickhouseFor,
  type FirehoseChaos,
  startFirehoseChaos,
} from "./chaosSinks.js";
import { checkShasta } from "./checkShasta.js";
import { checkWorld } from "./checkWorld.js";
import { createFaultySink, createSinkFaultControl } from "./faultySink.js";
import {
  applyProviderWindows,
  type ChainProxies,
  startChainProxies,
  worldInjections,
} from "./worldFaults.js";

export interface ChaosSeedResult {
  readonly seed: number;
  /** The store the processor wrote to (scripts/chaos/chaosSinks.ts). */
  readonly sink: ChaosSinkKind;
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
const TIMING = {
  visibilityTimeoutSeconds: 4,
  claimTimeoutSeconds: 3,
  leaseSeconds: 5,
  pollIntervalMs: 100,
  timeReserveMs: 200,
} as const;
const INGESTOR_EVERY_MS = 1_000;
const INGESTOR_BUDGET_MS = 2_500;
/** Wall-clock pause between devnet blocks, so that ingestion interleaves with the story. */
const PACING_MS = 12;

/** Everything one seed's run injects, counts and checks, shared by its steps. */
interface ChaosRun {
  readonly seed: number;
  readonly schedule: ChaosSchedule;
  readonly random: () => number;
  readonly injected: Record<string, number>;
  count(kind: string, n?: number): void;
  readonly problems: string[];
  readonly counters: Record<string, number>;
  readonly aws: ReturnType<typeof createAwsFaultControl>;
  readonly sinkFaults: ReturnType<typeof createSinkFaultControl>;
  readonly proxies: ChainProxies["flaky"];
  readonly providers: ChainProxies["providers"];
  /** Switched off once the causes are fixed. */
  crashesOn: boolean;
  duplicatesOn: boolean;
  /** Guarantee 5 per message: each redriven message (named by its `redrivenFrom` attribute) is acknowledged once. */
  readonly redrive: {
    active: boolean;
    readonly from: Map<string, string>;
    readonly acks: Map<string, number>;
    otherAcks: number;
  };
  processorCrashes: number;
  processorTimeouts: number;
  /** Transactions of the bad inbox logs emitted (lowercase). */
  readonly badLogTxs: Set<string>;
}

/**
 * One seed of the chaos suite: the devnet story with faults injected as the seed's schedule says,
 * then the causes fixed, the queue drained, the DLQ redriven, and guarantees 1–5 checked against the
 * canonical chain. The pipeline is the one every local scenario builds (createLocalPipeline); faults
 * enter only through its hooks (SDK middleware, RPC proxies, a sink wrapper, the crash points) and by
 * direct actions (lease loss, poison, duplicate publishes, extra ingestors).
 */
export async function runChaosSeed(
  seed: number,
  options: RunChaosSeedOptions = {},
): Promise<ChaosSeedResult> {
  const t0 = Date.now();
  const phases = createPhaseClock(t0, options.onNote);
  const run = newChaosRun(seed, options);
  const proxiesStopped: (() => Promise<void>)[] = [];
  let verification: VerifyReport | undefined;
  let eventsChecked = 0;
  let pipeline: LocalPipeline | undefined;
  const sinkKind: ChaosSinkKind = chaosSinkFor(seed);
  let firehose: FirehoseChaos | undefined;
  try {
    if (sinkKind === "firehose") {
      const started = await startFirehoseChaos({ random: run.random, failProbability: 0.2 });
      firehose = started;
      proxiesStopped.push(() => started.stop());
    }
    pipeline = await createLocalPipeline({
      devnet: { seed, knobs: run.schedule.knobs },
      timing: TIMING,
      ingestorContainers: 3,
      poller: { concurrency: 3, timeoutMs: TIMING.claimTimeoutSeconds * 1000 },
      env: { MAX_BLOCKS_PER_RANGE: "40" },
      clickhouse: clickhouseFor(sinkKind),
      hooks: chaosHooks(run, proxiesStopped, () => pipeline, firehose),
    });
    const poisonSent = await runStory(run, pipeline, phases.note);
    await settleAndDrain(run, pipeline, phases.note);
    const redriven = await redriveAll(run, pipeline, phases.note);
    if (firehose) await replayFirehose(run, firehose, phases.note);
    phases.note("verifying");
    run.problems.push(...(await checkDlqLeft(run, pipeline, poisonSent.length)));
    verification = await pipeline.verify({ excludedTxs: run.badLogTxs });
    eventsChecked = checkSink(run, verification);
    run.problems.push(...(await checkShasta(pipeline, verification)));
    run.problems.push(...(await checkWorldOf(pipeline, run.badLogTxs)));
    await checkClaimsAndDuplicates(run, pipeline);
    tallyCounters(run, pipeline, redriven);
  } catch (error) {
    run.problems.push(
      `the run itself failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  } finally {
    phases.note("stopping");
    await pipeline?.stop().catch(() => undefined);
    for (const stop of proxiesStopped) await stop().catch(() => undefined);
    phases.end();
  }
  return {
    seed,
    sink: sinkKind,
    ok: run.problems.length === 0,
    problems: run.problems,
    schedule: run.schedule,
    injected: run.injected,
    eventsChecked,
    verification,
    counters: run.counters,
    durationMs: Date.now() - t0,
    phaseSeconds: phases.seconds,
  };
}

function createPhaseClock(t0: number, onNote: ((note: string) => void) | undefined) {
  const seconds: Record<string, number> = {};
  let phase = { name: "starting", since: t0 };
  const end = () => {
    seconds[phase.name] = (Date.now() - phase.since) / 1000;
  };
  return {
    seconds,
    end,
    note(name: string) {
      end();
      phase = { name, since: Date.now() };
      onNote?.(name);
    },
  };
}

function newChaosRun(seed: number, options: RunChaosSeedOptions): ChaosRun {
  const injected: Record<string, number> = {};
  return {
    seed,
    schedule: chaosSchedule(seed, options),
    random: createPrng(`chaos-draws:${seed}`).next,
    injected,
    count(kind, n = 1) {
      injected[kind] = (injected[kind] ?? 0) + n;
    },
    problems: [],
    counters: {},
    aws: createAwsFaultControl(),
    sinkFaults: createSinkFaultControl(),
    proxies: { l1: [], l2: [] },
    providers: { l1: [], l2: [] },
    crashesOn: true,
    duplicatesOn: true,
    redrive: { active: false, from: new Map(), acks: new Map(), otherAcks: 0 },
    processorCrashes: 0,
    processorTimeouts: 0,
    badLogTxs: new Set(),
  };
}

/** The crash points: the runtime dies at the scheduled hits of each named point. */
function crashInjector(run: ChaosRun): FaultInjector {
  const hits = Object.fromEntries(FAULT_POINTS.map((p) => [p, 0])) as Record<FaultPointName, number>;
  const crashAt = Object.fromEntries(
    FAULT_POINTS.map((p) => [p, new Set(run.schedule.crashes[p])]),
  ) as Record<FaultPointName, Set<number>>;
  return createFaultInjector((point) => {
    if (!run.crashesOn) return false;
    hits[point]++;
    const dies = crashAt[point].has(hits[point]);
    if (dies) run.count(`crash:${point}`);
    return dies;
  });
}

/** Every fault the schedule injects, through the pipeline's hooks. */
function chaosHooks(
  run: ChaosRun,
  proxiesStopped: (() => Promise<void>)[],
  pipeline: () => LocalPipeline | undefined,
  firehose?: FirehoseChaos,
): LocalPipelineHooks {
  return {
    // The pipeline's own AWS clients carry the injected faults; the harness and the event source use clean ones.
    wrapClients: ({ sqs, ddb }) => {
      addAwsFaults(ddb, "dynamodb", run.aws, run.random);
      addAwsFaults(sqs, "sqs", run.aws, run.random);
    },
    wrapSink: (sink) => createFaultySink(firehose ? firehose.wrap(sink) : sink, run.sinkFaults, run.random),
    // Two RPC URLs per chain, each a provider that can fail and lag on its own.
    rpcUrls: (nodes) =>
      startChainProxies(nodes, { flaky: run.proxies, providers: run.providers }, proxiesStopped),
    // Short RPC timeouts so that a proxy holding a request fails over within the invocation.
    ingestorRuntime: (runtime) => {
      const urls = runtime.config.rpc.kind === "urls" ? runtime.config.rpc.urls : { l1: [], l2: [] };
      const client = (chain: Chain) =>
        createChainClient({ urls: urls[chain], timeoutMs: 1_000, retryDelayMs: 50 });
      return { ...runtime, clients: { l1: client("l1"), l2: client("l2") } };
    },
    faults: crashInjector(run),
    // Duplicate publishes, after what SQS really accepted: same dedup id (SQS drops it) or a new one.
    onPublished: (entry) => {
      if (!run.duplicatesOn) return;
      const same = run.random() < run.schedule.duplicates.sameId;
      const fresh = run.random() < run.schedule.duplicates.newId;
      const dedupId = entry.MessageDeduplicationId as string;
      if (same) {
        run.count("duplicate:sameDedupId");
        pipeline()?.republish(entry, dedupId, 50);
      }
      if (fresh) {
        run.count("duplicate:newDedupId");
        pipeline()?.republish(entry, `${dedupId}-again`, 50);
      }
    },
    wrapProcessor:
      (processor): SqsBatchHandler =>
      (event, context) => {
        for (const r of event.Records) {
          const from = r.messageAttributes[MessageAttribute.RedrivenFrom]?.stringValue;
          if (from !== undefined) run.redrive.from.set(r.messageId, from);
        }
        return processor(event, context);
      },
    onBatch: (outcome) => {
      if (isInjectedCrash(outcome.error)) run.processorCrashes++;
      if (outcome.error instanceof HandlerTimeoutError) run.processorTimeouts++;
      if (!run.redrive.active) return;
      for (const id of outcome.deletedIds) {
        const from = run.redrive.from.get(id);
        if (from === undefined) run.redrive.otherAcks++;
        else run.redrive.acks.set(from, (run.redrive.acks.get(from) ?? 0) + 1);
      }
    },
    onPollerError: () => undefined,
  };
}

/** The story, with the schedule applied block by block; returns the poison message ids sent. */
async function runStory(
  run: ChaosRun,
  pipeline: LocalPipeline,
  note: (phase: string) => void,
): Promise<string[]> {
  const { schedule } = run;
  const devnet = pipeline.devnet as NonNullable<LocalPipeline["devnet"]>;
  note("running");
  const poisonSent: string[] = [];
  pipeline.startSchedule(INGESTOR_EVERY_MS, INGESTOR_BUDGET_MS);
  for (let block = 0; block < schedule.l2Blocks; block++) {
    applyWindows(schedule, block, run);
    for (const p of schedule.poison.filter((x) => x.atBlock === block)) {
      poisonSent.push(...(await sendPoison(pipeline.harness.sqs, pipeline.queueUrl, p.count, p.offset)));
      run.count("poison", p.count);
    }
    for (const steal of schedule.leaseSteals.filter((s) => s.atBlock === block)) {
      if (await expireLease(pipeline.harness.ddb, pipeline.parts.resources.stateTable as string, steal.chain))
        run.count("leaseLost");
    }
    for (const bad of schedule.badLogs.filter((b) => b.atBlock === block)) {
      const tx = await devnet.queueL1Call(badLogCall(devnet.wrapperAddress, bad.kind, run.badLogTxs.size));
      run.badLogTxs.add(tx.toLowerCase());
      run.count(`badLog:${bad.kind}`);
    }
    for (const _ of schedule.extraIngestors.filter((b) => b === block)) {
      run.count("concurrentIngestor");
      void pipeline.invokeIngestor(INGESTOR_BUDGET_MS);
    }
    await devnet.step();
    await sleep(PACING_MS);
  }
  return poisonSent;
}

/** The causes fixed: no more faults; the chains settle, the ingestor catches up, the queue drains. */
async function settleAndDrain(run: ChaosRun, pipeline: LocalPipeline, note: (phase: string) => void) {
  note("settling");
  applyWindows(run.schedule, Number.POSITIVE_INFINITY, run);
  run.crashesOn = false;
  run.duplicatesOn = false;
  await (pipeline.devnet as NonNullable<LocalPipeline["devnet"]>).settle();
  await pipeline.stopSchedule();
  note("catching up");
  if (!(await pipeline.catchUp({ maxRounds: 30 }))) {
    const { next } = pipeline.ingest;
    run.problems.push(`ingestor did not reach the head (l1 next ${next.l1}, l2 next ${next.l2})`);
  }
  note("draining");
  await pipeline.republished();
  await pipeline.poller.drain({ idleMs: 1_000, timeoutMs: 90_000 });
}

/** The Firehose seeds: deliveries that failed into the error prefix are re-driven as `tidemark sink replay` does. */
async function replayFirehose(run: ChaosRun, firehose: FirehoseChaos, note: (phase: string) => void) {
  note("replaying firehose errors");
  const replay = await firehose.settle();
  for (const [kind, n] of Object.entries(firehose.injected)) run.count(kind, n);
  run.counters.firehoseRowsReplayed = replay.rows;
}

/** Guarantee 5: redrive the whole DLQ after the fix with the redriver `tidemark dlq redrive` runs. */
async function redriveAll(
  run: ChaosRun,
  pipeline: LocalPipeline,
  note: (phase: string) => void,
): Promise<number> {
  note("redriving");
  let exhausted = 0;
  run.redrive.active = true;
  const redrive = await redriveDlqInRounds(pipeline.harness.sqs, {
    dlqUrl: pipeline.dlqUrl,
    queueUrl: pipeline.queueUrl,
    onProgress: (_moved, entry) => {
      // Moved by SQS itself after maxReceiveCount receives: no reason attributes.
      if (entry.errorType === undefined) exhausted++;
      else if (entry.errorType === "InjectedSinkRejection") run.count("sinkRejectDeadLettered");
    },
  });
  if (exhausted > 0) run.count("exhaustedToDlqBySqs", exhausted);
  await pipeline.poller.drain({ idleMs: 1_000, timeoutMs: 60_000 });
  const wrongAcks = redrive.movedIds
    .map((id) => [id, run.redrive.acks.get(id) ?? 0] as const)
    .filter(([, n]) => n !== 1);
  if (wrongAcks.length > 0) {
    run.problems.push(
      `${wrongAcks.length} of ${redrive.moved} redriven messages not acknowledged exactly once (e.g. ${wrongAcks
        .slice(0, 3)
        .map(([id, n]) => `${id}: ${n}×`)
        .join(", ")})`,
    );
  }
  return redrive.moved;
}

/**
 * Read with `tidemark dlq`'s reader, taking (not peeking): a FIFO group's later messages show only once
 * the earlier ones are deleted. The queue's own count catches anything the read could not show.
 */
async function checkDlqLeft(run: ChaosRun, pipeline: LocalPipeline, poisonSent: number): Promise<string[]> {
  const left = await readDlq(pipeline.harness.sqs, pipeline.dlqUrl, 1000, "take");
  const problems =
    left.approximateTotal === left.entries.length
      ? []
      : [`DLQ holds ${left.approximateTotal} messages, ${left.entries.length} readable`];
  const [badLetters, others] = splitBadLogLetters(left.entries, run.badLogTxs);
  return [...problems, ...badLetters, ...checkDlq(others, poisonSent, run.schedule)];
}

/** Guarantees 1–3 against the chain; returns the events checked. */
function checkSink(run: ChaosRun, verification: VerifyReport): number {
  let checked = 0;
  for (const t of verification.tables) {
    checked += t.expected;
    if (t.missing.length + t.unexpected.length + t.duplicates.length > 0) {
      run.problems.push(
        `${t.table}: ${t.missing.length} missing, ${t.unexpected.length} unexpected, ${t.duplicates.length} duplicated (e.g. ${[...t.missing, ...t.unexpected, ...t.duplicates].slice(0, 3).join("; ")})`,
      );
    }
  }
  for (const chain of ["l1", "l2"] as const) {
    const o = verification.orphans[chain];
    checked += o.offChain;
    if (o.unmarked.length > 0) run.problems.push(`${chain}: ${o.unmarked.length} orphaned blocks not marked`);
  }
  return checked;
}

/** Marks, lifecycle state, the unproven index and the chain metrics against the chain (checkWorld.ts). */
function checkWorldOf(pipeline: LocalPipeline, excludedTxs: ReadonlySet<string>): Promise<string[]> {
  const { network, ingest } = pipeline;
  // The batch lifecycle checked is Pacaya's (the Shasta side has checkShasta.ts).
  const pacaya = network ? logSources(network).filter((s) => s.decoder === "pacaya") : [];
  return checkWorld({
    nodeUrls: pipeline.nodeUrls,
    inboxAddresses: pacaya.map((s) => s.address),
    ranges: {
      l1: { from: pipeline.from.l1, to: ingest.next.l1 - 1 },
      l2: { from: pipeline.from.l2, to: ingest.next.l2 - 1 },
    },
    query: (sql) => pipeline.sink.query(sql),
    ddb: pipeline.harness.ddb,
    stateTable: pipeline.parts.resources.stateTable as string,
    injectedReorgs: pipeline.devnet?.reorgs ?? [],
    chainSamples: pipeline.processorMetrics.samples,
    excludedTxs,
  });
}

/** Guarantee 4's leftovers: no claim held for good; every duplicate past the window dropped or retaken. */
async function checkClaimsAndDuplicates(run: ChaosRun, pipeline: LocalPipeline): Promise<void> {
  // An applied record whose completion write failed keeps an IN_PROGRESS item by design; its claim must
  // have expired (a later copy retakes it), never hold the event forever.
  const claims = await claimsInProgress(
    pipeline.harness.ddb,
    pipeline.parts.resources.idempotencyTable as string,
  );
  const live = claims.filter(
    (c) =>
      c.claimExpiresAt === undefined || c.claimExpiresAt > Date.now() + TIMING.claimTimeoutSeconds * 1000,
  );
  if (live.length > 0)
    run.problems.push(`${live.length} idempotency item(s) IN_PROGRESS with a claim that never expires`);
  run.counters.unrecordedCompletions = claims.length;
  const newIdDuplicates = run.injected["duplicate:newDedupId"] ?? 0;
  const dropped = pipeline.processorMetrics.total(ProcessorMetric.DuplicatesDropped);
  // A copy is dropped as a duplicate, or, when the first copy's completion write was lost (throttled),
  // re-applied idempotently after retaking the expired claim; the sink check catches any double row.
  const retaken = pipeline.processorMetrics.total(ProcessorMetric.ExpiredClaimsRetaken);
  if (dropped + retaken < newIdDuplicates) {
    run.problems.push(
      `${newIdDuplicates} duplicates published past the window, only ${dropped} dropped and ${retaken} retaken`,
    );
  }
}

function tallyCounters(run: ChaosRun, pipeline: LocalPipeline, redriven: number): void {
  for (const [kind, n] of Object.entries(run.aws.injected)) run.count(kind, n);
  for (const [kind, n] of Object.entries(run.sinkFaults.injected)) run.count(kind, n);
  for (const chain of ["l1", "l2"] as const) {
    for (const proxy of run.proxies[chain])
      for (const [mode, n] of Object.entries(proxy.faults)) run.count(`rpc:${mode}`, n);
  }
  const m = pipeline.processorMetrics;
  const { ingest } = pipeline;
  const devnet = pipeline.devnet as NonNullable<LocalPipeline["devnet"]>;
  for (const [kind, n] of Object.entries(worldInjections(devnet, run.providers))) run.count(kind, n);
  Object.assign(run.counters, {
    ingestorInvocations: ingest.invocations,
    leaseStandDowns: ingest.leaseStandDowns,
    failedIngestorInvocations: ingest.failedInvocations,
    processorCrashes: run.processorCrashes,
    processorTimeouts: run.processorTimeouts,
    otherAcksDuringRedrive: run.redrive.otherAcks,
    processed: m.total(ProcessorMetric.RecordsProcessed),
    duplicatesDropped: m.total(ProcessorMetric.DuplicatesDropped),
    retried: m.total(ProcessorMetric.RecordsRetried),
    deadLettered: m.total(ProcessorMetric.RecordsDeadLettered),
    expiredClaimsRetaken: m.total(ProcessorMetric.ExpiredClaimsRetaken),
    redriven,
    l2Blocks: ingest.next.l2,
    l1Blocks: ingest.next.l1,
    reorgsL1: devnet.stats.reorgs.l1.total,
    reorgsL2: devnet.stats.reorgs.l2.total,
  });
}

/** Switch every fault to what the schedule says for this block (all off past the end). */
function applyWindows(
  schedule: ChaosSchedule,
  block: number,
  c: Pick<ChaosRun, "aws" | "sinkFaults" | "proxies" | "providers">,
): void {
  const active = schedule.windows.filter((w) => w.from <= block && block < w.to);
  const sum = (kind: string) =>
    active.filter((w) => w.kind === kind).reduce((s, w) => s + ("probability" in w ? w.probability : 0), 0);
  c.aws.throttle = Math.max(sum("dynamoThrottle"), sum("sqsThrottle"));
  c.aws.partial = Math.max(sum("dynamoPartial"), sum("sqsPartial"));
  c.aws.lostAnswer.dynamodb = sum("dynamoLostAnswer");
  c.aws.lostAnswer.sqs = sum("sqsLostAnswer");
  applyProviderWindows(active, c.providers);
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

/**
 * Every bad inbox log emitted ends in the DLQ (at least once: an L1 reorg that moves its transaction is a
 * new observation), each letter with its reason. Returns those problems and the other letters.
 */
function splitBadLogLetters<
  T extends { body: string; errorType: string | undefined; errorMessage: string | undefined },
>(entries: readonly T[], txs: ReadonlySet<string>): [string[], T[]] {
  const found = new Set<string>();
  const others: T[] = [];
  const problems: string[] = [];
  for (const e of entries) {
    const tx = isBadLogLetter(e.body, txs);
    if (tx === undefined) others.push(e);
    else {
      found.add(tx);
      if (!e.errorType || !e.errorMessage) problems.push(`bad log ${tx} dead-lettered without a reason`);
    }
  }
  const lost = [...txs].filter((tx) => !found.has(tx));
  if (lost.length > 0)
    problems.push(`${lost.length} of ${txs.size} bad inbox logs never reached the DLQ (e.g. tx ${lost[0]})`);
  return [problems, others];
}

/** After the redrive the DLQ holds exactly the poison, each once, with the reason it failed. */
function checkDlq(messages: readonly DlqEntry[], poisonSent: number, schedule: ChaosSchedule): string[] {
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
        `poison ${body.slice(0, 40)}…: ${left > 0 ? `${left} missing from` : `${-left} extra in`} the DLQ${left < 0 ? ` (${lettersOf(messages, body)})` : ""}`,
      );
  }
  return problems;
}

/** Each DLQ copy of one body: where it came from and when, so a failing seed shows how it got there twice. */
function lettersOf(messages: readonly DlqEntry[], body: string): string {
  return messages
    .filter((m) => m.body === body)
    .map(
      (m) =>
        `${m.messageId} from ${m.sourceMessageId ?? "SQS's redrive"} group ${m.groupId} ${m.errorType ?? "no reason"} at ${m.failedAt ?? m.sentAt}, received ${m.receiveCount}×`,
    )
    .join("; ");
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

export { describeSchedule };
