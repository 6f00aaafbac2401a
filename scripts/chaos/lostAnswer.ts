/** The middleware stack of an AWS SDK v3 client, as far as a fault needs it. */
export interface MiddlewareStackLike {
  add(mw: unknown, options: Record<string, unknown>): void;
}

type Service = "dynamodb" | "sqs";

/** PartiQL statements that write: an INSERT is conditional by nature (it fails on an existing item). */
const PARTIQL_WRITE = /^\s*(INSERT|UPDATE|DELETE)\b/i;

/**
 * Whether a command is a write whose repetition is observable: a DynamoDB write with a condition (or a
 * PartiQL write, or a transaction), an SQS send. Those are the writes a lost answer makes dangerous.
 */
export function isLostAnswerTarget(
  service: Service,
  commandName: string,
  input: Record<string, unknown>,
): boolean {
  if (service === "sqs")
    return commandName === "SendMessageCommand" || commandName === "SendMessageBatchCommand";
  switch (commandName) {
    case "PutItemCommand":
    case "UpdateItemCommand":
    case "DeleteItemCommand":
      return typeof input.ConditionExpression === "string";
    case "TransactWriteItemsCommand":
      return true;
    case "ExecuteStatementCommand":
      return typeof input.Statement === "string" && PARTIQL_WRITE.test(input.Statement);
    case "BatchExecuteStatementCommand":
      return (
        Array.isArray(input.Statements) &&
        (input.Statements as { Statement?: string }[]).some((s) => PARTIQL_WRITE.test(s.Statement ?? ""))
      );
    default:
      return false;
  }
}

/** What Node's HTTP client throws when the connection resets after the request went out. */
export function connectionResetError(): Error {
  return Object.assign(new Error("injected: socket hang up (the write was applied, its answer lost)"), {
    name: "Error",
    code: "ECONNRESET",
    $metadata: {},
  });
}

/**
 * Applied, then the answer lost: inside the SDK's retry loop (finalizeRequest, low priority) each attempt
 * of a targeted write goes through to the service, and then, with the chance `probability()` gives, the
 * answer is replaced by a connection reset, which the SDK treats as transient and retries.
 */
export function addLostAnswers(
  stack: MiddlewareStackLike,
  service: Service,
  probability: () => number,
  random: () => number,
  count: (kind: string, n?: number) => void,
): void {
  stack.add(
    (
      next: (args: { input: Record<string, unknown> }) => Promise<unknown>,
      context: { commandName?: string },
    ) =>
      async (args: { input: Record<string, unknown> }) => {
        const result = await next(args);
        const p = probability();
        if (p > 0 && isLostAnswerTarget(service, context.commandName ?? "", args.input) && random() < p) {
          count(`${service}:lostAnswer`);
          throw connectionResetError();
        }
        return result;
      },
    { step: "finalizeRequest", priority: "low", name: "chaosLostAnswer" },
  );
}
