import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";

/** Commands that write (and so consume write units); ReturnConsumedCapacity is asked for on each. */
const WRITE_COMMANDS = new Set([
  "PutItemCommand",
  "UpdateItemCommand",
  "DeleteItemCommand",
  "BatchWriteItemCommand",
  "TransactWriteItemsCommand",
  "ExecuteStatementCommand",
  "BatchExecuteStatementCommand",
  "ExecuteTransactionCommand",
]);

interface Capacity {
  CapacityUnits?: number;
  WriteCapacityUnits?: number;
  ReadCapacityUnits?: number;
}

/** DynamoDB requests by command and the capacity units DynamoDB reported for them. */
export interface DdbAccounting {
  readonly requests: Map<string, number>;
  /**
   * Write units by DynamoDB's pricing rule: each item write (PartiQL statement included) costs
   * ceil(item KB), a failed condition included; a transactional write twice that. Counted from the
   * requests because DynamoDB Local reports ConsumedCapacity for single-item commands only.
   */
  writeUnits: number;
  /** Write units DynamoDB (Local) itself reported via ReturnConsumedCapacity, where it does. */
  reportedWriteUnits: number;
  /** Read units by DynamoDB's pricing rule: 1 per strongly consistent item read ≤ 4 KB, 0.5 eventually consistent. */
  readUnits: number;
  /** Write statements/requests that failed their condition (charged by DynamoDB, not reported back). */
  conditionFailures: number;
  /** Wall-clock milliseconds spent waiting for DynamoDB (overlapping requests add up). */
  waitMs: number;
  totalRequests(): number;
  reset(): void;
  snapshot(): DdbSnapshot;
}

export interface DdbSnapshot {
  readonly requests: Record<string, number>;
  readonly totalRequests: number;
  readonly writeUnits: number;
  readonly reportedWriteUnits: number;
  readonly readUnits: number;
  readonly conditionFailures: number;
  readonly waitMs: number;
}

export function createDdbAccounting(): DdbAccounting {
  const accounting: DdbAccounting = {
    requests: new Map(),
    writeUnits: 0,
    reportedWriteUnits: 0,
    readUnits: 0,
    conditionFailures: 0,
    waitMs: 0,
    totalRequests: () => [...accounting.requests.values()].reduce((a, b) => a + b, 0),
    reset() {
      accounting.requests.clear();
      accounting.writeUnits = 0;
      accounting.reportedWriteUnits = 0;
      accounting.readUnits = 0;
      accounting.conditionFailures = 0;
      accounting.waitMs = 0;
    },
    snapshot: () => ({
      requests: Object.fromEntries(accounting.requests),
      totalRequests: accounting.totalRequests(),
      writeUnits: accounting.writeUnits,
      reportedWriteUnits: accounting.reportedWriteUnits,
      readUnits: accounting.readUnits,
      conditionFailures: accounting.conditionFailures,
      waitMs: accounting.waitMs,
    }),
  };
  return accounting;
}

/**
 * Counts every request the client sends, by command, and adds ReturnConsumedCapacity=TOTAL to every
 * write command that does not ask for it, so the units a design costs can be compared.
 */
export function instrumentDdbClient(client: DynamoDBClient, accounting: DdbAccounting): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? "unknown";
      const input = args.input as { ReturnConsumedCapacity?: string };
      if (WRITE_COMMANDS.has(command) && input.ReturnConsumedCapacity === undefined) {
        input.ReturnConsumedCapacity = "TOTAL";
      }
      accounting.requests.set(command, (accounting.requests.get(command) ?? 0) + 1);
      accounting.writeUnits += pricedWriteUnits(command, args.input);
      accounting.readUnits += pricedReadUnits(command, args.input);
      const started = performance.now();
      try {
        const result = await next(args);
        const output = result.output as {
          ConsumedCapacity?: Capacity | Capacity[];
          Responses?: { Error?: { Code?: string } }[];
        };
        const capacities = output.ConsumedCapacity;
        for (const c of Array.isArray(capacities) ? capacities : capacities ? [capacities] : []) {
          if (WRITE_COMMANDS.has(command))
            accounting.reportedWriteUnits += c.WriteCapacityUnits ?? c.CapacityUnits ?? 0;
        }
        if (Array.isArray(output.Responses)) {
          for (const r of output.Responses) {
            if (r.Error?.Code === "ConditionalCheckFailed" || r.Error?.Code === "DuplicateItem") {
              accounting.conditionFailures++;
            }
          }
        }
        return result;
      } catch (error) {
        if ((error as { name?: string }).name === "ConditionalCheckFailedException")
          accounting.conditionFailures++;
        throw error;
      } finally {
        accounting.waitMs += performance.now() - started;
      }
    },
    { step: "initialize", name: "benchDdbAccounting" },
  );
}

/** ceil(KB) of the data a write carries; every item here is far below 1 KB, so this is 1 per write. */
const units = (value: unknown) =>
  Math.max(1, Math.ceil(Buffer.byteLength(JSON.stringify(value ?? {})) / 1024));

function pricedWriteUnits(command: string, input: unknown): number {
  const i = input as {
    Item?: unknown;
    Key?: unknown;
    ExpressionAttributeValues?: unknown;
    Statements?: { Statement?: string; Parameters?: unknown }[];
    Statement?: string;
    Parameters?: unknown;
    TransactItems?: unknown[];
    TransactStatements?: { Statement?: string; Parameters?: unknown }[];
    RequestItems?: Record<string, unknown[]>;
  };
  const isWrite = (statement: string | undefined) => /^\s*(INSERT|UPDATE|DELETE)\b/i.test(statement ?? "");
  switch (command) {
    case "PutItemCommand":
      return units(i.Item);
    case "UpdateItemCommand":
    case "DeleteItemCommand":
      return units([i.Key, i.ExpressionAttributeValues]);
    case "ExecuteStatementCommand":
      return isWrite(i.Statement) ? units(i.Parameters) : 0;
    case "BatchExecuteStatementCommand":
      return (i.Statements ?? []).reduce(
        (sum, s) => sum + (isWrite(s.Statement) ? units(s.Parameters) : 0),
        0,
      );
    case "ExecuteTransactionCommand":
      return (
        2 *
        (i.TransactStatements ?? []).reduce(
          (sum, s) => sum + (isWrite(s.Statement) ? units(s.Parameters) : 0),
          0,
        )
      );
    case "TransactWriteItemsCommand":
      return 2 * (i.TransactItems ?? []).reduce((sum: number, item) => sum + units(item), 0);
    case "BatchWriteItemCommand":
      return Object.values(i.RequestItems ?? {}).reduce(
        (sum, reqs) => sum + reqs.reduce((s: number, r) => s + units(r), 0),
        0,
      );
    default:
      return 0;
  }
}

/** Every item read here is far below 4 KB: one unit per consistent read, half for an eventual one. */
function pricedReadUnits(command: string, input: unknown): number {
  const i = input as {
    ConsistentRead?: boolean;
    Statement?: string;
    Statements?: { Statement?: string; ConsistentRead?: boolean }[];
    RequestItems?: Record<string, { Keys?: unknown[]; ConsistentRead?: boolean }>;
  };
  const isRead = (statement: string | undefined) => /^\s*SELECT\b/i.test(statement ?? "");
  const unit = (consistent: boolean | undefined) => (consistent ? 1 : 0.5);
  switch (command) {
    case "GetItemCommand":
      return unit(i.ConsistentRead);
    case "ExecuteStatementCommand":
      return isRead(i.Statement) ? unit(i.ConsistentRead) : 0;
    case "BatchExecuteStatementCommand":
      return (i.Statements ?? []).reduce(
        (sum, st) => sum + (isRead(st.Statement) ? unit(st.ConsistentRead) : 0),
        0,
      );
    case "BatchGetItemCommand":
      return Object.values(i.RequestItems ?? {}).reduce(
        (sum, r) => sum + (r.Keys?.length ?? 0) * unit(r.ConsistentRead),
        0,
      );
    default:
      return 0;
  }
}
