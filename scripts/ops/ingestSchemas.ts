import { readFile } from "node:fs/promises";
import { InvalidSchemaError } from "../../lambdas/api/errors.js";
import type { SchemaMode } from "../../lambdas/ingestApi/ingestSettings.js";
import { createSchemaRegistry, type StoredSchema } from "../../lambdas/ingestApi/schemaRegistry.js";
import type { IngestTableClients } from "./apiKeys.js";

/** The registry as the CLI uses it: no cache (each command is one read or write), the mode default irrelevant. */
const registryOf = (clients: IngestTableClients) =>
  createSchemaRegistry({ ...clients, defaultMode: "enforce", cacheSeconds: 0 });

export interface PutSchemaOptions {
  readonly eventType: string;
  /** A JSON Schema file. */
  readonly file: string;
}

/**
 * `tidemark schema put EVENT_TYPE FILE`: register (or replace) a type's JSON Schema. A file that is not
 * JSON, not an object, or that ajv cannot compile is refused before anything is stored.
 */
export async function putSchemaCommand(
  options: PutSchemaOptions,
  clients: IngestTableClients,
): Promise<StoredSchema> {
  let schema: unknown;
  try {
    schema = JSON.parse(await readFile(options.file, "utf8"));
  } catch (cause) {
    throw new InvalidSchemaError(`${options.file} is not a JSON file: ${(cause as Error).message}`, {
      field: "file",
      cause,
    });
  }
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    throw new InvalidSchemaError(`${options.file} must hold a JSON Schema object`, { field: "file" });
  }
  return registryOf(clients).putSchema(options.eventType, schema as Record<string, unknown>);
}

/** `tidemark schema get EVENT_TYPE`: the stored schema, or undefined when the type has none. */
export async function getSchemaCommand(
  options: { readonly eventType: string },
  clients: IngestTableClients,
): Promise<StoredSchema | undefined> {
  return registryOf(clients).getSchema(options.eventType);
}

/** `tidemark schema list`: every registered type with its version, by type. */
export async function listSchemasCommand(
  _options: Record<string, never>,
  clients: IngestTableClients,
): Promise<StoredSchema[]> {
  const all = await registryOf(clients).listSchemas();
  return all.sort((a, b) => a.eventType.localeCompare(b.eventType));
}

/** `tidemark schema mode STREAM MODE`: a stream's schema mode (disabled | warn | enforce | required). */
export async function setStreamModeCommand(
  options: { readonly stream: string; readonly mode: SchemaMode },
  clients: IngestTableClients,
): Promise<{ stream: string; mode: SchemaMode }> {
  const registry = registryOf(clients);
  await registry.setStreamMode(options.stream, options.mode);
  return { stream: options.stream, mode: await registry.getStreamMode(options.stream) };
}
