import { createHash } from "node:crypto";
import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { Ajv, type ValidateFunction } from "ajv";
import { InvalidSchemaError, SchemaViolationError } from "../api/errors.js";
import { SCHEMA_MODES, type SchemaMode } from "./ingestSettings.js";
import { ingestKeys } from "./ingestTable.js";
import { queryPartition } from "./queryPartition.js";

export interface StoredSchema {
  readonly eventType: string;
  readonly schema: Record<string, unknown>;
  /** 1 for the first put, +1 per put. */
  readonly version: number;
  readonly schemaSha256: string;
  readonly updatedAt: string;
}

export type SchemaCheck =
  | { readonly ok: true; readonly mode: SchemaMode; readonly violations: readonly string[] }
  | { readonly ok: false; readonly mode: SchemaMode; readonly error: SchemaViolationError };

export interface SchemaRegistry {
  /** Register (or replace) the JSON Schema of an event type. Throws InvalidSchemaError if ajv cannot compile it. */
  putSchema(eventType: string, schema: Record<string, unknown>): Promise<StoredSchema>;
  getSchema(eventType: string): Promise<StoredSchema | undefined>;
  listSchemas(): Promise<StoredSchema[]>;
  setStreamMode(stream: string, mode: SchemaMode): Promise<void>;
  getStreamMode(stream: string): Promise<SchemaMode>;
  /**
   * Check one payload under its stream's mode. `warn` accepts and returns the violations; `enforce`
   * rejects a type that has a schema and fails it; `required` also rejects a type without a schema.
   */
  check(stream: string, eventType: string, payload: unknown, field: string): Promise<SchemaCheck>;
}

export interface CreateSchemaRegistryParameters {
  readonly ddb: DynamoDBClient;
  readonly tableName: string;
  readonly defaultMode: SchemaMode;
  /** Schemas and modes are re-read after this long; a put is seen by this instance at once. */
  readonly cacheSeconds: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * JSON Schemas in the ingest table, validated with ajv (the most used JSON Schema validator for JS,
 * draft-07/2019-09/2020-12, strict mode catches misspelt keywords at put time). A validator is compiled
 * once per schema content (keyed by its SHA-256) and kept for the life of the instance.
 */
export function createSchemaRegistry(parameters: CreateSchemaRegistryParameters): SchemaRegistry {
  const { ddb, tableName, defaultMode, cacheSeconds } = parameters;
  const now = parameters.now ?? Date.now;
  const ajv = new Ajv({ allErrors: true });
  const compiled = new Map<string, ValidateFunction>();
  const cached = new Map<string, { value: unknown; until: number }>();

  // The promise is cached, not the value: a batch of 1,000 events of one type costs one read, not 1,000.
  const memo = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    const hit = cached.get(key);
    if (hit && hit.until > now()) return hit.value as Promise<T>;
    const value = load();
    cached.set(key, { value, until: now() + cacheSeconds * 1000 });
    value.catch(() => cached.delete(key)); // a failed read is not remembered
    return value;
  };

  const compile = (stored: StoredSchema, field: string): ValidateFunction => {
    let validate = compiled.get(stored.schemaSha256);
    if (!validate) {
      try {
        validate = ajv.compile(stored.schema);
      } catch (error) {
        throw new InvalidSchemaError(
          `schema of ${stored.eventType} does not compile: ${(error as Error).message}`,
          {
            field,
            cause: error,
          },
        );
      }
      compiled.set(stored.schemaSha256, validate);
    }
    return validate;
  };

  const readSchema = async (eventType: string): Promise<StoredSchema | undefined> => {
    const { Item } = await ddb.send(
      new GetItemCommand({
        TableName: tableName,
        Key: keyOf(ingestKeys.schema(eventType)),
        ConsistentRead: true,
      }),
    );
    return Item ? fromItem(Item) : undefined;
  };

  const registry: SchemaRegistry = {
    async putSchema(eventType, schema) {
      const schemaText = JSON.stringify(schema);
      const schemaSha256 = createHash("sha256").update(schemaText).digest("hex");
      // Compile before storing: a schema that cannot validate anything must never reach a stream.
      compile({ eventType, schema, version: 0, schemaSha256, updatedAt: "" }, "schema");
      const updatedAt = new Date(now()).toISOString();
      const { Attributes } = await ddb.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: keyOf(ingestKeys.schema(eventType)),
          UpdateExpression: "SET #schema = :schema, #sha = :sha, #at = :at ADD #version :one",
          ExpressionAttributeNames: {
            "#schema": "schema",
            "#sha": "schemaSha256",
            "#at": "updatedAt",
            "#version": "version",
          },
          ExpressionAttributeValues: {
            ":schema": { S: schemaText },
            ":sha": { S: schemaSha256 },
            ":at": { S: updatedAt },
            ":one": { N: "1" },
          },
          ReturnValues: "ALL_NEW",
        }),
      );
      const stored = fromItem(Attributes ?? {});
      cached.set(`schema:${eventType}`, {
        value: Promise.resolve(stored),
        until: now() + cacheSeconds * 1000,
      });
      return stored;
    },
    getSchema: readSchema,
    async listSchemas() {
      return queryPartition({ ddb, tableName, pk: ingestKeys.schema("").pk }, fromItem);
    },
    async setStreamMode(stream, mode) {
      if (!SCHEMA_MODES.includes(mode)) {
        throw new InvalidSchemaError(`mode must be one of ${SCHEMA_MODES.join("|")}`, { field: "mode" });
      }
      await ddb.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { ...keyOf(ingestKeys.mode(stream)), mode: { S: mode } },
        }),
      );
      cached.set(`mode:${stream}`, { value: Promise.resolve(mode), until: now() + cacheSeconds * 1000 });
    },
    getStreamMode: (stream) =>
      memo(`mode:${stream}`, async () => {
        const { Item } = await ddb.send(
          new GetItemCommand({
            TableName: tableName,
            Key: keyOf(ingestKeys.mode(stream)),
            ConsistentRead: true,
          }),
        );
        const mode = Item?.mode?.S as SchemaMode | undefined;
        return mode && SCHEMA_MODES.includes(mode) ? mode : defaultMode;
      }),
    async check(stream, eventType, payload, field) {
      const mode = await registry.getStreamMode(stream);
      if (mode === "disabled") return { ok: true, mode, violations: [] };
      const stored = await memo(`schema:${eventType}`, () => readSchema(eventType));
      if (!stored) {
        if (mode !== "required") return { ok: true, mode, violations: [] };
        const error = new SchemaViolationError(
          `stream ${stream} is in required mode and event type ${eventType} has no schema`,
          { field: `${field}.type` },
        );
        return { ok: false, mode, error };
      }
      return judge(mode, stored, compile(stored, field), payload, field);
    },
  };
  return registry;
}

/** The verdict of a compiled schema on a payload, under `mode` (warn accepts with the violations). */
function judge(
  mode: SchemaMode,
  stored: StoredSchema,
  validate: ValidateFunction,
  payload: unknown,
  field: string,
): SchemaCheck {
  if (validate(payload)) return { ok: true, mode, violations: [] };
  const violations = (validate.errors ?? []).map(
    (e) => `${field}.payload${e.instancePath} ${e.message ?? "is invalid"}`,
  );
  if (mode === "warn") return { ok: true, mode, violations };
  const error = new SchemaViolationError(
    `${field}.payload fails the schema of ${stored.eventType} (v${stored.version}): ${violations.join("; ")}`,
    {
      field: `${field}.payload`,
      context: { violations, eventType: stored.eventType, version: stored.version },
    },
  );
  return { ok: false, mode, error };
}

const keyOf = (key: { pk: string; sk: string }) => ({ pk: { S: key.pk }, sk: { S: key.sk } });

function fromItem(item: Record<string, import("@aws-sdk/client-dynamodb").AttributeValue>): StoredSchema {
  return {
    eventType: item.sk?.S ?? "",
    schema: JSON.parse(item.schema?.S ?? "{}") as Record<string, unknown>,
    version: Number(item.version?.N ?? "0"),
    schemaSha256: item.schemaSha256?.S ?? "",
    updatedAt: item.updatedAt?.S ?? "",
  };
}
