import {
  type ConsumersTarget,
  getConsumers,
  setConsumers,
  waitForConsumers,
} from "../../ops/processorConsumers.js";
import { actionOf, EXIT, emit, parseCommand, printUsage, TARGET_USAGE, TargetError } from "../cliSupport.js";
import { resolveTarget, type Target } from "../resolveTarget.js";
import type { Command } from "./command.js";

const USAGE = `Usage: tidemark consumers pause|resume|status [options]

pause    disable the processor's SQS event source mapping: messages wait on the queue (14-day
         retention), nothing is lost; in-flight batches finish
resume   enable it again; the backlog drains in order within each message group
status   Enabled, Disabled, or a transition (Enabling / Disabling)

Locally the switch is the local stack's poller (the file TIDEMARK_CONSUMER_SWITCH).

Options
  --no-wait                 do not wait for the mapping to leave Enabling / Disabling (AWS)

${TARGET_USAGE}`;

export const consumersCommand: Command = {
  name: "consumers",
  summary: "pause, resume or show the processor's consumption of the queue",
  usage: USAGE,
  async run(argv, io) {
    const parsed = parseCommand(argv, { "no-wait": { type: "boolean" } }, 1);
    if (parsed.values.help) return printUsage(io, USAGE);
    const action = actionOf("consumers", parsed.positionals[0], ["pause", "resume", "status"] as const);
    const target = resolveTarget(parsed, io);
    const consumers = consumersTarget(target);
    let status =
      action === "status"
        ? await getConsumers(consumers)
        : await setConsumers(consumers, action === "resume");
    if (action !== "status" && consumers.kind === "aws" && parsed.values["no-wait"] !== true) {
      status = await waitForConsumers(consumers, action === "resume");
    }
    const verb = action === "pause" ? "paused" : action === "resume" ? "resumed" : "are";
    emit(
      io,
      parsed.values.json === true,
      { target: target.label, ...status },
      `consumers ${verb}: ${status.state} — ${status.detail}`,
    );
    return EXIT.ok;
  },
};

export function consumersTarget(target: Target): ConsumersTarget {
  if (target.kind === "stage") {
    return {
      kind: "aws",
      lambda: target.lambda(),
      mappingId: target.require("ProcessorEventSourceMappingId", "consumers"),
    };
  }
  if (!target.consumerSwitchFile)
    throw new TargetError("no local consumer switch (start the local stack with `tidemark local`)");
  return { kind: "local", switchFile: target.consumerSwitchFile };
}
