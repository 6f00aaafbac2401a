import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localAwsConfig } from "../../../scripts/local/localAwsConfig.js";
import {
  createKeyCommand,
  formatKeys,
  listKeysCommand,
  revokeKeyCommand,
} from "../../../scripts/ops/apiKeys.js";
import {
  getSchemaCommand,
  listSchemasCommand,
  putSchemaCommand,
  setStreamModeCommand,
} from "../../../scripts/ops/ingestSchemas.js";
import { verifyReceiptFileCommand } from "../../../scripts/ops/verifyReceiptFile.js";
import {
  body,
  buildDeps,
  event,
  type IngestParts,
  mountV1,
  provisionIngest,
  startIngestParts,
} from "../../lambdas/ingestApi/helpers.js";

// Integration: the CLI's keys, schema and receipt functions over DynamoDB Local, checked through the
// API that honours what they write.
let parts: IngestParts;
let deps: Awaited<ReturnType<typeof buildDeps>>;
let clients: { ddb: DynamoDBClient; tableName: string };

beforeAll(async () => {
  parts = await startIngestParts();
  const names = await provisionIngest(parts);
  deps = await buildDeps(parts, names);
  clients = { ddb: new DynamoDBClient(localAwsConfig(parts.dynamo.endpoint)), tableName: names.tableName };
});
afterAll(async () => {
  clients?.ddb.destroy();
  deps?.destroy();
  await parts?.stop();
});

const postWith = (apiKey: string, payload: string) =>
  mountV1(deps).request("/v1/events", {
    method: "POST",
    body: payload,
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
  });

describe("tidemark keys", () => {
  it("creates a key the API accepts, lists it without its secret, and revokes it for good", async () => {
    // Act
    const created = await createKeyCommand({ name: "relayer", streams: ["relays"], burst: 5 }, clients);
    const accepted = await postWith(created.apiKey, body(event("relays", "r-1")));
    const listed = await listKeysCommand({}, clients);
    const revoked = await revokeKeyCommand({ keyId: created.record.keyId }, clients);
    const again = await revokeKeyCommand({ keyId: created.record.keyId }, clients);
    const refused = await postWith(created.apiKey, body(event("relays", "r-2")));
    const afterRevoke = await listKeysCommand({}, clients);
    const withRevoked = await listKeysCommand({ all: true }, clients);
    // Assess
    expect(accepted.status).toBe(200);
    expect(listed.map((k) => [k.keyId, k.name, k.streams, k.burst])).toContainEqual([
      created.record.keyId,
      "relayer",
      ["relays"],
      5,
    ]);
    // The secret is everything after `tmk_<keyId>_`: it may itself contain `_`.
    expect(JSON.stringify(listed)).not.toContain(created.apiKey.slice("tmk_".length + 17));
    expect(formatKeys(listed)).toContain(`${created.record.keyId}  relayer  streams=relays`);
    expect(again.revokedAt).toBe(revoked.revokedAt);
    expect(refused.status).toBe(401);
    expect(afterRevoke.map((k) => k.keyId)).not.toContain(created.record.keyId);
    expect(withRevoked.map((k) => k.keyId)).toContain(created.record.keyId);
    await expect(revokeKeyCommand({ keyId: "0000000000000000" }, clients)).rejects.toMatchObject({
      code: "not_found",
    });
  });
});

describe("tidemark schema", () => {
  it("puts a schema file the API enforces, gets and lists it, and refuses files that are not schemas", async () => {
    // Prepare
    const file = join(parts.stateDir, "preconf.schema.json");
    await writeFile(file, JSON.stringify({ type: "object", required: ["slot"] }));
    const notJson = join(parts.stateDir, "broken.json");
    await writeFile(notJson, "{ nope");
    const badSchema = join(parts.stateDir, "bad.schema.json");
    await writeFile(badSchema, JSON.stringify({ type: "objekt" }));
    const key = (await createKeyCommand({ name: "s", streams: ["preconfs"] }, clients)).apiKey;
    // Act
    const first = await putSchemaCommand({ eventType: "preconf", file }, clients);
    const second = await putSchemaCommand({ eventType: "preconf", file }, clients);
    const mode = await setStreamModeCommand({ stream: "preconfs", mode: "enforce" }, clients);
    const got = await getSchemaCommand({ eventType: "preconf" }, clients);
    const missing = await getSchemaCommand({ eventType: "nothing" }, clients);
    const listed = await listSchemasCommand({}, clients);
    const violating = await postWith(key, body(event("preconfs", "p-1", { noSlot: true }, "preconf")));
    // Assess
    expect([first.version, second.version]).toEqual([1, 2]);
    expect(mode).toEqual({ stream: "preconfs", mode: "enforce" });
    expect(got?.schema).toEqual({ type: "object", required: ["slot"] });
    expect(missing).toBeUndefined();
    expect(listed.map((s) => s.eventType)).toContain("preconf");
    expect(violating.status).toBe(400);
    await expect(putSchemaCommand({ eventType: "x", file: notJson }, clients)).rejects.toMatchObject({
      code: "invalid_schema",
    });
    await expect(putSchemaCommand({ eventType: "x", file: badSchema }, clients)).rejects.toMatchObject({
      code: "invalid_schema",
    });
    expect(await getSchemaCommand({ eventType: "x" }, clients)).toBeUndefined();
  });
});

describe("tidemark receipt verify", () => {
  it("verifies a saved receipt against a trusted key or keys file, and rejects an edited one or another key", async () => {
    // Prepare: a receipt and the key as a client would save them from the API.
    const key = (await createKeyCommand({ name: "r", streams: ["receipts"] }, clients)).apiKey;
    const res = await postWith(key, body(event("receipts", "rc-1", { amount: 5 })));
    const { results } = (await res.json()) as { results: { receipt: Record<string, unknown> }[] };
    const receipt = results[0]?.receipt ?? {};
    const app = mountV1(deps);
    const keysJson = await (await app.request("/v1/keys")).text();
    const file = join(parts.stateDir, "receipt.json");
    const edited = join(parts.stateDir, "edited.json");
    const keysFile = join(parts.stateDir, "keys.json");
    await writeFile(file, JSON.stringify(receipt));
    await writeFile(edited, JSON.stringify({ ...receipt, sequence: Number(receipt.sequence) + 1 }));
    await writeFile(keysFile, keysJson);
    const publicKey = deps.signer.publicKeyHex;
    const otherKey = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    // Act
    const byKey = await verifyReceiptFileCommand({ file, publicKey });
    const byKeysFile = await verifyReceiptFileCommand({ file, keysFile });
    const tampered = await verifyReceiptFileCommand({ file: edited, publicKey });
    const wrongKey = await verifyReceiptFileCommand({ file, publicKey: otherKey });
    const noKey = await verifyReceiptFileCommand({ file });
    // Assess
    expect(byKey).toMatchObject({ valid: true, problems: [] });
    expect(byKeysFile.valid).toBe(true);
    expect(tampered.valid).toBe(false);
    expect(tampered.problems[0]).toContain("signature");
    expect(wrongKey.valid).toBe(false);
    expect(noKey.valid).toBe(false);
  });
});
