import { SCHEMA_MODES, type SchemaMode } from "../../../lambdas/ingestApi/ingestSettings.js";
import type { StoredSchema } from "../../../lambdas/ingestApi/schemaRegistry.js";
import {
  getSchemaCommand,
  listSchemasCommand,
  putSchemaCommand,
  setStreamModeCommand,
} from "../../ops/ingestSchemas.js";
import {
  EXIT,
  emit,
  parseCommand,
  printUsage,
  TARGET_USAGE,
  UsageError,
  unknownAction,
} from "../cliSupport.js";
import { resolveTarget } from "../resolveTarget.js";
import type { Command } from "./command.js";
import { ingestTableClients } from "./keysCommand.js";

const USAGE = `Usage: tidemark schema put|get|list|mode …

put TYPE FILE       register (or replace) the JSON Schema of an event type; refused unless ajv compiles it
get TYPE            the stored schema (exit 1 when the type has none)
list                every registered type and its version
mode STREAM MODE    the stream's schema mode: ${SCHEMA_MODES.join(" | ")}
                    warn accepts and records violations; enforce rejects events whose type has a schema
                    and fails it; required also rejects types without a schema

${TARGET_USAGE}`;

const line = (s: StoredSchema) => `${s.eventType}  v${s.version}`;

export const schemaCommand: Command = {
  name: "schema",
  summary: "register and read the ingest API's JSON Schemas, set a stream's schema mode",
  usage: USAGE,
  async run(argv, io) {
    const parsed = parseCommand(argv, {}, 3);
    if (parsed.values.help) return printUsage(io, USAGE);
    const [action, first, second] = parsed.positionals;
    const json = parsed.values.json === true;
    const clients = () => ingestTableClients(resolveTarget(parsed, io));
    switch (action) {
      case "put": {
        if (first === undefined || second === undefined) throw new UsageError("schema put needs TYPE FILE");
        const stored = await putSchemaCommand({ eventType: first, file: second }, clients());
        emit(io, json, stored, `stored ${line(stored)}`);
        return EXIT.ok;
      }
      case "get": {
        if (first === undefined) throw new UsageError("schema get needs TYPE");
        const stored = await getSchemaCommand({ eventType: first }, clients());
        emit(
          io,
          json,
          stored ?? null,
          stored ? JSON.stringify(stored.schema, null, 2) : `no schema for ${first}`,
        );
        return stored ? EXIT.ok : EXIT.findings;
      }
      case "list": {
        const all = await listSchemasCommand({}, clients());
        emit(io, json, { schemas: all }, all.length === 0 ? "no schemas" : all.map(line).join("\n"));
        return EXIT.ok;
      }
      case "mode": {
        if (first === undefined || second === undefined)
          throw new UsageError("schema mode needs STREAM MODE");
        if (!SCHEMA_MODES.includes(second as SchemaMode)) {
          throw new UsageError(`schema mode: "${second}" is not one of ${SCHEMA_MODES.join(", ")}`);
        }
        const set = await setStreamModeCommand({ stream: first, mode: second as SchemaMode }, clients());
        emit(io, json, set, `${set.stream}: ${set.mode}`);
        return EXIT.ok;
      }
      default:
        throw unknownAction("schema", action, ["put", "get", "list", "mode"]);
    }
  },
};
