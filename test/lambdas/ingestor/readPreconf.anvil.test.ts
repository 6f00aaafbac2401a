import { createPublicClient, http, type PublicClient } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChainClient, getHeaders } from "../../../lambdas/ingestor/chainReader.js";
import { readPreconfEvents } from "../../../lambdas/ingestor/readPreconf.js";
import { candidatesOf, type PreconfEpochEvent } from "../../../lambdas/shared/preconfEvents.js";
import { parseCustomNetwork } from "../../../lambdas/shared/taiko/networks.js";
import {
  epochStartOf,
  preconfWhitelistAbi,
  SECONDS_IN_EPOCH,
} from "../../../lambdas/shared/taiko/preconfWhitelistAbi.js";
import { createDevnet, type DevnetAddresses } from "../../../scripts/devnet/createDevnet.js";
import { PRECONF_SCHEDULE } from "../../../scripts/devnet/preconfWhitelist.js";
import { type AnvilNode, startAnvil } from "../../../scripts/local/anvil.js";
import { devnetNetworkEnv } from "../../../scripts/pipeline/networkEnv.js";
import { collectingLogger, collectingMetrics } from "./helpers.js";

/**
 * The ingestor's whitelist reads against the devnet's PreconfWhitelist (the real contract's draw, on anvil):
 * one read per epoch's first L1 block and one where the operator set changed, each equal to what viem's
 * contract reads say at that block, through a scheduled add (pending two epochs) and a removal (at once).
 */
describe("readPreconfEvents on the devnet's whitelist", () => {
  const nodes: AnvilNode[] = [];
  let addresses: DevnetAddresses;
  let l1: PublicClient;
  let events: PreconfEpochEvent[];
  let headers: Awaited<ReturnType<typeof getHeaders>>;

  beforeAll(async () => {
    // Prepare: a devnet without reorgs or Shasta, one L2 block per L1 block, run past 3 epochs.
    const [a, b] = await Promise.all([startAnvil({ chainId: 31337 }), startAnvil({ chainId: 167_000 })]);
    nodes.push(a, b);
    const devnet = createDevnet({
      l1Url: a.url,
      l2Url: b.url,
      seed: "preconf",
      knobs: {
        pacingMsPerL2Block: 0,
        l1ReorgProbability: 0,
        l2ReorgProbability: 0,
        shastaActivationDelaySec: 0,
        l2BlockTimeSec: 12,
      },
    });
    addresses = await devnet.deploy();
    l1 = createPublicClient({ transport: http(a.url) });
    const deployedAt = Number(
      (await l1.getBlock({ blockNumber: BigInt(addresses.deployedInL1Block) })).timestamp,
    );
    while (Number((await l1.getBlock()).timestamp) < deployedAt + 3 * SECONDS_IN_EPOCH) await devnet.step();
    // Act: the ingestor's step over every L1 block after the deployment, as one range.
    const client = createChainClient({ urls: [a.url] });
    const head = Number(await l1.getBlockNumber());
    headers = await getHeaders(client, { fromBlock: addresses.deployedInL1Block + 1, toBlock: head });
    const network = parseCustomNetwork(devnetNetworkEnv(addresses));
    const read = await readPreconfEvents(
      {
        chain: "l1",
        client,
        settings: { network, readPreconf: true },
        metrics: collectingMetrics().sink,
        logger: collectingLogger().logger,
      },
      headers,
    );
    events = read as PreconfEpochEvent[];
  }, 120_000);
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  });

  it("reads each epoch's first L1 block, and the blocks that changed the operator set", async () => {
    // Assess
    const deployed = await l1.getBlock({ blockNumber: BigInt(addresses.deployedInL1Block) });
    let previous = Number(deployed.timestamp);
    const firsts: number[] = [];
    for (const h of headers) {
      if (epochStartOf(h.timestamp, 31337) !== epochStartOf(previous, 31337)) firsts.push(h.number);
      previous = h.timestamp;
    }
    expect(firsts.length).toBeGreaterThanOrEqual(2);
    expect(events.filter((e) => e.trigger === "epoch_start").map((e) => e.readAt.blockNumber)).toEqual(
      firsts,
    );
    const changes = events.filter((e) => e.trigger === "operator_change").map((e) => e.readAt.blockNumber);
    const add = addresses.deployedInL1Block + PRECONF_SCHEDULE.addAtTick;
    const remove = addresses.deployedInL1Block + PRECONF_SCHEDULE.removeAtTick;
    for (const n of [add, remove]) expect(changes.includes(n) || firsts.includes(n)).toBe(true);
  });

  it("records what the whitelist's own views answer at each block", async () => {
    for (const e of events) {
      const at = {
        address: addresses.preconfWhitelist,
        abi: preconfWhitelistAbi,
        blockNumber: BigInt(e.readAt.blockNumber),
      };
      const [current, next, epoch, count] = await Promise.all([
        l1.readContract({ ...at, functionName: "getOperatorForCurrentEpoch" }),
        l1.readContract({ ...at, functionName: "getOperatorForNextEpoch" }),
        l1.readContract({ ...at, functionName: "epochStartTimestamp", args: [0n] }),
        l1.readContract({ ...at, functionName: "operatorCount" }),
      ]);
      expect(e.currentOperator).toBe(current.toLowerCase());
      expect(e.nextOperator).toBe(next.toLowerCase());
      expect(e.epochStart).toBe(Number(epoch));
      expect(e.epochStart).toBe(epochStartOf(e.readAt.timestamp, 31337));
      expect(e.operators).toHaveLength(Number(count));
      // The draw is among the epoch's candidates whenever there are any.
      const candidates = candidatesOf(e).map((o) => o.proposer);
      if (candidates.length > 0) expect(candidates).toContain(e.currentOperator);
    }
  });

  it("shows an added operator as pending for two epochs and a removed one gone at once", () => {
    const added = "0x976ea74026e726554db657fa54763abd0c3a0aa9"; // dev account 6
    const removed = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"; // dev account 0
    const add = addresses.deployedInL1Block + PRECONF_SCHEDULE.addAtTick;
    const remove = addresses.deployedInL1Block + PRECONF_SCHEDULE.removeAtTick;
    const atAdd = events.find((e) => e.readAt.blockNumber === add) as PreconfEpochEvent;
    const entry = atAdd.operators.find((o) => o.proposer === added);
    expect(entry?.sequencer).toBe("0x14dc79964da2c08b23698b3d3cc7ca32193d9955"); // dev account 7
    expect(entry?.activeSince).toBe(atAdd.epochStart + 2 * SECONDS_IN_EPOCH);
    expect(candidatesOf(atAdd).map((o) => o.proposer)).not.toContain(added);
    const atRemove = events.find((e) => e.readAt.blockNumber === remove) as PreconfEpochEvent;
    expect(atRemove.operators.map((o) => o.proposer)).not.toContain(removed);
    expect(
      events
        .filter((e) => e.readAt.blockNumber < remove)
        .every((e) => e.operators.some((o) => o.proposer === removed)),
    ).toBe(true);
  });
});
