import { randomUUID } from "node:crypto";
import { type AwsRequester, AwsServiceError } from "../../lambdas/shared/awsRequest.js";
import { readLocalSwitch, writeLocalSwitch } from "../pipeline/localSwitch.js";

/** Where the ingestor's schedule is switched: EventBridge Scheduler, or the local stack's switch file. */
export type IngestorScheduleTarget =
  | {
      readonly kind: "aws";
      readonly requester: AwsRequester;
      /** The schedule's name (stack output `ScheduleName`). */
      readonly name: string;
      /** @default "default" */
      readonly group?: string;
      /** AWS_ENDPOINT_URL_SCHEDULER. @default https://scheduler.<region>.amazonaws.com */
      readonly endpoint?: string;
    }
  | { readonly kind: "local"; readonly switchFile: string };

export interface IngestorScheduleStatus {
  /** ENABLED or DISABLED, as Scheduler spells it. */
  readonly state: "ENABLED" | "DISABLED";
  readonly enabled: boolean;
  readonly detail: string;
}

/**
 * What UpdateSchedule takes. UpdateSchedule *replaces* the schedule: a field left out is reset (the
 * target's input, retry policy and dead-letter queue would be lost), which is why
 * `aws scheduler update-schedule --state DISABLED` alone is wrong. Every one of these is copied from
 * GetSchedule's answer; only `State` changes.
 * https://docs.aws.amazon.com/scheduler/latest/APIReference/API_UpdateSchedule.html
 */
export const UPDATE_SCHEDULE_FIELDS = [
  "ActionAfterCompletion",
  "Description",
  "EndDate",
  "FlexibleTimeWindow",
  "GroupName",
  "KmsKeyArn",
  "ScheduleExpression",
  "ScheduleExpressionTimezone",
  "StartDate",
  "Target",
] as const;

/**
 * Pause (false) or resume (true) the ingestor's schedule. Nothing is lost while paused: the cursor
 * stays where the last poll left it and the first tick after the resume reads on from there (blocks
 * that arrived meanwhile are backfilled in ranges by that same poll). Invocations in flight finish.
 */
export async function setIngestorSchedule(
  target: IngestorScheduleTarget,
  enabled: boolean,
): Promise<IngestorScheduleStatus> {
  if (target.kind === "local") {
    const s = await writeLocalSwitch(target.switchFile, enabled);
    return localStatus(s.enabled, s.changedAt);
  }
  const current = await getSchedule(target);
  const update: Record<string, unknown> = { ClientToken: randomUUID() };
  for (const field of UPDATE_SCHEDULE_FIELDS)
    if (current[field] !== undefined) update[field] = current[field];
  update.State = enabled ? "ENABLED" : "DISABLED";
  await call(target, "PUT", update);
  return getIngestorSchedule(target);
}

export async function getIngestorSchedule(target: IngestorScheduleTarget): Promise<IngestorScheduleStatus> {
  if (target.kind === "local") {
    const s = await readLocalSwitch(target.switchFile);
    return localStatus(s.enabled, s.changedAt);
  }
  const schedule = await getSchedule(target);
  const state = schedule.State === "DISABLED" ? "DISABLED" : "ENABLED";
  return {
    state,
    enabled: state === "ENABLED",
    detail: `schedule ${target.name} (${String(schedule.ScheduleExpression ?? "no expression")}) invoking ${String((schedule.Target as { Arn?: string } | undefined)?.Arn ?? "?")}`,
  };
}

async function getSchedule(target: Extract<IngestorScheduleTarget, { kind: "aws" }>) {
  return (await call(target, "GET")) as Record<string, unknown>;
}

/** One Scheduler REST call on `/schedules/{name}`; a refusal becomes an AwsServiceError named by its code. */
async function call(
  target: Extract<IngestorScheduleTarget, { kind: "aws" }>,
  method: "GET" | "PUT",
  body?: Record<string, unknown>,
): Promise<unknown> {
  const origin = target.endpoint ?? `https://scheduler.${target.requester.region}.amazonaws.com`;
  const url = new URL(`/schedules/${encodeURIComponent(target.name)}`, origin);
  const group = target.group ?? "default";
  if (method === "GET") url.searchParams.set("groupName", group);
  const response = await target.requester.send({
    service: "scheduler",
    method,
    url,
    headers: { "content-type": "application/json" },
    body: body ? JSON.stringify({ GroupName: group, ...body }) : undefined,
  });
  const parsed = response.body ? (JSON.parse(response.body) as Record<string, unknown>) : {};
  if (response.status >= 300) {
    const code =
      String(response.headers["x-amzn-errortype"] ?? parsed.__type ?? "SchedulerError").split(":")[0] ??
      "SchedulerError";
    const message = String(parsed.Message ?? parsed.message ?? "");
    throw new AwsServiceError(
      code,
      `EventBridge Scheduler ${method} schedule ${target.name}: ${code}${message ? ` — ${message}` : ""}`,
      response.status,
      "scheduler",
    );
  }
  return parsed;
}

function localStatus(enabled: boolean, changedAt: string): IngestorScheduleStatus {
  return {
    state: enabled ? "ENABLED" : "DISABLED",
    enabled,
    detail: `local schedule${changedAt ? `, switched at ${changedAt}` : ""}`,
  };
}
