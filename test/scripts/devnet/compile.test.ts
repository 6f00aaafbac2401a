import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AbiEvent, type AbiFunction, getAbiItem, toEventSelector, toFunctionSelector } from "viem";
import { describe, expect, it } from "vitest";
import { inboxAbi } from "../../../lambdas/shared/inboxAbi.js";
import { compileDevnetContracts } from "../../../scripts/devnet/compile.js";
import { devnetInboxAbi, devnetInboxWrapperAbi } from "../../../scripts/devnet/devnetAbi.js";

const selectors = <T extends "event" | "function">(abi: readonly unknown[], type: T) =>
  (abi as (AbiEvent | AbiFunction)[])
    .filter((item) => item.type === type)
    .map((item) =>
      type === "event" ? toEventSelector(item as AbiEvent) : toFunctionSelector(item as AbiFunction),
    )
    .sort();

describe("compileDevnetContracts", () => {
  it("emits exactly the Taiko inbox events of inboxAbi and the functions the driver calls", async () => {
    // Prepare
    const cacheDir = await mkdtemp(join(tmpdir(), "tidemark-devnet-"));
    try {
      // Act
      const artifacts = await compileDevnetContracts({ cacheDir });

      // Assess
      const inboxTopics = (["BatchProposed", "BatchesProved", "BatchesVerified"] as const).map((name) =>
        toEventSelector(getAbiItem({ abi: inboxAbi, name }) as AbiEvent),
      );
      const wrapperTopic = toEventSelector(
        getAbiItem({ abi: inboxAbi, name: "ForcedInclusionProcessed" }) as AbiEvent,
      );
      expect(selectors(artifacts.inbox.abi, "event")).toEqual([...inboxTopics].sort());
      expect(selectors(artifacts.wrapper.abi, "event")).toEqual([wrapperTopic]);
      expect(selectors(artifacts.inbox.abi, "function")).toEqual(selectors(devnetInboxAbi, "function"));
      expect(selectors(artifacts.wrapper.abi, "function")).toEqual(
        selectors(devnetInboxWrapperAbi, "function"),
      );
      expect(artifacts.inbox.bytecode).toMatch(/^0x[0-9a-f]{200,}$/);
      expect((await readdir(cacheDir)).filter((f) => f.endsWith(".json"))).toHaveLength(1);
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
