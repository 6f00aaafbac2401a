import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Hex } from "viem";
import type { SqsBatchSender } from "../shared/awsSqs.js";
import { CursorConflictError, LeaseHeldError, RpcError, TidemarkError } from "../shared/errors.js";
import type { Chain, PipelineEvent } from "../shared/events.js";
import type { FaultInjector } from "../shared/faultPoints.js";
import { IngestorMetric } from "../shared/metricNames.js";
import type { ChainClient } from "./chainReader.js";
import type { IngestorConfig } from "./config.js";
import { type Cursor, type CursorStore, createDynamoCursorStore } from "./cursorStore.js";
import { ingestChain } from "./ingestChain.js";
import type { IngestorLogger, MetricsSink } from "./observability.js";
import { publishEvents } from "./publisher.js";
import { createDeadLetterRejectSink } from "./rejections.js";

export interface CreateIngestorParameters {
  readonly clients: Partial<Readonly<Record<Chain, ChainClient>>>;
  /** The state table client; ignored when `cursorStore` is given. */
  readonly ddb?: DynamoDBClient;
  /** Overrides the DynamoDB cursor store (tests, other backends). */
  readonly cursorStore?: CursorStore;
  readonly sqs: SQSClient;
  /** Where events are published: the light SQS client (awsSqs.ts). @default `sqs` */
  readonly sqsBatch?: SqsBatchSender;
  readonly config: IngestorConfig;
  readonly metrics: MetricsSink;
  readonly logger: IngestorLogger;
  /** Lease owner id: unique per running ingestor. */
  readonly owner: string;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The chaos suite's crash points; absent in production. */
  readonly faults?: FaultInjector;
  /**
   * A backfill: read each listed chain only up to this block (inclusive) instead of following its
   * head. The scheduled ingestor passes none; `tidemark backfill` passes its `--to`.
   */
  readonly toBlock?: Partial<Readonly<Record<Chain, number>>>;
}

export type ChainStatus =
  /** The last poll succeeded. */
  | "ok"
  /** Another ingestor holds the lease (from the start, or it took over): this one stood down. */
  | "lease-held"
  /** The last poll failed; `error` says why and whether a later run can succeed. */
  | "failed";

export interface ChainReport {
  readonly chain: Chain;
  readonly status: ChainStatus;
  readonly polls: number;
  readonly blocksIngested: number;
  readonly inboxEventsPublished: number;
  readonly reorgs: number;
  /** Chain head minus confirmations, as last read. */
  readonly head: number | undefined;
  /** The cursor's next block after the run. */
  readonly next: number | undefined;
  readonly error:
    | { readonly name: string; readonly message: string; readonly retryable: boolean }
    | undefined;
}

export interface IngestorReport {
  readonly rounds: number;
  readonly chains: ChainReport[];
}

export interface Ingestor {
  /** One poll per chain (leases taken and released around it). */
  runOnce(): Promise<IngestorReport>;
  /** Poll every chain until `deadlineMs` (epoch ms), sleeping POLL_INTERVAL_MS whenever all are caught up. */
  pollUntil(deadlineMs: number): Promise<IngestorReport>;
}

interface ChainState {
  chain: Chain;
  client: ChainClient;
  cursor: Cursor | undefined;
  status: ChainStatus;
  /** False once the chain must not be polled again in this run (lease lost, permanent error). */
  active: boolean;
  polls: number;
  blocksIngested: number;
  inboxEventsPublished: number;
  reorgs: number;
  head: number | undefined;
  /** The cursor's next block as last known (kept when the cursor is dropped for a re-read). */
  next: number | undefined;
  error: ChainReport["error"];
}

export function createIngestor(parameters: CreateIngestorParameters): Ingestor {
  const { config, metrics, logger, owner, sqs, faults } = parameters;
  const now = parameters.now ?? Date.now;
  const sleep = parameters.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const store = parameters.cursorStore ?? dynamoStore(parameters);
  const leaseMs = config.leaseSeconds * 1000;

  const publish = async (events: readonly PipelineEvent[]) => {
    await publishEvents(parameters.sqsBatch ?? sqs, config.queueUrl, events, config.partitions, {
      lanes: config.publishLanes,
      onRetry: (entries) => metrics.record(IngestorMetric.PublishEntriesRetried, entries),
      faults,
    });
  };

  const reject = config.dlqUrl ? createDeadLetterRejectSink(sqs, config.dlqUrl, now) : undefined;

  const inboxAddresses = [config.inboxAddress, config.inboxWrapperAddress].filter(
    (a): a is Hex => a !== undefined,
  );

  const begin = (): ChainState[] =>
    config.chains.map((chain) => {
      const client = parameters.clients[chain];
      if (!client) throw new Error(`no RPC client for configured chain ${chain}`);
      return initialState(chain, client);
    });

  /** One poll of one chain; never throws (the outcome is recorded in the state). Returns true if more is waiting. */
  const poll = async (state: ChainState): Promise<boolean> => {
    if (!state.active) return false;
    state.polls++;
    try {
      // The lease is taken on the first poll (and again after a failed attempt), renewed at half-life.
      let cursor = state.cursor ?? (await store.acquireLease(state.chain, owner, now()));
      const lease = cursor.lease;
      if (!lease || lease.owner !== owner || lease.expiresAt - now() < leaseMs / 2) {
        cursor = await store.renewLease(state.chain, owner, now());
      }
      state.cursor = cursor;
      state.next = cursor.next;
      const result = await ingestChain({
        chain: state.chain,
        client: state.client,
        store,
        owner,
        cursor,
        settings: {
          startBlock: config.startBlock[state.chain],
          maxBlocksPerRange: config.maxBlocksPerRange,
          confirmations: config.confirmations,
          inboxAddresses: state.chain === "l1" ? inboxAddresses : [],
          toBlock: parameters.toBlock?.[state.chain],
        },
        publish,
        metrics,
        logger,
        now,
        faults,
        reject,
      });
      state.cursor = result.cursor;
      state.next = result.cursor.next;
      state.head = result.head;
      state.blocksIngested += result.blocks;
      state.inboxEventsPublished += result.inboxEvents;
      if (result.reorg) state.reorgs++;
      state.status = "ok";
      state.error = undefined;
      return !result.caughtUp;
    } catch (error) {
      // A simulated runtime death: nothing after it may run (no failure report, no lease release).
      if (faults?.isCrash(error)) throw error;
      standDownOrFail(state, error, parameters);
      // Re-read the cursor (with the lease) next time: a write that failed ambiguously may have landed.
      state.cursor = undefined;
      return false;
    }
  };

  const end = async (states: readonly ChainState[]): Promise<ChainReport[]> => {
    await Promise.all(
      states
        // Release is conditional on the owner, so asking when the lease may not be ours is safe.
        .filter((s) => s.polls > 0 && s.status !== "lease-held")
        .map((s) =>
          store.release(s.chain, owner).catch((error: unknown) => {
            // The lease expires on its own; a failed release only delays the next run.
            logger.warn("lease release failed", { chain: s.chain, error: describe(error) });
          }),
        ),
    );
    return states.map((s) => ({
      chain: s.chain,
      status: s.status,
      polls: s.polls,
      blocksIngested: s.blocksIngested,
      inboxEventsPublished: s.inboxEventsPublished,
      reorgs: s.reorgs,
      head: s.head,
      next: s.next,
      error: s.error,
    }));
  };

  return {
    async runOnce() {
      const states = begin();
      await Promise.all(states.map(poll));
      return { rounds: 1, chains: await end(states) };
    },

    async pollUntil(deadlineMs) {
      const states = begin();
      let rounds = 0;
      while (now() < deadlineMs && states.some((s) => s.active)) {
        rounds++;
        const busy = await Promise.all(states.map(poll));
        // Caught up (or failing) everywhere: wait for new blocks instead of spinning.
        if (!busy.some(Boolean)) {
          const wait = Math.min(config.pollIntervalMs, deadlineMs - now());
          if (wait > 0) await sleep(wait);
        }
      }
      return { rounds, chains: await end(states) };
    },
  };
}

/** Record a failed poll: contention stands the chain down (it keeps asking), anything else fails it. */
function standDownOrFail(
  state: ChainState,
  error: unknown,
  { metrics, logger }: Pick<CreateIngestorParameters, "metrics" | "logger">,
): void {
  const contention = error instanceof LeaseHeldError || error instanceof CursorConflictError;
  state.error = describe(error);
  if (contention) {
    // Not a failure: another ingestor is working this chain (a deployment overlap, a slow run).
    // Stay active: keep asking for the lease each poll interval and take over when the other
    // run releases it or it expires, so freshness does not wait for the next schedule tick.
    if (state.status !== "lease-held") {
      metrics.record(IngestorMetric.LeaseContention, 1, state.chain);
      logger.info("another ingestor holds the lease; waiting to take over", {
        chain: state.chain,
        reason: state.error.message,
      });
    }
    state.status = "lease-held";
    return;
  }
  state.status = "failed";
  if (!state.error.retryable) state.active = false;
  metrics.record(IngestorMetric.PollFailures, 1, state.chain);
  if (error instanceof RpcError) {
    metrics.record(IngestorMetric.RpcErrors, 1, state.chain);
  }
  logger.error("poll failed", { chain: state.chain, error: state.error, context: contextOf(error) });
}

function initialState(chain: Chain, client: ChainClient): ChainState {
  return {
    chain,
    client,
    cursor: undefined,
    status: "ok",
    active: true,
    polls: 0,
    blocksIngested: 0,
    inboxEventsPublished: 0,
    reorgs: 0,
    head: undefined,
    next: undefined,
    error: undefined,
  };
}

function dynamoStore(parameters: CreateIngestorParameters): CursorStore {
  if (!parameters.ddb) throw new Error("createIngestor needs either ddb or cursorStore");
  return createDynamoCursorStore({
    ddb: parameters.ddb,
    tableName: parameters.config.stateTable,
    leaseSeconds: parameters.config.leaseSeconds,
    recentHashes: parameters.config.recentHashes,
  });
}

function describe(error: unknown): NonNullable<ChainReport["error"]> {
  if (error instanceof TidemarkError)
    return { name: error.name, message: error.message, retryable: error.retryable };
  const e = error as Error;
  // Unnamed failures (SDK errors, bugs) may pass with time, as `isRetryable` assumes.
  return { name: e?.name ?? "Error", message: e?.message ?? String(error), retryable: true };
}

function contextOf(error: unknown): Record<string, unknown> | undefined {
  return error instanceof TidemarkError ? error.context : undefined;
}
