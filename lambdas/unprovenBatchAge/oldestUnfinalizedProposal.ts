import { type DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { UNFINALIZED_PROPOSAL } from "../processor/shastaLifecycleStore.js";
import { toRetryableError } from "../processor/toRetryableError.js";
import { UNPROVEN_INDEX } from "../shared/tables.js";

export interface OldestUnfinalizedProposalReturnType {
  /** Seconds (L1 time of the Proposed to now) of the oldest Shasta proposal not finalized; 0 when none. */
  readonly ageSeconds: number;
  readonly proposalId?: number;
}

/**
 * The oldest Shasta proposal without a Proved covering it as new, from the same sparse `unproven`
 * index under its own partition value (shastaLifecycleStore.ts). Invariant relied on: that store never
 * leaves a finalized proposal in the index (a Proposed applied after its finalization removes itself),
 * so the first entry by proposal time is the answer: one Query of one item.
 */
export async function oldestUnfinalizedProposal(
  ddb: DynamoDBClient,
  p: { readonly tableName: string /** Epoch milliseconds. */; readonly now: number },
): Promise<OldestUnfinalizedProposalReturnType> {
  try {
    const page = await ddb.send(
      new QueryCommand({
        TableName: p.tableName,
        IndexName: UNPROVEN_INDEX.indexName,
        KeyConditionExpression: "#u = :u",
        ExpressionAttributeNames: { "#u": UNPROVEN_INDEX.partitionKey },
        ExpressionAttributeValues: { ":u": { S: UNFINALIZED_PROPOSAL } },
        ScanIndexForward: true,
        Limit: 1,
      }),
    );
    const item = page.Items?.[0];
    if (!item) return { ageSeconds: 0 };
    const proposedAt = Number(item[UNPROVEN_INDEX.sortKey]?.N);
    const proposalId = Number(item.pk?.S?.split("#")[1]);
    const ageSeconds = Math.max(0, Math.floor(p.now / 1000) - proposedAt);
    return Number.isSafeInteger(proposalId) ? { ageSeconds, proposalId } : { ageSeconds };
  } catch (error) {
    throw toRetryableError(error, "unfinalized proposal query", { tableName: p.tableName });
  }
}
