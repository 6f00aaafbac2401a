import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { NotFoundError } from "../api/errors.js";
import type { EventStore } from "./eventStore.js";
import { type IngestFaultInjector, IngestFaultPoint } from "./ingestFaultPoints.js";
import { ingestKeys, seqKey } from "./ingestTable.js";
import { inclusionPath, leafHash, merkleRoot } from "./merkle.js";
import type { Anchor, Commitment, InclusionProof } from "./proofs.js";
import { signCommitment } from "./proofs.js";
import { queryPartition } from "./queryPartition.js";
import type { ReceiptSigner } from "./receipts.js";

export interface CommitmentStore {
  /**
   * Make the stream's next commitment if one is due (commitEveryEvents uncommitted, or the oldest
   * uncommitted older than commitEverySeconds); undefined when none is due or another committer won.
   */
  commitDue(stream: string): Promise<Commitment | undefined>;
  /** The commitment covering `sequence`, if one was made. */
  commitmentFor(stream: string, sequence: number): Promise<Commitment | undefined>;
  listCommitments(stream: string): Promise<Commitment[]>;
  /** Proof that `eventId` is in its commitment; NotFoundError if the event is unknown or not committed yet. */
  inclusionProof(eventId: string): Promise<InclusionProof>;
  /** Record where the root is on chain, conditional on the anchor we replaced (none, or a dropped tx). */
  recordAnchor(commitment: Commitment, anchor: Anchor): Promise<Commitment>;
}

export interface CreateCommitmentStoreParameters {
  readonly ddb: DynamoDBClient;
  readonly tableName: string;
  readonly events: EventStore;
  readonly signer: ReceiptSigner;
  readonly commitEveryEvents: number;
  readonly commitEverySeconds: number;
  readonly now?: () => number;
  readonly faults?: IngestFaultInjector;
}

export function createCommitmentStore(parameters: CreateCommitmentStoreParameters): CommitmentStore {
  const { ddb, tableName, events } = parameters;

  const store: CommitmentStore = {
    commitDue: (stream) => commitNext(parameters, stream),

    async commitmentFor(stream, sequence) {
      // Commitments are keyed by toSequence: the first one at or after `sequence` covers it, if any.
      const { Items } = await ddb.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: "pk = :pk AND sk >= :seq",
          ExpressionAttributeValues: {
            ":pk": { S: ingestKeys.commitmentsOf(stream) },
            ":seq": { S: seqKey(sequence) },
          },
          ConsistentRead: true,
          Limit: 1,
        }),
      );
      const found = Items?.[0] && fromItem(Items[0]);
      return found && found.fromSequence <= sequence ? found : undefined;
    },

    async listCommitments(stream) {
      return queryPartition(
        { ddb, tableName, pk: ingestKeys.commitmentsOf(stream), consistentRead: true },
        fromItem,
      );
    },

    async inclusionProof(eventId) {
      const event = await events.getEvent(eventId);
      const commitment = await store.commitmentFor(event.stream, event.sequence);
      if (!commitment) {
        throw new NotFoundError(
          `event ${eventId} (${event.stream} #${event.sequence}) is not committed yet`,
          {
            field: "eventId",
          },
        );
      }
      const range = await events.readRange(event.stream, commitment.fromSequence, commitment.toSequence);
      const leafIndex = event.sequence - commitment.fromSequence;
      return {
        receipt: event.receipt,
        commitment,
        leafIndex,
        treeSize: range.length,
        path: inclusionPath(
          range.map((e) => leafHash(e.receipt)),
          leafIndex,
        ),
      };
    },

    async recordAnchor(commitment, anchor) {
      const previous = commitment.anchor?.txHash;
      try {
        const { Attributes } = await ddb.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: key(ingestKeys.commitment(commitment.stream, commitment.toSequence)),
            UpdateExpression: "SET anchor = :anchor, anchorTx = :tx",
            ConditionExpression:
              previous === undefined ? "attribute_not_exists(anchorTx)" : "anchorTx = :previous",
            ExpressionAttributeValues: {
              ":anchor": { S: JSON.stringify(anchor) },
              ":tx": { S: anchor.txHash },
              ...(previous === undefined ? {} : { ":previous": { S: previous } }),
            },
            ReturnValues: "ALL_NEW",
          }),
        );
        return fromItem(Attributes ?? {});
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Another anchorer recorded first; its anchor stands (the registry holds the same root either way).
        return (await store.commitmentFor(commitment.stream, commitment.toSequence)) ?? commitment;
      }
    },
  };
  return store;
}

/**
 * The stream's next commitment, if due. The commitment and the commit head move in one transaction,
 * so two committers racing cannot both commit a range (the loser gets undefined).
 */
async function commitNext(
  parameters: CreateCommitmentStoreParameters,
  stream: string,
): Promise<Commitment | undefined> {
  const { ddb, tableName, events, signer, commitEveryEvents, commitEverySeconds } = parameters;
  const now = parameters.now ?? Date.now;
  const { Item } = await ddb.send(
    new GetItemCommand({
      TableName: tableName,
      Key: key(ingestKeys.commitHead(stream)),
      ConsistentRead: true,
    }),
  );
  const last = Number(Item?.last?.N ?? "0");
  const head = await events.head(stream);
  if (head <= last) return undefined;
  let to = Math.min(head, last + commitEveryEvents);
  const range = await events.readRange(stream, last + 1, to);
  // Invariant (ingestTable.ts): every sequence ≤ head has its event item, so the range is complete.
  if (range.length !== to - last)
    throw new Error(`invariant: ${stream} ${last + 1}…${to} has ${range.length} events`);
  const oldest = Date.parse(range[0]?.receipt.acceptedAt ?? "");
  if (to - last < commitEveryEvents && now() - oldest < commitEverySeconds * 1000) return undefined;
  to = last + range.length;
  const commitment = signCommitment(
    {
      stream,
      fromSequence: last + 1,
      toSequence: to,
      root: merkleRoot(range.map((e) => leafHash(e.receipt))),
      committedAt: new Date(now()).toISOString(),
    },
    signer,
  );
  try {
    // The commitment and the commit head move together: two committers cannot both commit a range.
    await ddb.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName,
              Key: key(ingestKeys.commitHead(stream)),
              UpdateExpression: "SET #last = :to, committedAt = :at",
              ConditionExpression: last === 0 ? "attribute_not_exists(#last)" : "#last = :last",
              ExpressionAttributeNames: { "#last": "last" },
              ExpressionAttributeValues: {
                ":to": { N: String(to) },
                ":at": { S: commitment.committedAt },
                ...(last === 0 ? {} : { ":last": { N: String(last) } }),
              },
            },
          },
          {
            Put: {
              TableName: tableName,
              Item: { ...key(ingestKeys.commitment(stream, to)), ...toItem(commitment) },
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
        ],
      }),
    );
  } catch (error) {
    if (error instanceof TransactionCanceledException) return undefined;
    throw error;
  }
  parameters.faults?.hit(IngestFaultPoint.AfterCommit, { stream, to });
  return commitment;
}

const key = (k: { pk: string; sk: string }) => ({ pk: { S: k.pk }, sk: { S: k.sk } });

function toItem(c: Commitment): Record<string, AttributeValue> {
  return {
    stream: { S: c.stream },
    fromSequence: { N: String(c.fromSequence) },
    toSequence: { N: String(c.toSequence) },
    root: { S: c.root },
    committedAt: { S: c.committedAt },
    publicKey: { S: c.publicKey },
    signature: { S: c.signature },
  };
}

function fromItem(item: Record<string, AttributeValue>): Commitment {
  return {
    stream: item.stream?.S ?? "",
    fromSequence: Number(item.fromSequence?.N ?? "0"),
    toSequence: Number(item.toSequence?.N ?? "0"),
    root: item.root?.S ?? "",
    committedAt: item.committedAt?.S ?? "",
    publicKey: item.publicKey?.S ?? "",
    signature: item.signature?.S ?? "",
    ...(item.anchor?.S ? { anchor: JSON.parse(item.anchor.S) as Anchor } : {}),
  };
}
