import { healthReport } from "../../ops/healthReport.js";
import { EXIT, emit, parseCommand, printUsage, stringOption, TARGET_USAGE, table } from "../cliSupport.js";
import { resolveTarget } from "../resolveTarget.js";
import type { Command } from "./command.js";

const USAGE = `Usage: tidemark health [options]

One look at the pipeline, one line per component with its own status (one that cannot be reached
does not hide the others): each RPC URL (reachable, head, latency — host only, never the key), ingest
lag per chain (cursor vs head), queue depth and (deployed) oldest message age, DLQ count, the last
processed event, and (deployed) every alarm's state. Exits 1 when anything needs a person.

Options
  --sink-url <url>          read the last processed event from this sink query server

${TARGET_USAGE}`;

export const healthCommand: Command = {
  name: "health",
  summary: "RPC reachability, ingest lag, queue and DLQ, last processed event, alarms",
  usage: USAGE,
  async run(argv, io) {
    const parsed = parseCommand(argv, { "sink-url": { type: "string" } });
    if (parsed.values.help) return printUsage(io, USAGE);
    const target = resolveTarget(parsed, io);
    // A sink that cannot be opened is one component down, reported with the others.
    const sink = await target
      .sink({ sinkUrl: stringOption(parsed.values, "sink-url") })
      .catch((error: unknown) => ({ query: () => Promise.reject(error) }));
    const report = await healthReport({
      rpc: await target.rpcUrls(),
      sqs: target.sqs(),
      queueUrl: target.queueUrl,
      dlqUrl: target.dlqUrl,
      ddb: target.ddb(),
      stateTable: target.stateTable,
      sink,
      cloudwatch:
        target.kind === "stage"
          ? {
              client: target.cloudwatch(),
              alarmPrefix: target.names.AlarmNamePrefix ?? "tidemark-",
              queueName: target.queueUrl.split("/").pop() ?? "",
            }
          : undefined,
    });
    const human = [
      `${target.label}: ${report.ok ? "HEALTHY" : "UNHEALTHY"}`,
      "",
      table([
        ["component", "status", "detail"],
        ...report.components.map((c) => [c.component, c.ok ? "ok" : "PROBLEM", c.detail]),
      ]),
      "",
      `last processed: ${report.lastProcessed ? `${report.lastProcessed.what} at ${report.lastProcessed.at}` : "unknown"}`,
      ...(report.queue?.oldestAgeSeconds !== undefined
        ? [`oldest message: ${report.queue.oldestAgeSeconds}s`]
        : []),
      ...(report.alarms === undefined && target.kind === "local"
        ? ["alarms: none locally (CloudWatch alarms exist in deployed stages)"]
        : []),
      ...(report.problems.length > 0 ? ["", "problems:", ...report.problems.map((p) => `- ${p}`)] : []),
    ].join("\n");
    emit(io, parsed.values.json === true, { target: target.label, ...report }, human);
    return report.ok ? EXIT.ok : EXIT.findings;
  },
};
