import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ed25519 } from "@noble/curves/ed25519.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventIdOf } from "../../../lambdas/ingestApi/apiEventMessage.js";
import { createReceiptSigner, payloadSha256, signReceipt } from "../../../lambdas/ingestApi/receipts.js";
import { runTidemark } from "../../../scripts/cli/tidemark.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../../scripts/local/dynamoDbLocal.js";
import { localAwsConfig } from "../../../scripts/local/localAwsConfig.js";
import { provisionIngestTable } from "../../../scripts/local/provision.js";
import { captureIo } from "./helpers.js";

let dir: string;
let dynamo: DynamoDbLocal;
beforeAll(async () => {
  [dir, dynamo] = await Promise.all([mkdtemp(join(tmpdir(), "tidemark-ingest-cli-")), startDynamoDbLocal()]);
  const ddb = new DynamoDBClient(localAwsConfig(dynamo.endpoint));
  await provisionIngestTable(ddb);
  ddb.destroy();
}, 60_000);
afterAll(async () => {
  await Promise.all([rm(dir, { recursive: true, force: true }), dynamo?.stop()]);
});

/** The environment a local stack writes; only DynamoDB is used by keys and schema. */
const localEnv = () => ({
  TIDEMARK_ENV_FILE: join(dir, "absent.env"),
  AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
  QUEUE_URL: "http://127.0.0.1:1/q.fifo",
  DLQ_URL: "http://127.0.0.1:1/dlq.fifo",
  STATE_TABLE: "tidemark-state",
});

const run = async (argv: string[], env: Record<string, string> = localEnv()) => {
  const io = captureIo(env, dir);
  const code = await runTidemark(argv, io);
  return { code, out: io.out(), err: io.err() };
};

describe("tidemark keys / schema / receipt / anchor", () => {
  it("answers a wrong command line with one line and exit 2", async () => {
    // Act
    const answers = await Promise.all([
      run(["keys"]),
      run(["keys", "create", "--name", "x"]),
      run(["keys", "rotate"]),
      run(["schema", "mode", "s", "strict"]),
      run(["receipt", "verify"]),
      run(["receipt", "verify", "f.json"]),
      run(["anchor", "verify", "abc", "--public-key", "00"]),
      run(["anchor", "verify", "abc", "--rpc", "http://127.0.0.1:1", "--public-key", "00"]),
    ]);
    // Assess
    for (const a of answers) {
      expect(a.code).toBe(2);
      expect(a.err.trimEnd().split("\n")).toHaveLength(1);
    }
    expect(answers[1]?.err).toContain("--stream");
    expect(answers[3]?.err).toContain('"strict" is not one of disabled, warn, enforce, required');
    expect(answers[7]?.err).toContain("--api URL or --proof FILE");
  });

  it("creates, lists and revokes a key; a created key is shown once, never listed", async () => {
    // Act
    const created = await run(["keys", "create", "--name", "ops", "--stream", "notes", "--json"]);
    const { apiKey, record } = JSON.parse(created.out) as { apiKey: string; record: { keyId: string } };
    const listed = await run(["keys", "list"]);
    const revoked = await run(["keys", "revoke", record.keyId]);
    const after = await run(["keys", "list", "--all", "--json"]);
    // Assess
    expect(created.code).toBe(0);
    expect(apiKey).toMatch(/^tmk_/);
    expect(listed.out).toContain(`${record.keyId}  ops  streams=notes`);
    expect(listed.out).not.toContain(apiKey);
    expect(revoked.code).toBe(0);
    expect((JSON.parse(after.out) as { keys: { revokedAt?: string }[] }).keys[0]?.revokedAt).toBeDefined();
  });

  it("puts, gets and lists a schema, and sets a stream's mode", async () => {
    // Prepare
    const file = join(dir, "note.schema.json");
    await writeFile(file, JSON.stringify({ type: "object", required: ["text"] }));
    // Act
    const put = await run(["schema", "put", "operator.note", file]);
    const got = await run(["schema", "get", "operator.note"]);
    const missing = await run(["schema", "get", "nothing"]);
    const list = await run(["schema", "list"]);
    const mode = await run(["schema", "mode", "notes", "warn"]);
    // Assess
    expect([put.code, got.code, missing.code, list.code, mode.code]).toEqual([0, 0, 1, 0, 0]);
    expect(put.out).toContain("stored operator.note  v1");
    expect(JSON.parse(got.out)).toEqual({ type: "object", required: ["text"] });
    expect(list.out).toContain("operator.note  v1");
    expect(mode.out).toBe("notes: warn\n");
  });

  it("verifies a receipt offline under the trusted key, and refuses it under another (exit 1)", async () => {
    // Prepare
    const signer = createReceiptSigner(ed25519.utils.randomSecretKey());
    const other = createReceiptSigner(ed25519.utils.randomSecretKey());
    const receipt = signReceipt(
      {
        stream: "notes",
        sequence: 1,
        eventId: eventIdOf("notes", "n-1"),
        payloadSha256: payloadSha256({ text: "hi" }),
        acceptedAt: "2026-12-01T00:00:00.000Z",
      },
      signer,
    );
    const file = join(dir, "receipt.json");
    await writeFile(file, JSON.stringify(receipt));
    // Act
    const good = await run(["receipt", "verify", file, "--public-key", signer.publicKeyHex]);
    const bad = await run(["receipt", "verify", file, "--public-key", other.publicKeyHex]);
    // Assess
    expect(good).toMatchObject({ code: 0, out: `receipt valid: notes #1 ${receipt.eventId}\n` });
    expect(bad.code).toBe(1);
    expect(bad.out).toContain("the signature does not verify under the trusted key");
  });
});
