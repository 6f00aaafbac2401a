import { FirehoseClient } from "@aws-sdk/client-firehose";
import { S3Client } from "@aws-sdk/client-s3";
import { FIREHOSE_ERROR_PREFIX } from "../../../lambdas/sink/firehoseErrorRecords.js";
import { createFirehoseRowWriter } from "../../../lambdas/sink/firehoseSink.js";
import { localAwsConfig } from "../../local/localAwsConfig.js";
import {
  createDirErrorObjectStore,
  createS3ErrorObjectStore,
  type ErrorObjectStore,
  replayFirehoseErrors,
} from "../../ops/replayFirehoseErrors.js";
import {
  actionOf,
  type CliIo,
  EXIT,
  emit,
  type ParsedCommand,
  parseCommand,
  stringOption,
  TARGET_USAGE,
  TargetError,
  UsageError,
} from "../cliSupport.js";
import { resolveTarget } from "../resolveTarget.js";
import type { Command } from "./command.js";
import { RECONCILE_OPTIONS, RECONCILE_USAGE, runSinkReconcile } from "./sinkReconcile.js";

const USAGE = `Usage: tidemark sink replay [options]
       ${RECONCILE_USAGE.split("\n")[0]}

tidemark sink replay

Re-drives the rows Firehose could not deliver to the Iceberg tables: every object under
${FIREHOSE_ERROR_PREFIX} in the sink bucket is read, its rows are put to the delivery stream again, and
the object is then moved under firehose-errors-replayed/. The tables upsert on each row's unique keys,
so running it twice (or after a crash half-way) stores every row once. An object holding a line that
is not a Tidemark row stays in place and is listed with the reason. Exits 1 when any object was kept back.

  --dry-run                 read and count, put and move nothing
  --prefix <prefix>         only objects under this prefix (default ${FIREHOSE_ERROR_PREFIX}; e.g. ${FIREHOSE_ERROR_PREFIX}batches/)
  --stream <name>           the delivery stream (default: the stage's FirehoseStreamName output)
  --errors-dir <dir>        a local object store (the Firehose stand-in's) instead of the stage's bucket
  --firehose-endpoint <url> with --errors-dir: the local Firehose stand-in to put to

${RECONCILE_USAGE}

${TARGET_USAGE}`;

export const sinkCommand: Command = {
  name: "sink",
  summary: "replay rows Firehose could not deliver (firehose-errors/); reconcile the sink with the chain",
  usage: USAGE,
  async run(argv, io) {
    const parsed = parseCommand(
      argv,
      {
        "dry-run": { type: "boolean" },
        prefix: { type: "string" },
        stream: { type: "string" },
        "errors-dir": { type: "string" },
        "firehose-endpoint": { type: "string" },
        ...RECONCILE_OPTIONS,
      },
      1,
    );
    if (parsed.values.help) {
      io.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    const action = actionOf("sink", parsed.positionals[0], ["replay", "reconcile"] as const);
    return action === "replay" ? runReplay(parsed, io) : runSinkReconcile(parsed, io);
  },
};

/** `tidemark sink replay`: the error prefix's rows put to the stream again. */
async function runReplay(parsed: ParsedCommand, io: CliIo): Promise<number> {
  const prefix = stringOption(parsed.values, "prefix") ?? FIREHOSE_ERROR_PREFIX;
  if (!prefix.startsWith(FIREHOSE_ERROR_PREFIX))
    throw new UsageError(`--prefix ${prefix}: replay reads only under ${FIREHOSE_ERROR_PREFIX}`);
  const { store, firehose, stream, label } = replayTarget(parsed, io);
  try {
    const result = await replayFirehoseErrors({
      store,
      prefix,
      dryRun: parsed.values["dry-run"] === true,
      writeRows: createFirehoseRowWriter({ client: firehose, deliveryStreamName: stream }),
      onObject: (key, rows) => {
        if (parsed.values.json !== true) io.stderr.write(`${key}: ${rows} rows\n`);
      },
    });
    const verb = parsed.values["dry-run"] === true ? "would replay" : "replayed";
    const human = [
      `${label}: ${verb} ${result.rows} rows from ${result.objects} objects under ${store.where}${prefix} to ${stream}`,
      ...Object.entries(result.byTable).map(([t, n]) => `  ${t.padEnd(32)} ${n}`),
      ...(result.reasons.length > 0 ? ["Firehose's reasons:", ...result.reasons.map((r) => `  ${r}`)] : []),
      ...(result.keptBack.length > 0
        ? [
            "kept back (not Tidemark rows):",
            ...result.keptBack.map((k) => `  ${k.key}:${k.line} ${k.reason}`),
          ]
        : []),
    ].join("\n");
    emit(io, parsed.values.json === true, { target: label, stream, ...result }, human);
    return result.keptBack.length === 0 ? EXIT.ok : EXIT.findings;
  } finally {
    firehose.destroy();
  }
}

function replayTarget(
  parsed: ReturnType<typeof parseCommand>,
  io: Parameters<Command["run"]>[1],
): { store: ErrorObjectStore; firehose: FirehoseClient; stream: string; label: string } {
  const dir = stringOption(parsed.values, "errors-dir");
  const streamFlag = stringOption(parsed.values, "stream");
  if (dir !== undefined) {
    const endpoint = stringOption(parsed.values, "firehose-endpoint");
    if (endpoint === undefined)
      throw new UsageError("--errors-dir needs --firehose-endpoint (the local stand-in)");
    return {
      store: createDirErrorObjectStore(dir),
      firehose: new FirehoseClient(localAwsConfig(endpoint)),
      stream: streamFlag ?? "tidemark-sink",
      label: `local (${dir})`,
    };
  }
  const target = resolveTarget(parsed, io);
  if (target.kind !== "stage")
    throw new TargetError(
      "the local stack has no Firehose: pass --errors-dir and --firehose-endpoint, or --stage",
    );
  const region = target.label.match(/\(([^)]+)\)$/)?.[1];
  const config = region ? { region } : {};
  return {
    store: createS3ErrorObjectStore(
      new S3Client(config),
      target.require("SinkBucketName", "the sink bucket"),
    ),
    firehose: new FirehoseClient(config),
    stream: streamFlag ?? target.require("FirehoseStreamName", "the Firehose delivery stream"),
    label: target.label,
  };
}
