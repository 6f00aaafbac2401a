import { INGEST_TABLE } from "../../../lambdas/shared/environment.js";
import { LOCAL_INGEST_TABLE } from "../../local/provision.js";
import type { IngestTableClients } from "../../ops/apiKeys.js";
import { createKeyCommand, formatKeys, listKeysCommand, revokeKeyCommand } from "../../ops/apiKeys.js";
import {
  EXIT,
  emit,
  intOption,
  parseCommand,
  printUsage,
  TARGET_USAGE,
  UsageError,
  unknownAction,
} from "../cliSupport.js";
import { resolveTarget, type Target } from "../resolveTarget.js";
import type { Command } from "./command.js";

const USAGE = `Usage: tidemark keys create|list|revoke [options]

create --name N --stream S [--stream S2 …] [--rate R] [--burst B]
         a new API key for the ingest API, scoped to those streams (\`*\`: all); its secret is printed
         once (only its SHA-256 is stored). Rate: requests per second per key (default 50), burst 100
list [--all]   the keys (never a secret); --all includes revoked ones
revoke KEY_ID  the key stops authenticating at once; idempotent

The ingest table: INGEST_TABLE (default ${LOCAL_INGEST_TABLE}) locally, the IngestTableName output on a stage.

${TARGET_USAGE}`;

/** The ingest table of the target: locally INGEST_TABLE or the local default, on a stage its output. */
export function ingestTableClients(target: Target): IngestTableClients {
  const tableName =
    target.kind === "local"
      ? (target.names[INGEST_TABLE] ?? LOCAL_INGEST_TABLE)
      : target.require("IngestTableName", "the ingest table");
  return { ddb: target.ddb(), tableName };
}

export const keysCommand: Command = {
  name: "keys",
  summary: "create, list or revoke the ingest API's keys",
  usage: USAGE,
  async run(argv, io) {
    const parsed = parseCommand(
      argv,
      {
        name: { type: "string" },
        stream: { type: "string", multiple: true },
        rate: { type: "string" },
        burst: { type: "string" },
        all: { type: "boolean" },
      },
      2,
    );
    if (parsed.values.help) return printUsage(io, USAGE);
    const [action, keyId] = parsed.positionals;
    const json = parsed.values.json === true;
    if (action === "create") {
      const name = parsed.values.name;
      const streams = (parsed.values.stream as string[] | undefined) ?? [];
      if (typeof name !== "string" || name === "") throw new UsageError("keys create needs --name N");
      if (streams.length === 0) throw new UsageError("keys create needs --stream S (or --stream '*')");
      const ratePerSecond = intOption(parsed.values, "rate", { min: 1 });
      const burst = intOption(parsed.values, "burst", { min: 1 });
      const created = await createKeyCommand(
        { name, streams, ...(ratePerSecond ? { ratePerSecond } : {}), ...(burst ? { burst } : {}) },
        ingestTableClients(resolveTarget(parsed, io)),
      );
      emit(io, json, created, `api key: ${created.apiKey}\n${formatKeys([created.record])}`);
      return EXIT.ok;
    }
    if (action === "list") {
      const keys = await listKeysCommand(
        { all: parsed.values.all === true },
        ingestTableClients(resolveTarget(parsed, io)),
      );
      emit(io, json, { keys }, keys.length === 0 ? "no keys" : formatKeys(keys));
      return EXIT.ok;
    }
    if (action === "revoke") {
      if (keyId === undefined) throw new UsageError("keys revoke needs KEY_ID (see tidemark keys list)");
      const revoked = await revokeKeyCommand({ keyId }, ingestTableClients(resolveTarget(parsed, io)));
      emit(io, json, revoked, `revoked: ${formatKeys([revoked])}`);
      return EXIT.ok;
    }
    throw unknownAction("keys", action, ["create", "list", "revoke"]);
  },
};
