import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import type { DeploymentTarget } from "./readDeploymentTarget.js";

/** The dry-run contract every Tidemark handler answers for `{"smoke": true}`. */
export interface SmokeCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail?: string;
}

export interface SmokeTestResult {
  readonly ok: boolean;
  /** Why it failed, or a one-line summary of the checks. */
  readonly detail: string;
  readonly checks: readonly SmokeCheck[];
  readonly attempts: number;
}

export interface InvokeSmokeTestParameters {
  readonly lambda: LambdaClient;
  readonly target: DeploymentTarget;
  /** Epoch ms after which no new attempt starts. */
  readonly deadline: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export const SMOKE_EVENT = { smoke: true } as const;

// Throttling is expected: the ingestor's reserved concurrency (1) is busy while the live version polls.
const RETRY_WHILE = new Set(["TooManyRequestsException", "ResourceNotReadyException"]);
const FIRST_BACKOFF_MS = 2_000;
const MAX_BACKOFF_MS = 10_000;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Invokes exactly the target version with the smoke event and judges the answer: the version
 * passes only if it returned `{ ok: true }` without a function error. Throttled attempts are
 * retried with backoff until the deadline; any other invoke error is a failure.
 */
export async function invokeSmokeTest(parameters: InvokeSmokeTestParameters): Promise<SmokeTestResult> {
  const { lambda, target, deadline } = parameters;
  const now = parameters.now ?? Date.now;
  const sleep = parameters.sleep ?? defaultSleep;
  let backoff = FIRST_BACKOFF_MS;
  for (let attempts = 1; ; attempts++) {
    try {
      const response = await lambda.send(
        new InvokeCommand({
          FunctionName: target.functionName,
          Qualifier: target.targetVersion,
          InvocationType: "RequestResponse",
          Payload: new TextEncoder().encode(JSON.stringify(SMOKE_EVENT)),
        }),
      );
      return judge(response.FunctionError, response.Payload, attempts);
    } catch (error) {
      const name = error instanceof Error ? error.name : "";
      if (!RETRY_WHILE.has(name) || now() + backoff >= deadline) {
        return {
          ok: false,
          detail: `invoke failed after ${attempts} attempt(s): ${describe(error)}`,
          checks: [],
          attempts,
        };
      }
      await sleep(backoff);
      backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
    }
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
  const list: SmokeCheck[] = Array.isArray(checks)
    ? checks.filter((c): c is SmokeCheck => typeof c === "object" && c !== null && "name" in c && "ok" in c)
    : [];
  const failed = list.filter((c) => !c.ok);
  const detail = ok
    ? `${list.length} check(s) passed`
    : `failed checks: ${failed.map((c) => (c.detail ? `${c.name} (${c.detail})` : c.name)).join(", ") || "none named"}`;
  return { ok, detail, checks: list, attempts };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
