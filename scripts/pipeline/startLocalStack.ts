import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { setTimeout as sleepFor } from "node:timers/promises";
import type { IngestorReport } from "../../lambdas/ingestor/ingestor.js";
import type { Sink } from "../../lambdas/sink/Sink.js";
import type { SqlQueryable } from "../../lambdas/sink/SqlQueryable.js";
import type { Devnet } from "../devnet/createDevnet.js";
import type { DevnetKnobs } from "../devnet/devnetKnobs.js";
import type { EventSourcePoller } from "../local/eventSourcePoller.js";
import type { LocalParts } from "../local/localParts.js";
import type { CountingMetrics } from "./countingMetrics.js";
import { createLocalPipeline, type LocalPipeline } from "./createLocalPipeline.js";
import { readLocalSwitch } from "./localSwitch.js";
import { servePipeline } from "./servePipeline.js";
import { startSinkQueryServer } from "./sinkQueryServer.js";

export interface StartLocalStackOptions {
  /** Where the consumer switch file lives (`tidemark consumers pause|resume` writes it). */
  readonly consumerSwitchFile: string;
  /** Where the ingestor schedule's switch file lives (`tidemark ingestor pause|resume` writes it). @default ingestor.json beside the consumers' */
  readonly ingestorSwitchFile?: string;
  /** Write the stack's environment here as KEY=value lines, for `tidemark --env-file`. @default not written */
  readonly envFile?: string;
  /** @default 1 */
  readonly seed?: number;
  readonly knobs?: Partial<DevnetKnobs>;
  /** Produce blocks continuously in the background. @default true */
  readonly produceBlocks?: boolean;
  /** New ingestor invocation every this many ms. @default 4000 */
  readonly scheduleEveryMs?: number;
  /** One invocation's budget. @default 3500 */
  readonly ingestorBudgetMs?: number;
  /** Queue visibility timeout. @default 8 */
  readonly visibilityTimeoutSeconds?: number;
  /** Processor claim timeout; below the visibility timeout. @default 5 */
  readonly claimTimeoutSeconds?: number;
  /** Wraps the sink the processor writes to (the drill injects a fault here). */
  readonly wrapSink?: (sink: Sink) => Sink;
  /** Serve the API, the live stream (the processor appends to the event log) and the dashboard. @default not served */
  readonly serve?: { readonly port?: number };
}

export interface LocalStack {
  readonly parts: LocalParts;
  readonly devnet: Devnet;
  readonly sink: Sink & SqlQueryable;
  readonly poller: EventSourcePoller;
  /** The environment a handler sees, plus INBOX_ADDRESS, SINK_QUERY_URL, TIDEMARK_CONSUMER_SWITCH and TIDEMARK_INGESTOR_SWITCH. */
  readonly env: Readonly<Record<string, string>>;
  readonly processorMetrics: CountingMetrics;
  /** Where the API, the stream and the dashboard are served (with `serve`). */
  readonly apiUrl: string | undefined;
  /** Whether the poller is receiving, as last set from the switch file. */
  consumersEnabled(): boolean;
  /** Whether the schedule starts ingestor invocations, as last set from its switch file (false once production stopped). */
  ingestorScheduleEnabled(): boolean;
  /** Run one ingestor invocation now (besides the schedule). */
  ingestOnce(budgetMs?: number): Promise<IngestorReport>;
  /** Stop producing blocks and ingesting on the schedule (parts stay up). */
  stopProduction(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The whole pipeline on local parts, running until stopped: the devnet producing blocks, the ingestor
 * handler on a schedule, the processor handler behind the local event source. Unlike `npm start` it
 * does not end by itself: it is the target of `tidemark --local` (through `tidemark local`) and of the drill.
 */
export async function startLocalStack(options: StartLocalStackOptions): Promise<LocalStack> {
  const pipeline = await createLocalPipeline({
    devnet: { seed: options.seed ?? 1, knobs: options.knobs },
    timing: {
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 8,
      claimTimeoutSeconds: options.claimTimeoutSeconds ?? 5,
      timeReserveMs: 300,
    },
    hooks: options.wrapSink ? { wrapSink: options.wrapSink } : {},
    eventLog: options.serve !== undefined,
  });
  const ingestorSwitchFile =
    options.ingestorSwitchFile ?? join(dirname(options.consumerSwitchFile), "ingestor.json");
  const cleanup: (() => Promise<unknown>)[] = [() => pipeline.stop()];
  const stop = async () => {
    for (const step of cleanup.splice(0)) await step().catch(() => undefined);
  };
  try {
    const query = await startSinkQueryServer(pipeline.sink);
    cleanup.unshift(() => query.stop());
    const api = options.serve ? await servePipeline(pipeline, { port: options.serve.port ?? 0 }) : undefined;
    if (api) cleanup.unshift(() => api.close());
    const env: Record<string, string> = {
      ...pipeline.env,
      ...(api ? { TIDEMARK_API_URL: api.url } : {}),
      SINK_QUERY_URL: query.url,
      TIDEMARK_CONSUMER_SWITCH: options.consumerSwitchFile,
      TIDEMARK_INGESTOR_SWITCH: ingestorSwitchFile,
    };
    await pipeline.poller.stop();
    const consumers = await followSwitch(options.consumerSwitchFile, (on) =>
      on ? pipeline.poller.start() : pipeline.poller.stop(),
    );
    cleanup.unshift(consumers.stop);
    const production = await startProduction(pipeline, options, ingestorSwitchFile);
    const stopProduction = production.stop;
    cleanup.unshift(stopProduction);
    if (options.envFile) {
      const lines = Object.entries(env).map(([k, v]) => `${k}=${v}`);
      await writeFile(
        options.envFile,
        `# written by tidemark local; removed when it stops\n${lines.join("\n")}\n`,
      );
    }
    let stopping: Promise<void> | undefined;
    return {
      parts: pipeline.parts,
      devnet: pipeline.devnet as Devnet,
      sink: pipeline.sink,
      poller: pipeline.poller,
      env,
      processorMetrics: pipeline.processorMetrics,
      apiUrl: api?.url,
      consumersEnabled: consumers.enabled,
      ingestorScheduleEnabled: production.scheduleEnabled,
      ingestOnce: async (budgetMs = options.ingestorBudgetMs ?? 3_500) => {
        const report = await pipeline.invokeIngestor(budgetMs);
        if (report === undefined)
          throw new Error(`ingestor invocation failed: ${String(pipeline.ingest.lastError)}`);
        return report;
      },
      stopProduction,
      stop: () => {
        stopping ??= stop();
        return stopping;
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A local switch file followed every 200 ms: `apply` runs with its state at the start and on every
 * change. The consumers' switch stands in for the event source mapping's Enabled flag (reported
 * disabled only once the batches in flight have finished, as a disabled mapping is); the ingestor's
 * for the schedule's State (in-flight invocations finish).
 */
async function followSwitch(file: string, apply: (enabled: boolean) => Promise<void> | void) {
  let enabled = (await readLocalSwitch(file)).enabled;
  await apply(enabled);
  let watching = true;
  const watch = (async () => {
    while (watching) {
      await sleepFor(200);
      const wanted = await readLocalSwitch(file).catch(() => ({ enabled }));
      if (wanted.enabled === enabled) continue;
      await apply(wanted.enabled);
      enabled = wanted.enabled;
    }
  })();
  return {
    enabled: () => enabled,
    stop: async () => {
      watching = false;
      await watch;
    },
  };
}

/**
 * Production: the devnet mines in the background, the ingestor runs on its schedule (following its
 * switch file, as EventBridge Scheduler follows the schedule's State); returns how to stop both.
 */
async function startProduction(
  pipeline: LocalPipeline,
  options: StartLocalStackOptions,
  ingestorSwitchFile: string,
): Promise<{ stop: () => Promise<void>; scheduleEnabled: () => boolean }> {
  const production = new AbortController();
  const everyMs = options.scheduleEveryMs ?? 4_000;
  const budgetMs = options.ingestorBudgetMs ?? 3_500;
  const schedule = await followSwitch(ingestorSwitchFile, (on) =>
    on ? pipeline.startSchedule(everyMs, budgetMs) : pipeline.stopSchedule(),
  );
  const mining =
    options.produceBlocks === false || pipeline.devnet === undefined
      ? Promise.resolve()
      : pipeline.devnet.run({ signal: production.signal }).catch(() => undefined);
  let stopped: Promise<void> | undefined;
  return {
    scheduleEnabled: () => stopped === undefined && schedule.enabled(),
    stop: () => {
      stopped ??= (async () => {
        await schedule.stop();
        const scheduled = pipeline.stopSchedule();
        production.abort();
        await mining;
        await scheduled;
      })();
      return stopped;
    },
  };
}
