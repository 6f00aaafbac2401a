import { healthReport } from "../../ops/healthReport.js";
import { EXIT, emit, parseCommand, stringOption, TARGET_USAGE, table } from "../cliSupport.js";
import { resolveTarget } from "../resolveTarget.js";
import type { Command } from "./command.js";

const USAGE = `Usage: tidemark health [options]

One look at the pipeline: each RPC URL (reachable, head, latency — host only, never the key), ingest
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
    if (parsed.values.help) {
      io.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    const target = resolveTarget(parsed, io);
    const sink = await target.sink({ sinkUrl: stringOption(parsed.values, "sink-url") });
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
        ["rpc", "endpoint", "ok", "head", "ms"],
        ...report.rpc.map((r) => [r.chain, r.endpoint, r.ok ? "yes" : `no: ${r.error}`, r.head, r.latencyMs]),
      ]),
      "",
      table([
        ["chain", "cursor next", "head", "lag (blocks)"],
        ...report.ingest.map((i) => [i.chain, i.next, i.head, i.lagBlocks]),
      ]),
      "",
      `queue: ${report.queue.visible} waiting, ${report.queue.inFlight} in flight${report.queue.oldestAgeSeconds !== undefined ? `, oldest ${report.queue.oldestAgeSeconds}s` : ""}`,
      `dlq: ${report.dlq.count}`,
      `last processed: ${report.lastProcessed ? `${report.lastProcessed.what} at ${report.lastProcessed.at}` : "unknown"}`,
      report.alarms === undefined
        ? "alarms: none locally (CloudWatch alarms exist in deployed stages)"
        : `alarms: ${report.alarms.filter((a) => a.state === "ALARM").length} in ALARM of ${report.alarms.length}`,
      ...(report.problems.length > 0 ? ["", "problems:", ...report.problems.map((p) => `- ${p}`)] : []),
    ].join("\n");
    emit(io, parsed.values.json === true, { target: target.label, ...report }, human);
    return report.ok ? EXIT.ok : EXIT.findings;
  },
};
