import { setTimeout as sleepFor } from "node:timers/promises";
import {
  GetEventSourceMappingCommand,
  type LambdaClient,
  UpdateEventSourceMappingCommand,
} from "@aws-sdk/client-lambda";
import { readLocalSwitch, writeLocalSwitch } from "../pipeline/localSwitch.js";

/** Where the processor's consumers are switched: the Lambda event source mapping, or the local switch file. */
export type ConsumersTarget =
  | { readonly kind: "aws"; readonly lambda: LambdaClient; readonly mappingId: string }
  | { readonly kind: "local"; readonly switchFile: string };

export interface ConsumersStatus {
  /** Enabled, Disabled, or a transition (Enabling, Disabling, Updating) on AWS. */
  readonly state: string;
  readonly enabled: boolean;
  readonly detail: string;
}

/**
 * Pause (false) or resume (true) the processor's consumption. Messages wait on the queue meanwhile,
 * up to its 14-day retention: pausing loses nothing. The visibility of messages in flight at the
 * moment of pausing runs out and they are received again after the resume.
 */
export async function setConsumers(target: ConsumersTarget, enabled: boolean): Promise<ConsumersStatus> {
  if (target.kind === "local") {
    const s = await writeLocalSwitch(target.switchFile, enabled);
    return localStatus(s.enabled, s.changedAt);
  }
  const out = await target.lambda.send(
    new UpdateEventSourceMappingCommand({ UUID: target.mappingId, Enabled: enabled }),
  );
  return awsStatus(out.State, out.StateTransitionReason, out.FunctionArn);
}

export async function getConsumers(target: ConsumersTarget): Promise<ConsumersStatus> {
  if (target.kind === "local") {
    const s = await readLocalSwitch(target.switchFile);
    return localStatus(s.enabled, s.changedAt);
  }
  const out = await target.lambda.send(new GetEventSourceMappingCommand({ UUID: target.mappingId }));
  return awsStatus(out.State, out.StateTransitionReason, out.FunctionArn);
}

/** Wait until an AWS mapping leaves its transition (Enabling / Disabling / Updating). */
export async function waitForConsumers(
  target: ConsumersTarget,
  enabled: boolean,
  timeoutMs = 120_000,
  pollMs = 2_000,
): Promise<ConsumersStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await getConsumers(target);
    if (status.state === (enabled ? "Enabled" : "Disabled") || Date.now() >= deadline) return status;
    await sleepFor(pollMs);
  }
}

function localStatus(enabled: boolean, changedAt: string): ConsumersStatus {
  return {
    state: enabled ? "Enabled" : "Disabled",
    enabled,
    detail: `local poller${changedAt ? `, switched at ${changedAt}` : ""}`,
  };
}

function awsStatus(
  state: string | undefined,
  reason: string | undefined,
  fn: string | undefined,
): ConsumersStatus {
  return {
    state: state ?? "Unknown",
    enabled: state === "Enabled" || state === "Enabling",
    detail: `event source mapping of ${fn ?? "the processor"}${reason ? ` (${reason})` : ""}`,
  };
}
