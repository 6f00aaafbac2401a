import { AsyncLocalStorage } from "node:async_hooks";
import type { Json } from "../synthStage.js";

/** One authorization an AWS API call needs: the IAM action, the resource it names, the partition keys it touches. */
export interface IamCall {
  /** The function that made it (its service name). */
  readonly caller: string;
  /** `service:Action`, as IAM spells it. */
  readonly action: string;
  /** The resource, named by the caller's resource map (`StateTable`, `StateTable/index/unproven`, `EventQueue`). */
  readonly resource: string;
  /** DynamoDB partition keys the request names (what `dynamodb:LeadingKeys` conditions see). */
  readonly leadingKeys: readonly string[];
}

/** What an SDK client names (a table name, a queue URL) → the resource's name in the template. */
export type ResourceNames = Readonly<Record<string, string>>;

/** Any SDK v3 client: the recorder only adds a middleware to its stack. */
interface SdkClient {
  readonly middlewareStack: {
    add(middleware: Json, options: { step: "initialize"; name: string; override?: boolean }): void;
  };
}

/** The partition key of every state-table item (lambdas/shared/tables.ts names it `pk`; the idempotency table `id`). */
const PARTITION_KEYS = ["pk", "id"];

const keyOf = (key: Json): string[] =>
  PARTITION_KEYS.map((name) => key?.[name]?.S).filter((v): v is string => typeof v === "string");

/** PartiQL statements are authorized per verb (`dynamodb:PartiQLInsert`, …), on the table they name. */
function partiqlCall(statement: string): { action: string; table: string } {
  const verb = statement.trim().split(/\s+/)[0]?.toUpperCase() ?? "";
  const table = /(?:INTO|FROM|UPDATE)\s+"([^"]+)"/i.exec(statement)?.[1] ?? "?";
  const action = {
    INSERT: "PartiQLInsert",
    SELECT: "PartiQLSelect",
    UPDATE: "PartiQLUpdate",
    DELETE: "PartiQLDelete",
  }[verb];
  return { action: `dynamodb:${action ?? `PartiQL?${verb}`}`, table };
}

type RawCall = Omit<IamCall, "caller" | "resource"> & { readonly named: string; readonly suffix?: string };

/** The IAM authorizations one DynamoDB command needs, per the DynamoDB service authorization reference. */
function dynamoCalls(command: string, input: Json): RawCall[] {
  const item = (action: string, table: string, key: Json) => ({
    action: `dynamodb:${action}`,
    named: table,
    leadingKeys: keyOf(key),
  });
  switch (command) {
    case "ExecuteStatement":
    case "BatchExecuteStatement": {
      const statements: string[] =
        command === "ExecuteStatement" ? [input.Statement] : input.Statements.map((s: Json) => s.Statement);
      return statements.map((s) => {
        const { action, table } = partiqlCall(s);
        return { action, named: table, leadingKeys: [] };
      });
    }
    case "TransactWriteItems":
      return (input.TransactItems as Json[]).flatMap((t) => {
        const [kind, op] = Object.entries(t)[0] as [string, Json];
        const action = {
          Put: "PutItem",
          Update: "UpdateItem",
          Delete: "DeleteItem",
          ConditionCheck: "ConditionCheckItem",
        }[kind];
        return [item(action ?? `?${kind}`, op.TableName, op.Key ?? op.Item)];
      });
    case "BatchGetItem":
      return Object.entries(input.RequestItems as Record<string, Json>).map(([table, r]) => ({
        action: "dynamodb:BatchGetItem",
        named: table,
        leadingKeys: (r.Keys as Json[]).flatMap(keyOf),
      }));
    case "BatchWriteItem":
      return Object.entries(input.RequestItems as Record<string, Json[]>).map(([table, writes]) => ({
        action: "dynamodb:BatchWriteItem",
        named: table,
        leadingKeys: writes.flatMap((w) => keyOf(w.PutRequest?.Item ?? w.DeleteRequest?.Key)),
      }));
    case "Query":
      return [
        {
          action: "dynamodb:Query",
          named: input.TableName,
          ...(input.IndexName ? { suffix: `/index/${input.IndexName}` } : {}),
          leadingKeys: Object.values((input.ExpressionAttributeValues ?? {}) as Json).flatMap((v: Json) =>
            typeof v?.S === "string" && input.IndexName === undefined ? [v.S] : [],
          ),
        },
      ];
    default:
      return [item(command, input.TableName, input.Key ?? input.Item)];
  }
}

/** SQS authorizes SendMessageBatch as SendMessage, DeleteMessageBatch as DeleteMessage, and so on. */
function sqsCalls(command: string, input: Json): RawCall[] {
  const action = command.replace(/Batch$/, "");
  // A queue URL ends in the queue's name, locally as on AWS.
  return [{ action: `sqs:${action}`, named: String(input.QueueUrl).split("/").pop() ?? "", leadingKeys: [] }];
}

/** S3 authorizes an object call on `<bucket>/<key>` (the bucket is the resource map's name). */
function s3Calls(command: string, input: Json): RawCall[] {
  return [{ action: `s3:${command}`, named: String(input.Bucket), suffix: `/${input.Key}`, leadingKeys: [] }];
}

const SERVICES: Readonly<Record<string, (command: string, input: Json) => RawCall[]>> = {
  DynamoDBClient: dynamoCalls,
  SQSClient: sqsCalls,
  S3Client: s3Calls,
};

/** What every SDK v3 client inherits `send` from (one @smithy/core in this tree, so one prototype). */
interface SdkClientPrototype {
  send(this: SdkClient, ...args: unknown[]): unknown;
}

/**
 * Records the IAM authorizations behind every call the given SDK clients make, as an SDK middleware on
 * each client (the clients the handlers use), attributed to the function whose code made it: `as(caller,
 * run)` marks everything `run` calls; calls outside any `as` belong to `defaultCaller`.
 */
export function recordSdkCalls(parameters: {
  readonly resources: ResourceNames;
  readonly defaultCaller: string;
}) {
  const calls: IamCall[] = [];
  const unknown: string[] = [];
  const callers = new AsyncLocalStorage<string>();
  const watched = new WeakSet<SdkClient>();
  const record = (clientName: string, commandName: string, input: Json) => {
    const command = commandName.replace(/Command$/, "");
    const toCalls = SERVICES[clientName];
    if (!toCalls) {
      unknown.push(`${clientName}.${command}`);
      return;
    }
    for (const raw of toCalls(command, input)) {
      const named = parameters.resources[raw.named];
      if (named === undefined) unknown.push(`${raw.action} on ${raw.named}`);
      calls.push({
        caller: callers.getStore() ?? parameters.defaultCaller,
        action: raw.action,
        resource: `${named ?? raw.named}${raw.suffix ?? ""}`,
        leadingKeys: raw.leadingKeys,
      });
    }
  };
  const watch = (client: SdkClient): void => {
    watched.add(client);
    client.middlewareStack.add(
      (next: Json, context: Json) => async (args: Json) => {
        record(context.clientName, context.commandName, args.input);
        return next(args);
      },
      { step: "initialize", name: "tidemarkIamCallRecorder", override: true },
    );
  };
  return {
    /** Adds the recording middleware to a client. */
    watch,
    /**
     * Also watches every SDK client that first sends inside an `as` (the clients a handler builds for
     * itself, `new DynamoDBClient({})` in its module), by wrapping the `send` all clients share. The
     * returned function restores it.
     */
    watchClientsCreatedBy(base: SdkClientPrototype): () => void {
      const send = base.send;
      base.send = function (this: SdkClient, ...args: unknown[]) {
        if (!watched.has(this) && callers.getStore() !== undefined) watch(this);
        return send.apply(this, args);
      };
      return () => {
        base.send = send;
      };
    },
    /** Records a call made without an SDK client (a signed request on the light path), as `caller`. */
    recordCall(call: IamCall): void {
      calls.push(call);
    },
    /** Runs `run` with every call it makes attributed to `caller`. */
    as: <T>(caller: string, run: () => T): T => callers.run(caller, run),
    calls: (): readonly IamCall[] => calls,
    /** Calls the recorder could not map (an unmapped service, or a resource outside the map). */
    unknown: (): readonly string[] => unknown,
  };
}
