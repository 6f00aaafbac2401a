import type { HttpTransportConfig } from "viem";
import { chunk } from "../shared/chunk.js";
import { redactSecrets } from "../shared/redact.js";
import { withRetry } from "../shared/retry.js";
import { createJsonRpcPost } from "./jsonRpcPost.js";

export interface JsonRpcCall {
  readonly method: string;
  readonly params: readonly unknown[];
}

/** Sends many calls as JSON-RPC batch bodies and returns their results in call order. */
export type JsonRpcBatch = (calls: readonly JsonRpcCall[]) => Promise<unknown[]>;

export interface CreateJsonRpcBatchParameters {
  /** Tried in order for each batch body: the next URL when one fails. */
  readonly urls: readonly string[];
  /** Calls per batch body (one HTTP request each). */
  readonly batchSize: number;
  /** Rounds over the whole URL list after the first. */
  readonly retryCount: number;
  /** Ceiling of the first round's full-jitter backoff (lambdas/shared/retry.ts); it doubles per round. */
  readonly retryDelayMs: number;
  readonly timeoutMs: number;
  readonly onFetchRequest?: HttpTransportConfig["onFetchRequest"];
}

/**
 * JSON-RPC batches built by hand for the one read that comes in thousands: block headers. Asking
 * viem for each header separately sends the same batches, but every call passes through viem's
 * fallback, retry and batch-scheduler layers (the fallback even builds a transport per call); the
 * bench's profile showed that, and the garbage it leaves, as most of the ingestor's fetch CPU. The
 * bodies go over node's HTTP client (jsonRpcPost.ts), not fetch, for the same reason.
 *
 * Same failure handling as the viem client it stands beside: each batch body goes to the URLs in
 * order, the next one when a URL fails (HTTP error, timeout, or an error for any call in the body),
 * with the codebase's one backoff policy between rounds. Reads are idempotent, so a failed body is
 * resent whole.
 */
export function createJsonRpcBatch(parameters: CreateJsonRpcBatchParameters): JsonRpcBatch {
  const { urls, batchSize, retryCount, retryDelayMs, timeoutMs, onFetchRequest } = parameters;
  const posts = urls.map((url) => createJsonRpcPost({ url, timeoutMs, onFetchRequest }));
  const policy = {
    attempts: retryCount + 1,
    baseDelayMs: retryDelayMs,
    maxDelayMs: retryDelayMs * 2 ** retryCount,
    // Every failure here (HTTP, timeout, an error reply) may pass on another round or URL.
    retryable: () => true,
  };

  /** One round over the URL list: the first that answers the whole body wins. */
  async function sendOnce(calls: readonly JsonRpcCall[]): Promise<unknown[]> {
    const body = calls.map((call, id) => ({ jsonrpc: "2.0", id, method: call.method, params: call.params }));
    let lastError: unknown = new Error("no RPC URL configured");
    for (const post of posts) {
      try {
        return resultsInOrder(await post(body), calls.length);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  return async (calls) => {
    const bodies = chunk(calls, { maxItems: batchSize }).map((part) =>
      withRetry(() => sendOnce(part), policy),
    );
    return (await Promise.all(bodies)).flat();
  };
}

interface JsonRpcReply {
  readonly id?: unknown;
  readonly result?: unknown;
  readonly error?: { readonly code?: number; readonly message?: string };
}

/** Replies may come in any order (JSON-RPC 2.0); an error for any call fails the body. */
function resultsInOrder(replies: unknown, count: number): unknown[] {
  if (!Array.isArray(replies)) throw new Error("the node answered a batch with a single reply");
  const results: unknown[] = new Array(count);
  const seen = new Array<boolean>(count).fill(false);
  for (const reply of replies as JsonRpcReply[]) {
    const id = reply.id;
    if (typeof id !== "number" || id < 0 || id >= count) continue;
    if (reply.error) {
      throw new Error(
        `the node answered ${reply.error.code ?? "an error"}: ${redactSecrets(String(reply.error.message ?? "")).slice(0, 200)}`,
      );
    }
    results[id] = reply.result;
    seen[id] = true;
  }
  const missing = seen.indexOf(false);
  if (missing !== -1) throw new Error(`the node's batch reply has no answer for call ${missing}`);
  return results;
}
