import { readFile } from "node:fs/promises";
import { SQSClient } from "@aws-sdk/client-sqs";
import { type PublishClient, publishEvents } from "../lambdas/ingestor/publisher.js";
import { sqsJsonClientLike } from "../lambdas/shared/awsSqsFromSdk.js";
import type { L1HeaderEvent } from "../lambdas/shared/events.js";
import { localAwsConfig } from "../scripts/local/localAwsConfig.js";
import { provisionQueues } from "../scripts/local/provision.js";
import { startSqsServerProcess } from "../scripts/local/sqsServer.js";

/**
 * What one SendMessageBatch costs in CPU, for the AWS SDK client and the light request path
 * (lambdas/shared/awsSqs.ts), through the publisher the ingestor runs: this process's CPU per call,
 * and the local SQS server's (its own process, read from /proc on Linux). The backfill's publishing
 * is bound by these two figures. `npx tsx bench/publishCallCost.ts [events] [rounds]`
 */
const EVENTS = Number(process.argv[2] ?? 3000);
const ROUNDS = Number(process.argv[3] ?? 2);

/** CPU ms a process has used (utime + stime, in clock ticks of 10 ms), or undefined off Linux. */
async function processCpuMs(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  const fields = stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields ? (Number(fields[11]) + Number(fields[12])) * 10 : undefined;
}

const header = (n: number): L1HeaderEvent => ({
  v: 1,
  type: "l1_header",
  number: n,
  hash: `0x${n.toString(16).padStart(64, "0")}`,
  parentHash: `0x${(n - 1).toString(16).padStart(64, "0")}`,
  timestamp: 1_700_000_000 + n * 12,
  gasUsed: "21000",
  gasLimit: "30000000",
  baseFeePerGas: "7",
  txCount: 1,
  miner: "0x00000000000000000000000000000000000000c0",
});

const server = await startSqsServerProcess();
const sdk = new SQSClient(localAwsConfig(server.endpoint));
const light = await sqsJsonClientLike(sdk);
try {
  const events = Array.from({ length: EVENTS }, (_, i) => header(i + 1));
  const calls = Math.ceil(EVENTS / 10);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, client] of [
      ["aws-sdk", sdk],
      ["light", light],
    ] as [string, PublishClient][]) {
      const id = `${name}-${round}-${Date.now()}`;
      const { queueUrl } = await provisionQueues({
        sqs: sdk,
        names: { queue: `cost-${id}.fifo`, deadLetterQueue: `cost-${id}-dlq.fifo` },
      });
      const serverBefore = await processCpuMs(server.pid);
      const before = process.cpuUsage();
      await publishEvents(client, queueUrl, events, 16);
      const used = process.cpuUsage(before);
      const serverAfter = await processCpuMs(server.pid);
      const serverMs =
        serverBefore === undefined || serverAfter === undefined
          ? "n/a"
          : `${((serverAfter - serverBefore) / calls).toFixed(2)} ms`;
      process.stdout.write(
        `${name.padEnd(8)} ${calls} SendMessageBatch calls: ${((used.user + used.system) / 1000 / calls).toFixed(2)} ms CPU per call here, ${serverMs} in the SQS server\n`,
      );
    }
  }
} finally {
  light.destroy();
  sdk.destroy();
  await server.stop();
}
