import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { IngestorEnv, ProcessorEnv } from "../../lambdas/shared/environment.js";
import { ProcessorMetric } from "../../lambdas/shared/metricNames.js";
import { createFaultySink, createSinkFaultControl } from "../chaos/faultySink.js";
import { setConsumers } from "../ops/processorConsumers.js";
import { readDlq } from "../ops/readDlq.js";
import { redriveDlqInRounds } from "../ops/redriveDlqInRounds.js";
import { verifySink } from "../ops/verifySink.js";
import { ingestorNetworkOf } from "./networkEnv.js";
import { POISON_BODIES, sendPoison } from "./sendPoison.js";
import { startLocalStack } from "./startLocalStack.js";

export interface DrillOptions {
  /** Seconds the consumers stay paused while events pile up. @default 6 */
  readonly pauseSeconds?: number;
  /** Malformed messages injected while paused. @default 4 */
  readonly poison?: number;
  /** Chance per observation that the faulty "release" refuses a valid event. @default 0.2 */
  readonly rejectProbability?: number;
  /** @default 1 */
  readonly seed?: number;
  readonly log?: (line: string) => void;
}

export interface DrillStep {
  readonly step: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface DrillResult {
  readonly ok: boolean;
  readonly steps: readonly DrillStep[];
}

/**
 * The operator's drill, on the local stack: pause the processor, let events pile up, poison some and
 * ship a "release" whose sink refuses some valid events, resume, fix, redrive only the valid
 * dead-lettered events, and verify the sink against the chain — nothing lost, nothing twice, the
 * poison left in the DLQ with its reasons. Each step is the runbook's command, run in process.
 */
export async function runDrill(options: DrillOptions = {}): Promise<DrillResult> {
  const log = options.log ?? (() => undefined);
  const steps: DrillStep[] = [];
  const record = (step: string, ok: boolean, detail: string) => {
    steps.push({ step, ok, detail });
    log(`${ok ? "PASS" : "FAIL"}  ${step}: ${detail}`);
    return ok;
  };
  const dir = await mkdtemp(join(tmpdir(), "tidemark-drill-"));
  const switchFile = join(dir, "consumers.json");
  const faults = createSinkFaultControl();
  let seed = (options.seed ?? 1) * 7919;
  const random = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  log("$ tidemark local   (local parts, devnet, ingestor, processor)");
  const stack = await startLocalStack({
    consumerSwitchFile: switchFile,
    seed: options.seed ?? 1,
    knobs: { pacingMsPerL2Block: 100 },
    wrapSink: (sink) => createFaultySink(sink, faults, random),
  });
  try {
    const sqs = stack.parts.sqs?.client as SQSClient;
    const queueUrl = stack.env[IngestorEnv.QueueUrl] as string;
    const dlqUrl = stack.env[ProcessorEnv.DlqUrl] as string;
    const processed = () => stack.processorMetrics.total(ProcessorMetric.RecordsProcessed);

    await waitFor(() => processed() > 0, 60_000);
    record("pipeline flowing", processed() > 0, `${processed()} events processed`);

    log("$ tidemark consumers pause");
    await setConsumers({ kind: "local", switchFile }, false);
    const paused = await waitFor(() => !stack.consumersEnabled(), 5_000);
    const before = processed();
    await sleep((options.pauseSeconds ?? 6) * 1000);
    const depth = await queueDepth(sqs, queueUrl);
    record(
      "consumers paused, events pile up",
      paused && depth > 0 && processed() === before,
      `${depth} messages waiting, none processed while paused`,
    );

    const poisonCount = options.poison ?? 4;
    const poisonIds = await sendPoison(sqs, queueUrl, poisonCount);
    faults.reject = options.rejectProbability ?? 0.2;
    record(
      "poison injected and a faulty release shipped",
      poisonIds.length === poisonCount,
      `${poisonIds.length} malformed messages; the sink now refuses ${Math.round(faults.reject * 100)}% of events`,
    );

    log("$ tidemark consumers resume");
    await setConsumers({ kind: "local", switchFile }, true);
    await waitFor(() => (faults.injected.sinkReject ?? 0) > 0 && stack.consumersEnabled(), 30_000);
    await stack.stopProduction();
    await stack.poller.drain({ idleMs: 1_000, timeoutMs: 60_000 });
    // The fix: the release is rolled back; the sink takes every valid event again.
    faults.reject = 0;
    const rejected = faults.injected.sinkReject ?? 0;
    const dlqBefore = await readDlq(sqs, dlqUrl);
    // A FIFO DLQ shows only the head of each group while it is being read: count with the queue's total.
    const reasons = [...new Set(dlqBefore.entries.map((e) => e.errorType))].join(", ");
    record(
      "resumed; backlog drained; failures contained in the DLQ with reasons",
      dlqBefore.approximateTotal === poisonCount + rejected &&
        dlqBefore.entries.every((e) => e.errorType !== undefined),
      `DLQ: ${dlqBefore.approximateTotal} = ${poisonCount} poison + ${rejected} valid events the faulty release refused (reasons: ${reasons})`,
    );

    log("$ tidemark dlq redrive --valid");
    const redrive = await redriveDlqInRounds(sqs, { dlqUrl, queueUrl, filter: { validOnly: true } });
    await stack.ingestOnce(3_000);
    await stack.poller.drain({ idleMs: 1_000, timeoutMs: 60_000 });
    const dlqAfter = await readDlq(sqs, dlqUrl);
    const poisonKinds = new Set(POISON_BODIES.map((p) => p.errorType));
    record(
      "redrove only the valid events; the poison stays",
      redrive.moved === rejected &&
        dlqAfter.entries.length === poisonCount &&
        dlqAfter.entries.every((e) => !e.valid && poisonKinds.has(e.errorType ?? "")),
      `${redrive.moved} redriven, ${dlqAfter.entries.length} left in the DLQ`,
    );

    log("$ tidemark verify");
    const report = await verifySink({
      sink: stack.sink,
      l1Url: stack.env.L1_RPC_URLS as string,
      l2Url: stack.env.L2_RPC_URLS as string,
      inboxAddresses: ingestorNetworkOf(stack.env).inboxAddresses,
    });
    record(
      "sink matches the chain",
      report.ok,
      report.ok
        ? `L1 ${report.ranges.l1.from}..${report.ranges.l1.to}, L2 ${report.ranges.l2.from}..${report.ranges.l2.to}: no gaps, no duplicates, orphans marked`
        : report.findings.map((f) => `${f.kind} ${f.table} ${f.count}`).join("; "),
    );
  } catch (error) {
    record("drill", false, `stopped: ${(error as Error).message}`);
  } finally {
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return { ok: steps.length > 0 && steps.every((s) => s.ok), steps };
}

async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}
