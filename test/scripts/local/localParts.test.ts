import { execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { DescribeTableCommand, DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { startLocalParts } from "../../../scripts/local/localParts.js";

/** Pids of this process's children, by command name (java, anvil, ...). */
function children(): { pid: number; comm: string }[] {
  const out = execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)], { encoding: "utf8" });
  return out
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((cols): cols is [string, string] => cols.length === 2)
    .map(([pid, comm]) => ({ pid: Number(pid), comm }));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return condition();
}

async function rpc(url: string, method: string): Promise<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: [] }),
  });
  return ((await res.json()) as { result: unknown }).result;
}

/** A handler builds its clients with no endpoint, from the environment only, as in Lambda. */
async function expectReachableFromEnvAlone(env: Record<string, string>): Promise<void> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const ddb = new DynamoDBClient({});
  const sqs = new SQSClient({});
  try {
    const table = await ddb.send(new DescribeTableCommand({ TableName: env.STATE_TABLE }));
    expect(table.Table?.TableStatus).toBe("ACTIVE");
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: env.QUEUE_URL,
        MessageBody: "{}",
        MessageGroupId: "g",
        MessageDeduplicationId: "env-check",
      }),
    );
    expect(sent.MessageId).toBeTruthy();
  } finally {
    ddb.destroy();
    sqs.destroy();
    process.env = saved;
  }
}

describe("startLocalParts", () => {
  it("starts every part on loopback, provisions the contract, and stops leaving no process", async () => {
    // Prepare
    const before = new Set(children().map((c) => c.pid));

    // Act
    const parts = await startLocalParts();
    const started = children().filter((c) => !before.has(c.pid) && (c.comm === "java" || c.comm === "anvil"));

    // Assess: running and reachable
    try {
      expect(started.map((c) => c.comm).sort()).toEqual(["anvil", "anvil", "java"]);
      expect(await rpc(parts.l1.url, "eth_chainId")).toBe("0x7a69"); // 31337
      expect(await rpc(parts.l2.url, "eth_chainId")).toBe("0x28c58"); // 167000
      const tables = await parts.dynamodb.client.send(new ListTablesCommand({}));
      expect(tables.TableNames).toEqual(
        expect.arrayContaining([parts.resources.stateTable, parts.resources.idempotencyTable]),
      );
      const queue = await parts.sqs.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: parts.resources.queueUrl,
          AttributeNames: ["RedrivePolicy"],
        }),
      );
      expect(JSON.parse(queue.Attributes?.RedrivePolicy ?? "{}").deadLetterTargetArn).toBe(
        parts.resources.dlqArn,
      );
      const env = parts.env();
      expect(env).toMatchObject({
        QUEUE_URL: parts.resources.queueUrl,
        DLQ_URL: parts.resources.dlqUrl,
        STATE_TABLE: "tidemark-state",
        IDEMPOTENCY_TABLE: "tidemark-idempotency",
        AWS_REGION: "us-east-1",
        AWS_ENDPOINT_URL_DYNAMODB: parts.dynamodb.endpoint,
        AWS_ENDPOINT_URL_SQS: parts.sqs.endpoint,
        DUCKDB_PATH: parts.duckdbPath,
      });
      await expectReachableFromEnvAlone(env);
      for (const url of [parts.l1.url, parts.l2.url, parts.dynamodb.endpoint, parts.sqs.endpoint]) {
        expect(new URL(url).hostname).toBe("127.0.0.1");
      }
    } finally {
      // Act: stop twice — idempotent
      await Promise.all([parts.stop(), parts.stop()]);
      await parts.stop();
    }

    // Assess: nothing left
    expect(started.filter((c) => alive(c.pid))).toEqual([]);
    await expect(fetch(parts.sqs.endpoint)).rejects.toThrow();
  });

  it("stops the parts already started when another part fails, and rethrows", async () => {
    // Prepare
    const before = new Set(children().map((c) => c.pid));

    // Act: a queue name without .fifo fails provisioning after anvil and the SQS server are up.
    const attempt = startLocalParts({ l2: false, dynamodb: false, names: { queue: "not-fifo" } });

    // Assess
    await expect(attempt).rejects.toThrow(/must end in \.fifo/);
    const left = children().filter((c) => !before.has(c.pid) && c.comm === "anvil");
    expect(left.filter((c) => alive(c.pid))).toEqual([]);
  });

  it("leaves no node behind when the process that started it is killed", async () => {
    // Prepare: a separate process starts an L1 node and reports its pid.
    const script = fileURLToPath(new URL("./fixtures/startAndHang.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const anvilPid = await new Promise<number>((resolve, reject) => {
      let out = "";
      child.stdout?.on("data", (d) => {
        out += String(d);
        const match = /anvil-pid=(\d+)/.exec(out);
        if (match?.[1]) resolve(Number(match[1]));
      });
      child.once("exit", (code) => reject(new Error(`fixture exited early (${code})`)));
    });
    expect(alive(anvilPid)).toBe(true);

    // Act: a crash no handler can see
    child.kill("SIGKILL");

    // Assess
    expect(await waitUntil(() => !alive(anvilPid), 10_000)).toBe(true);
  });
});
