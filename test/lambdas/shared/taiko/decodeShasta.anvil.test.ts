import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type Abi,
  type AbiEvent,
  type AbiFunction,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  parseGwei,
  toEventSelector,
  toFunctionSelector,
} from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decodeShastaLogs,
  PROVED_WITH_CHECKPOINT_TOPIC,
  type ShastaRecord,
  shastaEventTopics,
} from "../../../../lambdas/shared/taiko/decodeShasta.js";
import { DEVNET_CONTRACTS_DIR } from "../../../../scripts/devnet/compile.js";
import { devnetShastaInboxAbi } from "../../../../scripts/devnet/devnetShastaAbi.js";
import { type AnvilNode, startAnvil } from "../../../../scripts/local/anvil.js";

// Anvil's funded dev accounts 0 and 1, derived as scripts/devnet does.
const DEV_MNEMONIC = "test test test test test test test test test test test junk";
const DEPLOYER = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 0 });
const PROVER = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 1 });
const blob = (byte: string): Hex => `0x${byte.repeat(32)}`;

/** Compiles the one contract with the solc-js in node_modules and compile.ts's settings. */
async function compileDevnetShastaInbox(): Promise<{ abi: Abi; bytecode: Hex }> {
  const solc = (await import("solc")).default;
  const file = "DevnetShastaInbox.sol";
  const content = await readFile(join(DEVNET_CONTRACTS_DIR, file), "utf8");
  const output = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: "Solidity",
        sources: { [file]: { content } },
        settings: {
          optimizer: { enabled: true, runs: 200 },
          evmVersion: "cancun",
          outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
        },
      }),
    ),
  ) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const contract = output.contracts[file]?.DevnetShastaInbox;
  if (!contract) throw new Error("solc output has no DevnetShastaInbox");
  return { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
}

describe("DevnetShastaInbox on anvil, read back with the Shasta decoder", () => {
  let anvil: AnvilNode;
  let compiled: { abi: Abi; bytecode: Hex };

  beforeAll(async () => {
    [anvil, compiled] = await Promise.all([startAnvil(), compileDevnetShastaInbox()]);
  });
  afterAll(async () => {
    await anvil?.stop();
  });

  it("declares exactly the Shasta events and the functions of devnetShastaInboxAbi", () => {
    // Prepare
    const of = (abi: readonly unknown[], type: "event" | "function") =>
      (abi as (AbiEvent | AbiFunction)[])
        .filter((i) => i.type === type)
        .map((i) =>
          type === "event" ? toEventSelector(i as AbiEvent) : toFunctionSelector(i as AbiFunction),
        )
        .sort();

    // Act / Assess: every Shasta event but the Dec 2025 Proved, nothing else
    expect(of(compiled.abi, "event")).toEqual(
      shastaEventTopics.filter((t) => t !== PROVED_WITH_CHECKPOINT_TOPIC).sort(),
    );
    expect(of(compiled.abi, "function")).toEqual(of(devnetShastaInboxAbi, "function"));
  });

  it("emits a Shasta story whose every log decodes to the facts the driver enacted", async () => {
    // Prepare
    const transport = http(anvil.url);
    const publicClient = createPublicClient({ transport });
    const wallet = (account: typeof DEPLOYER) => createWalletClient({ account, transport });
    const deployTx = await wallet(DEPLOYER).deployContract({
      abi: devnetShastaInboxAbi,
      bytecode: compiled.bytecode,
      args: [75, 3600],
      chain: null,
    });
    const deployed = await publicClient.waitForTransactionReceipt({ hash: deployTx });
    const inbox = deployed.contractAddress as Hex;
    const call = async (
      account: typeof DEPLOYER,
      functionName: string,
      args: readonly unknown[],
      value?: bigint,
    ) => {
      const hash = await wallet(account).writeContract({
        address: inbox,
        abi: devnetShastaInboxAbi,
        functionName: functionName as never,
        args: args as never,
        chain: null,
        ...(value === undefined ? {} : { value }),
      } as never);
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      expect(receipt.status).toBe("success");
      return receipt;
    };

    // Act: activation, proposals with 1 and 3 sources, an overlapping proof, bonds, recovery, voiding
    await call(DEPLOYER, "activate", [blob("ca")]);
    await call(DEPLOYER, "propose", [1_900_000_012, [blob("a1")], 0, 0]);
    await call(DEPLOYER, "deposit", [1_000n]);
    const saved = await call(PROVER, "saveForcedInclusion", [[blob("f1")], 64], parseGwei("1000000"));
    await call(PROVER, "saveForcedInclusion", [[blob("f2"), blob("f3")], 0], parseGwei("1000000"));
    const proposedWithFi = await call(DEPLOYER, "propose", [0, [blob("a2")], 128, 2]);
    await call(PROVER, "prove", [1, 1, PROVER.address]);
    await call(PROVER, "prove", [1, 2, PROVER.address]);
    await call(DEPLOYER, "requestWithdrawal", []);
    await call(DEPLOYER, "cancelWithdrawal", []);
    await call(DEPLOYER, "withdraw", [100n]);
    await call(PROVER, "settleLivenessBond", [DEPLOYER.address, PROVER.address, 500n]);
    await call(DEPLOYER, "recoverState", [1, blob("e1")]);
    await call(PROVER, "saveForcedInclusion", [[blob("f4")], 0], parseGwei("1000000"));
    await call(DEPLOYER, "voidForcedInclusions", []);
    await call(DEPLOYER, "depositTo", [PROVER.address, 7n]);
    const logs = await publicClient.getLogs({ address: inbox, fromBlock: 0n, toBlock: "latest" });
    const { records, failures } = decodeShastaLogs(
      logs.map((l) => ({
        address: l.address,
        topics: l.topics,
        data: l.data,
        blockNumber: Number(l.blockNumber),
        blockHash: l.blockHash,
        transactionHash: l.transactionHash,
        logIndex: l.logIndex,
      })),
    );

    // Assess
    expect(failures).toEqual([]);
    expect(records.map((r) => r.type)).toEqual([
      "shasta_proposed",
      "shasta_inbox_activated",
      "shasta_proposed",
      "shasta_bond_deposited",
      "shasta_forced_inclusion_saved",
      "shasta_forced_inclusion_saved",
      "shasta_proposed",
      "shasta_proved",
      "shasta_proved",
      "shasta_withdrawal_requested",
      "shasta_withdrawal_cancelled",
      "shasta_bond_withdrawn",
      "shasta_liveness_bond_settled",
      "shasta_state_recovered",
      "shasta_forced_inclusion_saved",
      "shasta_forced_inclusions_voided",
      "shasta_bond_deposited",
    ]);
    const byType = <T extends ShastaRecord["type"]>(type: T) =>
      records.filter((r): r is Extract<ShastaRecord, { type: T }> => r.type === type);
    const deployer = DEPLOYER.address.toLowerCase();
    const prover = PROVER.address.toLowerCase();
    const savedBlock = await publicClient.getBlock({ blockNumber: saved.blockNumber });
    const proposedBlock = await publicClient.getBlock({ blockNumber: proposedWithFi.blockNumber });

    const [genesis, first, third] = byType("shasta_proposed");
    expect(genesis).toMatchObject({
      proposalId: 0,
      proposer: "0x0000000000000000000000000000000000000000",
      sources: [],
    });
    expect(first).toMatchObject({
      proposalId: 1,
      proposer: deployer,
      basefeeSharingPctg: 75,
      endOfSubmissionWindowTimestamp: 1_900_000_012,
    });
    expect(first?.sources).toHaveLength(1);
    expect(third?.proposalId).toBe(2);
    expect(third?.sources).toEqual([
      {
        isForcedInclusion: true,
        blobSlice: { blobHashes: [blob("f1")], offset: 64, timestamp: Number(savedBlock.timestamp) },
      },
      {
        isForcedInclusion: true,
        blobSlice: { blobHashes: [blob("f2"), blob("f3")], offset: 0, timestamp: expect.any(Number) },
      },
      {
        isForcedInclusion: false,
        blobSlice: { blobHashes: [blob("a2")], offset: 128, timestamp: Number(proposedBlock.timestamp) },
      },
    ]);
    expect(third?.parentProposalHash).not.toBe(first?.parentProposalHash);
    expect(byType("shasta_inbox_activated")[0]?.lastPacayaBlockHash).toBe(blob("ca"));
    expect(
      byType("shasta_proved").map((p) => [p.firstProposalId, p.firstNewProposalId, p.lastProposalId]),
    ).toEqual([
      [1, 1, 1],
      [1, 2, 2],
    ]);
    expect(byType("shasta_proved")[1]).toMatchObject({ actualProver: prover, checkpointSynced: null });
    expect(byType("shasta_forced_inclusion_saved").map((s) => s.feeInGwei)).toEqual([
      "1000000",
      "1000000",
      "1000000",
    ]);
    expect(byType("shasta_liveness_bond_settled")[0]).toMatchObject({
      payer: deployer,
      payee: prover,
      livenessBondGwei: "500",
      creditedGwei: "250",
      slashedGwei: "250",
    });
    expect(byType("shasta_state_recovered")[0]).toMatchObject({
      nextProposalId: 3,
      lastFinalizedProposalId: 1,
      lastFinalizedBlockHash: blob("e1"),
    });
    expect(byType("shasta_forced_inclusions_voided")[0]).toMatchObject({ oldHead: 2, newHead: 3 });
    expect(byType("shasta_bond_deposited")[1]).toMatchObject({
      depositor: deployer,
      recipient: prover,
      amountGwei: "7",
    });
    expect(records.every((r) => r.log.address === inbox.toLowerCase())).toBe(true);
  });

  it("refuses a proof that would finalize nothing new", async () => {
    // Prepare
    const publicClient = createPublicClient({ transport: http(anvil.url) });
    const hash = await createWalletClient({ account: DEPLOYER, transport: http(anvil.url) }).deployContract({
      abi: devnetShastaInboxAbi,
      bytecode: compiled.bytecode,
      args: [75, 3600],
      chain: null,
    });
    const inbox = (await publicClient.waitForTransactionReceipt({ hash })).contractAddress as Hex;

    // Act
    const attempt = publicClient.simulateContract({
      account: DEPLOYER,
      address: inbox,
      abi: devnetShastaInboxAbi,
      functionName: "prove",
      args: [0, 0, PROVER.address],
    });

    // Assess
    await expect(attempt).rejects.toThrow(/proves an unproposed proposal|nothing new/);
  });
});
