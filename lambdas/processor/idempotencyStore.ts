import {
  type AttributeValue,
  BatchExecuteStatementCommand,
  type BatchStatementRequest,
  type BatchStatementResponse,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { chunk } from "../shared/chunk.js";
import { ClaimHeldError, type RetryableError } from "../shared/errors.js";
import { IdempotencyTable } from "../shared/tables.js";
import { statementError, toRetryableError } from "./toRetryableError.js";

/**
 * The claim / complete protocol of the idempotency table, batched: one BatchExecuteStatement round
 * trip claims a whole SQS batch, one completes it (a batch with replays adds one consistent read).
 * PartiQL statements carry their own conditions and report per statement, so one conflicting record
 * never fails the others, and each costs the write units of a plain conditional PutItem/UpdateItem
 * (TransactWriteItems would cost twice that).
 *
 * Item: { id: observationId, status, claimExpiresAt (epoch ms, while IN_PROGRESS), owner, eventKey, ttl (epoch s) }.
 */
export type IdempotencyStatus = "IN_PROGRESS" | "COMPLETED";

export interface IdempotencyRecord {
  readonly id: string;
  readonly status: IdempotencyStatus;
  readonly owner: string;
  readonly eventKey: string;
  readonly claimExpiresAt?: number;
  readonly ttl?: number;
}

export interface ClaimRequest {
  readonly observationId: string;
  readonly eventKey: string;
}

/** A claim we hold: the owner token is what completion and release are conditional on. */
export interface Claim {
  readonly observationId: string;
  readonly eventKey: string;
  readonly owner: string;
}

export type ClaimOutcome =
  /** Ours until claimExpiresAt. `retaken`: a crashed worker's expired claim was taken over. */
  | { readonly status: "claimed"; readonly claim: Claim; readonly retaken: boolean }
  /** Already COMPLETED: acknowledge without applying. */
  | { readonly status: "duplicate"; readonly existing: IdempotencyRecord }
  /** ClaimHeldError (a live claim of another owner), ThrottledError, or another RetryableError. */
  | { readonly status: "failed"; readonly error: RetryableError };

export type CompleteOutcome =
  | { readonly status: "completed" }
  /** Our claim expired and another worker took it over: harmless, the sink write is idempotent. */
  | { readonly status: "lost"; readonly current?: IdempotencyRecord }
  | { readonly status: "failed"; readonly error: RetryableError };

export interface IdempotencyStore {
  /** Claim each observation for `owner`. Outcomes are in request order; never throws. At most 2 round trips. */
  claim(requests: readonly ClaimRequest[], owner: string): Promise<ClaimOutcome[]>;
  /** Mark claims COMPLETED with the TTL, conditional on still owning them. Outcomes in order; never throws. */
  complete(claims: readonly Claim[]): Promise<CompleteOutcome[]>;
  /** Delete claims we still own, so the retry of a failed record need not wait for the lease. Returns how many. */
  release(claims: readonly Claim[]): Promise<number>;
}

export interface CreateIdempotencyStoreParameters {
  readonly ddb: DynamoDBClient;
  readonly tableName: string;
  readonly claimTimeoutSeconds: number;
  readonly ttlDays: number;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

/** BatchExecuteStatement accepts at most 25 statements per call. */
const MAX_STATEMENTS = 25;

export function createIdempotencyStore(parameters: CreateIdempotencyStoreParameters): IdempotencyStore {
  const { ddb, tableName, claimTimeoutSeconds, ttlDays } = parameters;
  const now = parameters.now ?? Date.now;
  const table = `"${tableName.replaceAll('"', '""')}"`;
  const ttlAt = (ms: number) => Math.floor(ms / 1000) + ttlDays * 86_400;

  const { insertClaim, retakeClaim, completeClaim, releaseClaim, readClaim } = statementsFor(table);

  async function claim(requests: readonly ClaimRequest[], owner: string): Promise<ClaimOutcome[]> {
    const at = now();
    const expiresAt = at + claimTimeoutSeconds * 1000;
    const outcomes: (ClaimOutcome | undefined)[] = new Array(requests.length).fill(undefined);
    const claimOf = (r: ClaimRequest): Claim => ({
      observationId: r.observationId,
      eventKey: r.eventKey,
      owner,
    });

    // Round trip 1, the common path: a new observation is simply inserted.
    const inserted = await execute(
      ddb,
      requests.map((r) => ({
        Statement: insertClaim,
        Parameters: [
          s(r.observationId),
          s("IN_PROGRESS"),
          n(expiresAt),
          s(owner),
          s(r.eventKey),
          n(ttlAt(at)),
        ],
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      })),
      "claim",
    );
    const toRead: number[] = [];
    const toRetake: number[] = [];
    inserted.forEach((result, i) => {
      const request = requests[i] as ClaimRequest;
      if (result.kind === "ok") outcomes[i] = { status: "claimed", claim: claimOf(request), retaken: false };
      else if (result.kind === "error") outcomes[i] = { status: "failed", error: result.error };
      else if (result.item === undefined) toRead.push(i);
      else {
        const existing = parseIdempotencyRecord(result.item);
        const decided = existing && classifyExisting(existing, at, request, owner);
        if (decided) outcomes[i] = decided;
        else toRetake.push(i);
      }
    });

    // Round trip 2, only for existing items the failed INSERT did not return (DynamoDB Local never
    // does): read them, consistently. A read costs no write units, so a replayed duplicate costs one
    // write unit (the failed INSERT), not two as when a conditional UPDATE was used to find out.
    if (toRead.length > 0) {
      const read = await execute(
        ddb,
        toRead.map((i) => ({
          Statement: readClaim,
          Parameters: [s((requests[i] as ClaimRequest).observationId)],
          ConsistentRead: true,
        })),
        "read claim",
      );
      read.forEach((result, j) => {
        const i = toRead[j] as number;
        const request = requests[i] as ClaimRequest;
        if (result.kind === "error") outcomes[i] = { status: "failed", error: result.error };
        else {
          const existing =
            result.kind === "ok" && result.item ? parseIdempotencyRecord(result.item) : undefined;
          const decided = existing
            ? classifyExisting(existing, at, request, owner)
            : changedMeanwhile(request);
          if (decided) outcomes[i] = decided;
          else toRetake.push(i);
        }
      });
    }

    // Round trip 3, only for existing items holding an expired claim (a crashed worker's).
    if (toRetake.length > 0) {
      const retaken = await execute(
        ddb,
        toRetake.map((i) => {
          const r = requests[i] as ClaimRequest;
          return {
            Statement: retakeClaim,
            Parameters: [
              s("IN_PROGRESS"),
              n(expiresAt),
              s(owner),
              s(r.eventKey),
              n(ttlAt(at)),
              s(r.observationId),
              s("IN_PROGRESS"),
              n(at),
            ],
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          };
        }),
        "retake claim",
      );
      retaken.forEach((result, j) => {
        const i = toRetake[j] as number;
        const request = requests[i] as ClaimRequest;
        if (result.kind === "ok") outcomes[i] = { status: "claimed", claim: claimOf(request), retaken: true };
        else if (result.kind === "error") outcomes[i] = { status: "failed", error: result.error };
        else {
          const existing = result.item && parseIdempotencyRecord(result.item);
          outcomes[i] =
            (existing && classifyExisting(existing, at, request, owner)) ?? changedMeanwhile(request);
        }
      });
    }
    return outcomes as ClaimOutcome[];
  }

  async function complete(claims: readonly Claim[]): Promise<CompleteOutcome[]> {
    const at = now();
    const results = await execute(
      ddb,
      claims.map((c) => ({
        Statement: completeClaim,
        Parameters: [s("COMPLETED"), n(ttlAt(at)), s(c.observationId), s(c.owner)],
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      })),
      "complete claim",
    );
    return results.map((result): CompleteOutcome => {
      if (result.kind === "ok") return { status: "completed" };
      if (result.kind === "error") return { status: "failed", error: result.error };
      const current = result.item && parseIdempotencyRecord(result.item);
      return current ? { status: "lost", current } : { status: "lost" };
    });
  }

  async function release(claims: readonly Claim[]): Promise<number> {
    const results = await execute(
      ddb,
      claims.map((c) => ({
        Statement: releaseClaim,
        Parameters: [s(c.observationId), s(c.owner), s("IN_PROGRESS")],
      })),
      "release claim",
    );
    return results.filter((r) => r.kind === "ok").length;
  }

  return { claim, complete, release };
}

/** Gone or changed between two round trips (released, or expired by TTL): the retry will insert it. */
function changedMeanwhile(request: ClaimRequest): ClaimOutcome {
  return {
    status: "failed",
    error: new ClaimHeldError(`claim on ${request.observationId} changed while being claimed`, {
      context: { observationId: request.observationId, eventKey: request.eventKey },
    }),
  };
}

/**
 * What an existing item means for a new claim, or undefined when only the retake condition can tell.
 * An IN_PROGRESS item of our own owner token is our claim: its write landed but the answer was lost and
 * the SDK retried (owner tokens are unique per batch, so no other worker holds ours).
 */
function classifyExisting(
  existing: IdempotencyRecord,
  at: number,
  request: ClaimRequest,
  owner: string,
): ClaimOutcome | undefined {
  if (existing.status === "COMPLETED") return { status: "duplicate", existing };
  if (existing.owner === owner) {
    const claim = { observationId: request.observationId, eventKey: request.eventKey, owner };
    return { status: "claimed", claim, retaken: false };
  }
  if (existing.claimExpiresAt !== undefined && existing.claimExpiresAt < at) return undefined;
  return {
    status: "failed",
    error: new ClaimHeldError(`observation ${request.observationId} is claimed by another worker`, {
      context: { observationId: request.observationId, eventKey: request.eventKey, existing },
    }),
  };
}

/** The PartiQL statements of the store on `table` (quoted), keyed and expiring per IdempotencyTable. */
function statementsFor(table: string) {
  const { partitionKey: id, ttlAttribute: ttl } = IdempotencyTable;
  const insertClaim = `INSERT INTO ${table} VALUE {'${id}': ?, 'status': ?, 'claimExpiresAt': ?, 'owner': ?, 'eventKey': ?, '${ttl}': ?}`;
  // Invariant: an IN_PROGRESS item whose lease has passed belongs to a crashed (or too slow) worker.
  const retakeClaim = `UPDATE ${table} SET "status" = ? SET "claimExpiresAt" = ? SET "owner" = ? SET "eventKey" = ? SET "${ttl}" = ? WHERE "${id}" = ? AND "status" = ? AND "claimExpiresAt" < ?`;
  const completeClaim = `UPDATE ${table} SET "status" = ? SET "${ttl}" = ? REMOVE "claimExpiresAt" WHERE "${id}" = ? AND "owner" = ?`;
  const releaseClaim = `DELETE FROM ${table} WHERE "${id}" = ? AND "owner" = ? AND "status" = ?`;
  const readClaim = `SELECT * FROM ${table} WHERE "${id}" = ?`;
  return { insertClaim, retakeClaim, completeClaim, releaseClaim, readClaim };
}

type StatementResult =
  /** `item`: what a SELECT found. */
  | { readonly kind: "ok"; readonly item?: Record<string, AttributeValue> }
  /** The item exists / the condition failed; `item` is the old item when DynamoDB returned it. */
  | { readonly kind: "conflict"; readonly item?: Record<string, AttributeValue> }
  | { readonly kind: "error"; readonly error: RetryableError };

/** Run statements in as few BatchExecuteStatement calls as allowed; a failed call fails its statements, not the others. */
async function execute(
  ddb: DynamoDBClient,
  statements: readonly BatchStatementRequest[],
  what: string,
): Promise<StatementResult[]> {
  const results = await Promise.all(
    chunk(statements, { maxItems: MAX_STATEMENTS }).map(async (batch): Promise<StatementResult[]> => {
      try {
        const { Responses = [] } = await ddb.send(new BatchExecuteStatementCommand({ Statements: batch }));
        return batch.map((_, i) => toResult(Responses[i], what));
      } catch (error) {
        const failure = toRetryableError(error, what);
        return batch.map(() => ({ kind: "error", error: failure }));
      }
    }),
  );
  return results.flat();
}

function toResult(response: BatchStatementResponse | undefined, what: string): StatementResult {
  // Responses come back in statement order, one per statement; a missing one is a failure we cannot explain.
  if (response === undefined)
    return { kind: "error", error: statementError({ Code: "MissingResponse" }, what) };
  const error = response.Error;
  if (error === undefined) return response.Item ? { kind: "ok", item: response.Item } : { kind: "ok" };
  if (error.Code === "ConditionalCheckFailed" || error.Code === "DuplicateItem") {
    return error.Item ? { kind: "conflict", item: error.Item } : { kind: "conflict" };
  }
  return { kind: "error", error: statementError(error, what) };
}

/** An idempotency item as a record, or undefined when it is not one (no id, an unknown status). */
export function parseIdempotencyRecord(item: Record<string, AttributeValue>): IdempotencyRecord | undefined {
  const id = item[IdempotencyTable.partitionKey]?.S;
  const status = item.status?.S;
  if (id === undefined || (status !== "IN_PROGRESS" && status !== "COMPLETED")) return undefined;
  const claimExpiresAt = item.claimExpiresAt?.N;
  const ttl = item[IdempotencyTable.ttlAttribute]?.N;
  return {
    id,
    status,
    owner: item.owner?.S ?? "",
    eventKey: item.eventKey?.S ?? "",
    ...(claimExpiresAt === undefined ? {} : { claimExpiresAt: Number(claimExpiresAt) }),
    ...(ttl === undefined ? {} : { ttl: Number(ttl) }),
  };
}

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });
