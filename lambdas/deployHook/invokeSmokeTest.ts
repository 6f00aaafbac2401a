import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { withRetry } from "../shared/retry.js";
import { describeError, SMOKE_EVENT, type SmokeCheck } from "../shared/smokeTest.js";
import type { DeploymentTarget } from "./readDeploymentTarget.js";

/** One check of the version's answer, as read back: `detail` may be missing from an older handler. */
export type SmokeCheckAnswer = Omit<SmokeCheck, "detail"> & { readonly detail?: string };

export interface SmokeTestResult {
  readonly ok: boolean;
  /** Why it failed, or a one-line summary of the checks. */
  readonly detail: string;
  readonly checks: readonly SmokeCheckAnswer[];
  readonly attempts: number;
}

export interface InvokeSmokeTestParameters {
  readonly lambda: LambdaClient;
  readonly target: DeploymentTarget;
  /** Epoch ms after which no new attempt starts. */
  readonly deadline: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<unknown>;
}

// Throttling is expected: the ingestor's reserved concurrency (1) is busy while the live version polls.
const RETRY_WHILE = new Set(["TooManyRequestsException", "ResourceNotReadyException"]);
const BACKOFF = { baseDelayMs: 2_000, maxDelayMs: 10_000 } as const;

/**
 * Invokes exactly the target version with the smoke event and judges the answer: the version
 * passes only if it returned `{ ok: true }` without a function error. Throttled attempts are
 * retried with backoff until the deadline; any other invoke error is a failure.
 */
export async function invokeSmokeTest(parameters: InvokeSmokeTestParameters): Promise<SmokeTestResult> {
  const { lambda, target, deadline } = parameters;
  let attempts = 0;
  try {
    return await withRetry(
      async () => {
        attempts++;
        const response = await lambda.send(
          new InvokeCommand({
            FunctionName: target.functionName,
            Qualifier: target.targetVersion,
            InvocationType: "RequestResponse",
            Payload: new TextEncoder().encode(JSON.stringify(SMOKE_EVENT)),
          }),
        );
        return judge(response.FunctionError, response.Payload, attempts);
      },
      {
        ...BACKOFF,
        attempts: Number.POSITIVE_INFINITY,
        retryable: (error) => error instanceof Error && RETRY_WHILE.has(error.name),
        deadline,
        ...(parameters.now ? { now: parameters.now } : {}),
        ...(parameters.sleep ? { sleep: parameters.sleep } : {}),
      },
    );
  } catch (error) {
    return {
      ok: false,
      detail: `invoke failed after ${attempts} attempt(s): ${describeError(error)}`,
      checks: [],
      attempts,
    };
  }
}

function judge(
  functionError: string | undefined,
  payload: Uint8Array | undefined,
  attempts: number,
): SmokeTestResult {
  const text = payload ? new TextDecoder().decode(payload) : "";
  if (functionError) {
    return {
      ok: false,
      detail: `the function failed (${functionError}): ${text.slice(0, 500)}`,
      checks: [],
      attempts,
    };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return {
      ok: false,
      detail: `the smoke response is not JSON: ${text.slice(0, 200)}`,
      checks: [],
      attempts,
    };
  }
  if (typeof body !== "object" || body === null || typeof (body as { ok?: unknown }).ok !== "boolean") {
    return { ok: false, detail: "the smoke response has no boolean `ok`", checks: [], attempts };
  }
  const { ok, checks } = body as { ok: boolean; checks?: unknown };
  const list: SmokeCheckAnswer[] = Array.isArray(checks)
    ? checks.filter(
        (c): c is SmokeCheckAnswer => typeof c === "object" && c !== null && "name" in c && "ok" in c,
      )
    : [];
  const failed = list.filter((c) => !c.ok);
  const detail = ok
    ? `${list.length} check(s) passed`
    : `failed checks: ${failed.map((c) => (c.detail ? `${c.name} (${c.detail})` : c.name)).join(", ") || "none named"}`;
  return { ok, detail, checks: list, attempts };
}
