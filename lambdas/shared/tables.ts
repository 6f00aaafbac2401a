/**
 * Key, index and TTL attribute names of the two DynamoDB tables: the functions read and write them,
 * the CDK creates the tables with them, the local pipeline provisions DynamoDB Local with them.
 */

/** Every item of both tables expires through this attribute (epoch seconds). */
export const TTL_ATTRIBUTE = "ttl";

/** The state table: cursors and leases (ingestor), batch lifecycle (processor). */
export const StateTable = {
  /** Partition key (string): `cursor#<chain>`, `batch#<batchId>`. */
  partitionKey: "pk",
  ttlAttribute: TTL_ATTRIBUTE,
} as const;

/** The key of a batch's lifecycle item in the state table. */
export const batchItemKey = (batchId: number | bigint | string): string => `batch#${batchId}`;

/** The key of a Shasta proposal's lifecycle item in the state table. */
export const proposalItemKey = (proposalId: number | bigint | string): string => `proposal#${proposalId}`;

/**
 * The key of an L1 block's lifecycle index item: the batches with lifecycle steps observed in the block,
 * and the block's latest reorg mark (lifecycleReorg.ts).
 */
export const l1BlockItemKey = (blockHash: string): string => `l1block#${blockHash}`;

/**
 * Which state-table items each function may touch, as `dynamodb:LeadingKeys` patterns: the IAM
 * policies in lib/ are built from this, so a new item kind is added here or its writer is refused.
 * Cursors and leases (`cursor#<chain>`, cursorStore.ts) are the ingestor's alone; lifecycle items
 * (`batch#<id>`, `proposal#<id>`), the L1 block index (`l1block#<hash>`) and the live stream's event log
 * (`log#head`, `log#<seq>`, `logobs#<observation id>`: EVENT_LOG_KEYS, lambdas/api/stream) are the
 * processor's, and the unproven-batch-age function only clears their stale index entries.
 */
export const STATE_KEY_PATTERNS = {
  ingestor: ["cursor#*"],
  processor: ["batch#*", "proposal#*", "l1block#*", "log#*", "logobs#*"],
  unprovenBatchAge: ["batch#*", "proposal#*"],
  /** The redrive role: `tidemark backfill` keeps its own cursor (`cursor#<chain>#backfill-<from>-<to>`). */
  operator: ["cursor#*"],
} as const satisfies Record<string, readonly string[]>;

/** Sparse GSI of proposed batches without proof: key `unproven` (constant), sort key `proposedAt`. */
export const UNPROVEN_INDEX = {
  indexName: "unproven",
  partitionKey: "unproven",
  sortKey: "proposedAt",
  /** The one partition value: a few hundred pending batches at most, written once per proposal. */
  value: "batch",
  /** Projected so a reader can drop entries whose proof landed before the proposal. */
  projected: ["batchId", "provedAt", "verifiedAt"],
} as const;

/** The idempotency table: one item per observation id. */
export const IdempotencyTable = {
  /** Partition key (string): the observation id. */
  partitionKey: "id",
  ttlAttribute: TTL_ATTRIBUTE,
} as const;
