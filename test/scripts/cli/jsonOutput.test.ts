import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalParts } from "../../../scripts/local/localParts.js";

// `--json` must pipe cleanly: stdout holds one JSON document and nothing else (no npm banner, no progress),
// when run the way the README says: `npm start --silent -- --json` and `npx tidemark <command> --json`.
const ROOT = new URL("../../../", import.meta.url).pathname;
const run = (command: string, args: string[], env: Record<string, string> = {}) =>
  promisify(execFile)(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    maxBuffer: 16 * 1024 * 1024,
  });

type Parts = Awaited<ReturnType<typeof startLocalParts<{ l1: false; l2: false; dynamodb: false }>>>;
let parts: Parts;
beforeAll(async () => {
  parts = await startLocalParts({ l1: false, l2: false, dynamodb: false });
});
afterAll(async () => {
  await parts?.stop();
});

describe("--json output", () => {
  it("`npm start --silent -- --json` prints only the result as JSON", async () => {
    // Act
    const { stdout } = await run("npm", [
      "start",
      "--silent",
      "--",
      "--json",
      "--blocks",
      "20",
      "--pacing",
      "0",
      "--poison",
      "1",
    ]);
    // Assess
    const result = JSON.parse(stdout) as {
      ok: boolean;
      problems: string[];
      counters: { poisonSent: number };
    };
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.counters.poisonSent).toBe(1);
  }, 180_000);

  it("`npx tidemark dlq list --json` prints only the result as JSON", async () => {
    // Prepare
    const env = {
      TIDEMARK_ENV_FILE: join(ROOT, "no-such-dir", "local.env"),
      QUEUE_URL: parts.resources.queueUrl,
      DLQ_URL: parts.resources.dlqUrl,
      STATE_TABLE: "unused",
      AWS_ENDPOINT_URL_SQS: parts.sqs.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: parts.sqs.endpoint,
    };
    // Act
    const { stdout } = await run("npx", ["tidemark", "--json", "dlq", "list"], env);
    // Assess
    expect(JSON.parse(stdout)).toMatchObject({ total: 0, messages: [] });
  }, 60_000);
});
