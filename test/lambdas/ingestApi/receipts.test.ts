import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../../lambdas/ingestApi/canonicalJson.js";
import {
  createReceiptSigner,
  payloadSha256,
  receiptMessage,
  signReceipt,
  verifyReceipt,
} from "../../../lambdas/ingestApi/receipts.js";
import { loadSigningKey, SIGNING_KEY_FILE } from "../../../lambdas/ingestApi/signingKey.js";

describe("canonicalJson", () => {
  it("sorts keys at every depth and drops whitespace, so equal JSON hashes equally", () => {
    expect(canonicalJson({ b: 1, a: [{ d: true, c: null }], é: "x\n" })).toBe(
      '{"a":[{"c":null,"d":true}],"b":1,"é":"x\\n"}',
    );
    expect(payloadSha256(JSON.parse('{ "b": 1.0, "a": 2 }'))).toBe(payloadSha256({ a: 2, b: 1 }));
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/NaN/);
  });
});

describe("receipts", () => {
  it("verifies with the signer's public key only, and fails for any changed field", async () => {
    // Prepare: a key generated into a fresh state directory, as a first local start does.
    const dir = await mkdtemp(join(tmpdir(), "tidemark-key-"));
    try {
      const key = await loadSigningKey({ stateDir: dir });
      const again = await loadSigningKey({ stateDir: dir });
      const signer = createReceiptSigner(key);
      // Act
      const receipt = signReceipt(
        {
          stream: "s",
          sequence: 7,
          eventId: "e",
          payloadSha256: payloadSha256({ a: 1 }),
          acceptedAt: "2026-12-01T00:00:00.000Z",
        },
        signer,
      );
      // Assess
      expect(again).toEqual(key);
      expect((await stat(join(dir, SIGNING_KEY_FILE))).mode & 0o777).toBe(0o600);
      expect((await readFile(join(dir, SIGNING_KEY_FILE), "utf8")).trim()).toMatch(/^[0-9a-f]{64}$/);
      expect(verifyReceipt(receipt, signer.publicKeyHex)).toBe(true);
      expect(verifyReceipt(JSON.parse(JSON.stringify(receipt)), signer.publicKeyHex)).toBe(true);
      for (const change of [
        { stream: "t" },
        { sequence: 8 },
        { eventId: "f" },
        { acceptedAt: "2026-12-01T00:00:01.000Z" },
      ]) {
        expect(verifyReceipt({ ...receipt, ...change }, signer.publicKeyHex)).toBe(false);
      }
      const other = createReceiptSigner(new Uint8Array(32).fill(7));
      expect(verifyReceipt(receipt, other.publicKeyHex)).toBe(false);
      expect(verifyReceipt({ ...receipt, signature: "zz" }, signer.publicKeyHex)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("takes the key from a secret and refuses a malformed one, naming the setting", async () => {
    const key = await loadSigningKey({ secretHex: "11".repeat(32) });
    expect(key).toHaveLength(32);
    await expect(loadSigningKey({ secretHex: "xyz" })).rejects.toThrow(/INGEST_SIGNING_KEY/);
  });

  it("signs and hashes byte for byte as @noble/curves and @noble/hashes do (receipts issued before stay valid)", () => {
    // Prepare: RFC 8032's deterministic signatures: one key and body have exactly one signature.
    const key = new Uint8Array(32).map((_, i) => (i * 37 + 11) % 256);
    const payload = { b: [1, "é", null], a: { z: true } };
    const body = {
      stream: "s",
      sequence: 42,
      eventId: "e",
      payloadSha256: payloadSha256(payload),
      acceptedAt: "2026-12-02T07:00:00.000Z",
    };
    // Act
    const receipt = signReceipt(body, createReceiptSigner(key));
    // Assess
    expect(body.payloadSha256).toBe(bytesToHex(sha256(utf8ToBytes(canonicalJson(payload)))));
    expect(receipt.signature).toBe(bytesToHex(ed25519.sign(receiptMessage(body), key)));
    expect(receipt.publicKey).toBe(bytesToHex(ed25519.getPublicKey(key)));
  });
});
