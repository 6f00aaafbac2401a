import { createAwsRequester } from "../../../lambdas/shared/awsRequest.js";
import type { AwsCredentials } from "../../../lambdas/shared/awsSigV4.js";
import {
  getIngestorSchedule,
  type IngestorScheduleTarget,
  setIngestorSchedule,
} from "../../ops/ingestorSchedule.js";
import { actionOf, EXIT, emit, parseCommand, printUsage, TARGET_USAGE, TargetError } from "../cliSupport.js";
import { resolveTarget, type Target } from "../resolveTarget.js";
import type { Command } from "./command.js";

const USAGE = `Usage: tidemark ingestor pause|resume|status [options]

pause    disable the ingestor's EventBridge schedule: no new invocation starts (one in flight
         finishes); the cursor stays, nothing is skipped
resume   enable it again; the next tick reads on from the cursor, in ranges, up to the head
status   ENABLED or DISABLED, the rate and the target

On AWS this reads the schedule and writes it back whole with only State changed (UpdateSchedule
replaces every field, so \`aws scheduler update-schedule --state DISABLED\` alone would drop the
target's input, retries and dead-letter queue). Locally the switch is the local stack's schedule
(the file TIDEMARK_INGESTOR_SWITCH).

${TARGET_USAGE}`;

export const ingestorCommand: Command = {
  name: "ingestor",
  summary: "pause, resume or show the ingestor's schedule",
  usage: USAGE,
  async run(argv, io) {
    const parsed = parseCommand(argv, {}, 1);
    if (parsed.values.help) return printUsage(io, USAGE);
    const action = actionOf("ingestor", parsed.positionals[0], ["pause", "resume", "status"] as const);
    const target = resolveTarget(parsed, io);
    const schedule = await ingestorScheduleTarget(target, io.env);
    try {
      const status =
        action === "status"
          ? await getIngestorSchedule(schedule)
          : await setIngestorSchedule(schedule, action === "resume");
      const verb = action === "pause" ? "paused" : action === "resume" ? "resumed" : "is";
      emit(
        io,
        parsed.values.json === true,
        { target: target.label, ...status },
        `ingestor schedule ${verb}: ${status.state} — ${status.detail}`,
      );
      return EXIT.ok;
    } finally {
      if (schedule.kind === "aws") schedule.requester.destroy();
    }
  },
};

export async function ingestorScheduleTarget(
  target: Target,
  env: Readonly<Record<string, string | undefined>>,
): Promise<IngestorScheduleTarget> {
  if (target.kind === "stage") {
    const name = target.require("ScheduleName", "ingestor");
    // Signed with the credentials and region the SDK clients of this target resolve.
    const lambda = target.lambda();
    const requester = createAwsRequester({
      region: await lambda.config.region(),
      credentials: () => lambda.config.credentials() as Promise<AwsCredentials>,
    });
    return { kind: "aws", requester, name, endpoint: env.AWS_ENDPOINT_URL_SCHEDULER };
  }
  if (!target.ingestorSwitchFile)
    throw new TargetError("no local ingestor switch (start the local stack with `tidemark local`)");
  return { kind: "local", switchFile: target.ingestorSwitchFile };
}
