import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runTidemark } from "../../../scripts/cli/tidemark.js";
import { startLocalParts } from "../../../scripts/local/localParts.js";
import { readDlq } from "../../../scripts/ops/readDlq.js";
import { redriveDlqInRounds } from "../../../scripts/ops/redriveDlqInRounds.js";
import { captureIo } from "../cli/helpers.js";

// Record which shipped DLQ functions run; the drill and chaos tests record the same two (STYLE.md, point 8).
vi.mock("../../../scripts/ops/readDlq.js", async (original) =>
  (await import("../support/spyOnExports.js")).spyOnExports(await original()),
);
vi.mock("../../../scripts/ops/redriveDlqInRounds.js", async (original) =>
  (await import("../support/spyOnExports.js")).spyOnExports(await original()),
);

const SCRIPTS = new URL("../../../scripts/", import.meta.url).pathname;

/** The only modules under scripts/ that receive SQS messages: the DLQ reader, the redriver, the event source. */
const RECEIVERS = ["local/eventSourcePoller.ts", "ops/readDlq.ts", "ops/redriveDlqInRounds.ts"];

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(".ts")).map((e) => join(e.parentPath, e.name));
}

type Parts = Awaited<ReturnType<typeof startLocalParts<{ l1: false; l2: false; dynamodb: false }>>>;
let parts: Parts;

beforeAll(async () => {
  parts = await startLocalParts({ l1: false, l2: false, dynamodb: false });
});
afterAll(async () => {
  await parts?.stop();
});

describe("one DLQ reader and one redriver", () => {
  it("has no second module under scripts/ that receives from a queue", async () => {
    // Prepare
    const files = await sources(SCRIPTS);
    // Act
    const receiving: string[] = [];
    for (const file of files)
      if ((await readFile(file, "utf8")).includes("ReceiveMessageCommand"))
        receiving.push(relative(SCRIPTS, file));
    // Assess
    expect(receiving.sort()).toEqual(RECEIVERS);
  });

  it("`tidemark dlq list` and `dlq redrive` run readDlq and redriveDlqInRounds", async () => {
    // Prepare
    const { dlqUrl, queueUrl } = parts.resources;
    await parts.sqs.client.send(
      new SendMessageCommand({
        QueueUrl: dlqUrl,
        MessageBody: "this is not JSON {",
        MessageGroupId: "l2:0",
        MessageDeduplicationId: "one-dlq-path",
        MessageAttributes: { errorType: { DataType: "String", StringValue: "InvalidMessageError" } },
      }),
    );
    const env = {
      TIDEMARK_ENV_FILE: join(SCRIPTS, "no-such-dir", "local.env"),
      QUEUE_URL: queueUrl,
      DLQ_URL: dlqUrl,
      STATE_TABLE: "unused",
      AWS_ENDPOINT_URL_SQS: parts.sqs.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: parts.sqs.endpoint,
    };
    vi.mocked(readDlq).mockClear();
    vi.mocked(redriveDlqInRounds).mockClear();
    // Act
    const listed = await runTidemark(["dlq", "list", "--json"], captureIo(env));
    const redriven = await runTidemark(["dlq", "redrive", "--json"], captureIo(env));
    // Assess
    expect([listed, redriven]).toEqual([0, 0]);
    expect(vi.mocked(readDlq)).toHaveBeenCalled();
    expect(vi.mocked(redriveDlqInRounds)).toHaveBeenCalledTimes(1);
    await expect(vi.mocked(redriveDlqInRounds).mock.results[0]?.value).resolves.toMatchObject({ moved: 1 });
  });
});
