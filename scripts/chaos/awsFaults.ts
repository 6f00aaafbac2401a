import type { BatchStatementResponse, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { BatchResultErrorEntry, SendMessageBatchRequestEntry, SQSClient } from "@aws-sdk/client-sqs";
import { addLostAnswers } from "./lostAnswer.js";

/** Live switches of the AWS faults; the chaos run flips them as its schedule says. */
export interface AwsFaultControl {
  /** Chance that one call is throttled (the SDK retries it with backoff; it may still surface). */
  throttle: number;
  /**
   * Chance that one statement of a BatchExecuteStatement, or one entry of a SendMessageBatch, is refused
   * as throttled while the rest of the call goes through (those are never executed or sent).
   */
  partial: number;
  /**
   * Chance that a conditional DynamoDB write, or an SQS send, is applied and its answer then lost (the
   * connection resets on the way back): the SDK retries a write that already happened (lostAnswer.ts).
   * Per service: the two are written at very different rates (per event, per publish).
   */
  readonly lostAnswer: Record<Service, number>;
  /** Faults injected so far, by kind. */
  readonly injected: Record<string, number>;
}

export function createAwsFaultControl(): AwsFaultControl {
  return { throttle: 0, partial: 0, lostAnswer: { dynamodb: 0, sqs: 0 }, injected: {} };
}

type Service = "dynamodb" | "sqs";

/** The exception names DynamoDB and SQS really answer with when they shed load. */
const THROTTLE_NAME: Record<Service, string[]> = {
  dynamodb: ["ProvisionedThroughputExceededException", "ThrottlingException"],
  sqs: ["ThrottlingException", "RequestThrottled"],
};

/**
 * Throttling injected at the SDK boundary of a client, the way the services do it: whole calls answered
 * with the service's throttling exception (inside the SDK's retry loop, so its backoff applies), and
 * per-statement / per-entry refusals in the batch APIs. The code under test is untouched.
 */
export function addAwsFaults(
  client: DynamoDBClient | SQSClient,
  service: Service,
  control: AwsFaultControl,
  random: () => number,
): void {
  const count = (kind: string, n = 1) => {
    control.injected[kind] = (control.injected[kind] ?? 0) + n;
  };
  const stack = client.middlewareStack as unknown as {
    add(mw: unknown, options: Record<string, unknown>): void;
  };

  // Inside the retry middleware (finalizeRequest, low priority): each attempt may be throttled.
  stack.add(
    (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      if (control.throttle > 0 && random() < control.throttle) {
        const names = THROTTLE_NAME[service];
        const name = names[Math.floor(random() * names.length)] as string;
        count(`${service}:${name}`);
        throw Object.assign(new Error(`injected: ${name}`), {
          name,
          $fault: "client",
          $metadata: { httpStatusCode: 400, attempts: 1, totalRetryDelay: 0 },
        });
      }
      return next(args);
    },
    { step: "finalizeRequest", priority: "low", name: "chaosThrottle" },
  );

  // Before serialization: drop some statements / entries and answer for them as the service would.
  stack.add(
    (next: (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>) =>
      async (args: { input: Record<string, unknown> }) => {
        if (control.partial <= 0) return next(args);
        if (service === "dynamodb" && Array.isArray(args.input.Statements)) {
          return partialStatements(next, args, control.partial, random, count);
        }
        if (
          service === "sqs" &&
          Array.isArray(args.input.Entries) &&
          typeof args.input.QueueUrl === "string"
        ) {
          return partialEntries(next, args, control.partial, random, count);
        }
        return next(args);
      },
    { step: "initialize", name: "chaosPartialBatch" },
  );

  addLostAnswers(stack, service, () => control.lostAnswer[service], random, count);
}

type Next = (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>;

async function partialStatements(
  next: Next,
  args: { input: Record<string, unknown> },
  p: number,
  random: () => number,
  count: (kind: string, n?: number) => void,
) {
  const statements = args.input.Statements as unknown[];
  const refused = statements.map(() => random() < p);
  const kept = statements.filter((_, i) => !refused[i]);
  const n = refused.filter(Boolean).length;
  if (n === 0) return next(args);
  count("dynamodb:statementThrottled", n);
  const result =
    kept.length > 0 ? await next({ ...args, input: { ...args.input, Statements: kept } }) : { output: {} };
  const answered = [...((result.output.Responses as BatchStatementResponse[] | undefined) ?? [])];
  const responses = refused.map((r) =>
    r
      ? { Error: { Code: "ProvisionedThroughputExceeded", Message: "injected: statement throttled" } }
      : answered.shift(),
  );
  return { ...result, output: { ...result.output, Responses: responses } };
}

async function partialEntries(
  next: Next,
  args: { input: Record<string, unknown> },
  p: number,
  random: () => number,
  count: (kind: string, n?: number) => void,
) {
  const entries = args.input.Entries as SendMessageBatchRequestEntry[];
  const refused = entries.filter(() => random() < p);
  if (refused.length === 0) return next(args);
  count("sqs:entryThrottled", refused.length);
  const kept = entries.filter((e) => !refused.includes(e));
  const result =
    kept.length > 0 ? await next({ ...args, input: { ...args.input, Entries: kept } }) : { output: {} };
  const failed: BatchResultErrorEntry[] = [
    ...((result.output.Failed as BatchResultErrorEntry[] | undefined) ?? []),
    ...refused.map((e) => ({
      Id: e.Id,
      Code: "RequestThrottled",
      SenderFault: false,
      Message: "injected: entry throttled",
    })),
  ];
  return { ...result, output: { Successful: [], ...result.output, Failed: failed } };
}
