import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { publishEvents } from "../../../lambdas/ingestor/publisher.js";
import { AwsServiceError, createAwsRequester } from "../../../lambdas/shared/awsRequest.js";
import { createSqsJsonClient, type SendMessageBatchInput } from "../../../lambdas/shared/awsSqs.js";
import { ThrottledError } from "../../../lambdas/shared/errors.js";
import { l1Header } from "../../support/events.js";

type Answer = (input: SendMessageBatchInput, call: number) => { status: number; body: unknown };

/** An SQS stand-in speaking the JSON protocol, answering each SendMessageBatch as `answer` says. */
async function stubSqs(answer: Answer) {
  const targets: string[] = [];
  let calls = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      targets.push(String(req.headers["x-amz-target"]));
      const { status, body } = answer(JSON.parse(Buffer.concat(chunks).toString()), calls++);
      res.writeHead(status, { "content-type": "application/x-amz-json-1.0" }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const requester = createAwsRequester({
    region: "us-east-1",
    credentials: { accessKeyId: "a", secretAccessKey: "b" },
  });
  return {
    queueUrl: `http://127.0.0.1:${port}/000000000000/stub.fifo`,
    client: createSqsJsonClient({ requester }),
    targets,
    stop: () => {
      requester.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const accepted = (input: SendMessageBatchInput) => ({
  Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })),
  Failed: [],
});
const throttle = { __type: "com.amazonaws.sqs#ThrottlingException", message: "Rate exceeded" };
const noWait = { sleep: async () => {}, random: () => 0.5 };

describe("the light SQS client's answers, through the publisher", () => {
  let stub: Awaited<ReturnType<typeof stubSqs>> | undefined;
  afterEach(() => stub?.stop());

  it("resends only the entry SQS refused, and a whole call throttled, until all are accepted", async () => {
    // Prepare: the first call is throttled whole; later, block 3's entry is refused once.
    let refusedOnce = false;
    stub = await stubSqs((input, call) => {
      if (call === 0) return { status: 400, body: throttle };
      const three = input.Entries.find((e) => JSON.parse(e.MessageBody).number === 3);
      if (three && !refusedOnce) {
        refusedOnce = true;
        const rest = { ...input, Entries: input.Entries.filter((e) => e !== three) };
        return {
          status: 200,
          body: { ...accepted(rest), Failed: [{ Id: three.Id, Code: "InternalError", SenderFault: false }] },
        };
      }
      return { status: 200, body: accepted(input) };
    });
    const retried: number[] = [];
    // Act
    const result = await publishEvents(
      stub.client,
      stub.queueUrl,
      [1, 2, 3, 4, 5].map((n) => l1Header(n)),
      16,
      {
        ...noWait,
        lanes: 1,
        onRetry: (n) => retried.push(n),
      },
    );
    // Assess
    expect(result.sent).toBe(5);
    expect(retried).toEqual([5, 1]);
    expect(stub.targets.every((t) => t === "AmazonSQS.SendMessageBatch")).toBe(true);
  });

  it("classifies a throttle as retryable: an AwsServiceError marked throttling, then a ThrottledError naming the queue", async () => {
    // Prepare
    stub = await stubSqs(() => ({ status: 400, body: throttle }));
    // Act
    const direct = await stub.client
      .sendMessageBatch({ QueueUrl: stub.queueUrl, Entries: [{ Id: "0", MessageBody: "{}" }] })
      .catch((e: unknown) => e);
    const published = await publishEvents(stub.client, stub.queueUrl, [l1Header(7)], 16, {
      ...noWait,
      maxAttempts: 3,
    }).catch((e: unknown) => e);
    // Assess
    expect(direct).toBeInstanceOf(AwsServiceError);
    expect(direct).toMatchObject({
      name: "ThrottlingException",
      status: 400,
      $retryable: { throttling: true },
    });
    expect(published).toBeInstanceOf(ThrottledError);
    expect((published as ThrottledError).retryable).toBe(true);
    expect((published as Error).message).toContain(stub.queueUrl);
    expect((published as Error).message).toContain("entry 0");
  });
});
