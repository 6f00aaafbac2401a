import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { inclusionPath, leafHash, merkleRoot, verifyInclusion } from "../../../lambdas/ingestApi/merkle.js";
import type { ReceiptBody } from "../../../lambdas/ingestApi/receipts.js";

const body = (sequence: number): ReceiptBody => ({
  stream: "s",
  sequence,
  eventId: `e${sequence}`,
  payloadSha256: "ab".repeat(32),
  acceptedAt: "2026-12-01T00:00:00.000Z",
});
const leaves = (n: number) => Array.from({ length: n }, (_, i) => leafHash(body(i + 1)));
const h = (...parts: Uint8Array[]) => sha256(concatBytes(...parts));

describe("merkle (RFC 6962)", () => {
  it("hashes leaves and nodes with distinct prefixes, splitting at the largest power of two", () => {
    // Prepare: three leaves, whose RFC 6962 root is H(1 ‖ H(1 ‖ l0 ‖ l1) ‖ l2), computed by hand.
    const [l0, l1, l2] = leaves(3) as [Uint8Array, Uint8Array, Uint8Array];
    const one = Uint8Array.of(1);
    // Assess
    expect(bytesToHex(l0)).toBe(
      bytesToHex(
        h(
          Uint8Array.of(0),
          utf8ToBytes(
            '{"acceptedAt":"2026-12-01T00:00:00.000Z","eventId":"e1","payloadSha256":"' +
              "ab".repeat(32) +
              '","sequence":1,"stream":"s"}',
          ),
        ),
      ),
    );
    expect(merkleRoot([l0, l1, l2])).toBe(bytesToHex(h(one, h(one, l0, l1), l2)));
    expect(merkleRoot([l0])).toBe(bytesToHex(l0));
  });

  // The size alone is not bound by the path (RFC 9162: the signed tree head binds it); verifyProof
  // checks it against the signed commitment's range.
  it("proves every leaf of trees of 1…33 leaves, and refuses a wrong leaf, index or root", () => {
    for (let n = 1; n <= 33; n++) {
      const all = leaves(n);
      const root = merkleRoot(all);
      for (let i = 0; i < n; i++) {
        const path = inclusionPath(all, i);
        expect(verifyInclusion({ leaf: all[i] as Uint8Array, index: i, size: n, path, root })).toBe(true);
        const other = all[(i + 1) % n] as Uint8Array;
        if (n > 1) expect(verifyInclusion({ leaf: other, index: i, size: n, path, root })).toBe(false);
        if (n > 1)
          expect(
            verifyInclusion({ leaf: all[i] as Uint8Array, index: (i + 1) % n, size: n, path, root }),
          ).toBe(false);
        expect(
          verifyInclusion({ leaf: all[i] as Uint8Array, index: i, size: n, path, root: "00".repeat(32) }),
        ).toBe(false);
      }
    }
  });

  it("changes the root when any event field changes", () => {
    const all = leaves(5);
    const tampered = [...all];
    tampered[2] = leafHash({ ...body(3), acceptedAt: "2026-12-01T00:00:00.001Z" });
    expect(merkleRoot(tampered)).not.toBe(merkleRoot(all));
  });
});
