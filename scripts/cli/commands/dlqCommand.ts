import {
  countByErrorType,
  type DlqEntry,
  type DlqFilter,
  matchesDlqFilter,
  readDlq,
} from "../../ops/readDlq.js";
import { redriveDlqInRounds, startDlqMoveTask, waitForDlqMoveTask } from "../../ops/redriveDlqInRounds.js";
import {
  type CliIo,
  EXIT,
  emit,
  intOption,
  type ParsedCommand,
  parseCommand,
  printUsage,
  stringOption,
  TARGET_USAGE,
  table,
  UsageError,
  unknownAction,
} from "../cliSupport.js";
import { createProgressBar } from "../progressBar.js";
import { resolveTarget } from "../resolveTarget.js";
import type { Command } from "./command.js";

const USAGE = `Usage: tidemark dlq list [filters] [options]
       tidemark dlq show <message-id> [options]
       tidemark dlq redrive [filters] [--max <n>] [--dry-run] [options]

list     the dead-lettered messages with their reasons (read without consuming them)
show     one message: its reason, attributes and body
redrive  move messages back to the source queue, after the cause is fixed. Within each message group
         the DLQ order is kept; each message goes back exactly once (a fresh deduplication id per DLQ
         message, so SQS's 5-minute window cannot drop it, and a retried redrive deduplicates against
         itself; the processor's idempotency table drops an event already applied). Without a filter on
         a deployed stage, SQS's own StartMessageMoveTask does the move where SQS accepts it.

Filters (list, redrive)
  --error-type <name>       only this reason (e.g. InvalidMessageError, SinkUnavailableError)
  --event-type <type>       only this event type (l1_header, batch_proposed, ...)
  --group <id>              only this message group
  --id <message-id>         only this message (repeatable)
  --valid                   only bodies that are valid pipeline events (leaves malformed poison behind)
  --retry-exhausted         only messages SQS moved after maxReceiveCount (no processor reason)
Redrive
  --max <n>                 move at most n
  --dry-run                 show what would move, move nothing
  --no-move-task            always move message by message (never StartMessageMoveTask)

${TARGET_USAGE}`;

const FILTER_OPTIONS = {
  "error-type": { type: "string" },
  "event-type": { type: "string" },
  group: { type: "string" },
  id: { type: "string", multiple: true },
  valid: { type: "boolean" },
  "retry-exhausted": { type: "boolean" },
  max: { type: "string" },
  "dry-run": { type: "boolean" },
  "no-move-task": { type: "boolean" },
} as const;

const ACTIONS = ["list", "show", "redrive"];

export const dlqCommand: Command = {
  name: "dlq",
  summary: "list, show and redrive dead-lettered messages",
  usage: USAGE,
  async run(argv, io) {
    const parsed = parseCommand(argv, FILTER_OPTIONS, 2);
    const [action, id] = parsed.positionals;
    if (parsed.values.help) return printUsage(io, USAGE);
    if (action === undefined)
      throw unknownAction("dlq", action, ACTIONS, "say what to do: list, show or redrive");
    if (action !== "show" && id !== undefined) throw new UsageError(`unexpected argument "${id}"`);
    switch (action) {
      case "list":
        return list(parsed, io);
      case "show":
        if (id === undefined) throw new UsageError("dlq show needs a message id (see tidemark dlq list)");
        return show(parsed, io, id);
      case "redrive":
        return redrive(parsed, io);
      default:
        throw unknownAction("dlq", action, ACTIONS);
    }
  },
};

function filterOf(values: ParsedCommand["values"]): DlqFilter {
  const ids = values.id as string[] | undefined;
  return {
    errorType: stringOption(values, "error-type"),
    eventType: stringOption(values, "event-type"),
    groupId: stringOption(values, "group"),
    ids: ids && ids.length > 0 ? ids : undefined,
    validOnly: values.valid === true ? true : undefined,
    retryExhaustedOnly: values["retry-exhausted"] === true ? true : undefined,
  };
}

async function list(parsed: ParsedCommand, io: CliIo): Promise<number> {
  const target = resolveTarget(parsed, io);
  const filter = filterOf(parsed.values);
  const { entries, approximateTotal } = await readDlq(target.sqs(), target.dlqUrl);
  const shown = entries.filter((e) => matchesDlqFilter(e, filter));
  const byReason = countByErrorType(shown);
  const human =
    approximateTotal === 0
      ? "the DLQ is empty"
      : [
          table([
            ["message id", "group", "event", "valid", "reason"],
            ...shown.map((e) => [
              e.messageId,
              e.groupId,
              e.eventType,
              e.valid ? "yes" : "no",
              truncate(e.reason, 80),
            ]),
          ]),
          "",
          `${shown.length} shown of ${approximateTotal} in the DLQ; by reason: ${Object.entries(byReason)
            .map(([k, v]) => `${k} ${v}`)
            .join(", ")}`,
          "Next: fix the cause, then `tidemark dlq redrive` (with the same filters) — `--dry-run` first.",
        ].join("\n");
  emit(
    io,
    parsed.values.json === true,
    { target: target.label, total: approximateTotal, messages: shown, byReason },
    human,
  );
  return EXIT.ok;
}

async function show(parsed: ParsedCommand, io: CliIo, id: string): Promise<number> {
  const target = resolveTarget(parsed, io);
  const { entries } = await readDlq(target.sqs(), target.dlqUrl);
  const entry = entries.find((e) => e.messageId === id);
  if (!entry) {
    io.stderr.write(`no message ${id} in the DLQ (tidemark dlq list shows what is there)\n`);
    return EXIT.findings;
  }
  emit(io, parsed.values.json === true, entry, renderEntry(entry));
  return EXIT.ok;
}

async function redrive(parsed: ParsedCommand, io: CliIo): Promise<number> {
  const { values } = parsed;
  const target = resolveTarget(parsed, io);
  const filter = filterOf(values);
  const max = intOption(values, "max", { min: 1 });
  const json = values.json === true;
  const sqs = target.sqs();
  if (values["dry-run"]) {
    const { entries } = await readDlq(sqs, target.dlqUrl);
    const would = entries.filter((e) => matchesDlqFilter(e, filter)).slice(0, max);
    emit(
      io,
      json,
      { dryRun: true, wouldMove: would },
      `${would.length} message(s) would be redriven:\n${would.map((e) => `  ${e.messageId} ${e.groupId ?? ""} ${e.eventType ?? "?"} — ${truncate(e.reason, 60)}`).join("\n")}`,
    );
    return EXIT.ok;
  }
  if (
    target.kind === "stage" &&
    max === undefined &&
    values["no-move-task"] !== true &&
    target.dlqArn &&
    target.queueArn
  ) {
    const task = await startDlqMoveTask(sqs, { dlqArn: target.dlqArn, queueArn: target.queueArn, filter });
    if (task.started) {
      const bar = createProgressBar({
        label: "redrive (SQS move task)",
        total: 0,
        stream: io.stderr,
        enabled: !json,
        unit: "messages",
      });
      const done = await waitForDlqMoveTask(sqs, target.dlqArn, (moved, total) => bar.update(moved, total));
      bar.finish();
      emit(
        io,
        json,
        { how: "StartMessageMoveTask", ...done },
        `SQS move task ${done.status}: ${done.moved} message(s) moved${done.failureReason ? ` (${done.failureReason})` : ""}`,
      );
      return done.status === "COMPLETED" ? EXIT.ok : EXIT.findings;
    }
    if (!json) io.stderr.write(`${task.reason}; moving the messages one by one instead\n`);
  }
  const { approximateTotal } = await readDlq(sqs, target.dlqUrl, 0);
  const bar = createProgressBar({
    label: "redrive",
    total: Math.min(approximateTotal, max ?? approximateTotal),
    stream: io.stderr,
    enabled: !json,
    unit: "messages",
  });
  const result = await redriveDlqInRounds(sqs, {
    dlqUrl: target.dlqUrl,
    queueUrl: target.queueUrl,
    filter,
    maxMessages: max,
    onProgress: (moved) => bar.update(moved),
  });
  bar.finish();
  emit(
    io,
    json,
    { how: "move-messages", ...result },
    `redriven: ${result.moved} message(s) back to the queue; ${result.skipped} left in the DLQ by the filter.\nNext: tidemark health (queue drains, DLQ count), then tidemark verify.`,
  );
  return EXIT.ok;
}

function renderEntry(e: DlqEntry): string {
  return [
    `message id     ${e.messageId}`,
    `group          ${e.groupId ?? "-"}`,
    `event type     ${e.eventType ?? "-"} (${e.valid ? "a valid event" : "not a valid event"})`,
    `reason         ${e.reason}`,
    `failed at      ${e.failedAt ?? "-"}`,
    `sent at        ${e.sentAt ?? "-"}`,
    `source message ${e.sourceMessageId ?? "-"}`,
    `receives       ${e.receiveCount}`,
    "body",
    truncate(e.body, 4000),
  ].join("\n");
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
