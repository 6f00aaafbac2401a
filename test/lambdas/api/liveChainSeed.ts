import type { Sink } from "../../../lambdas/sink/Sink.js";
import {
  address,
  at,
  forcedInclusion,
  hash,
  l1Header,
  l2Header,
  proposed,
  proved,
  record,
  reorg,
  verified,
} from "../../support/events.js";

export const SEQUENCERS = [address(0x5e01), address(0x5e02), address(0x5e03)];

/**
 * A chain that ran for the last ~30 minutes before `nowSeconds`: 600 L2 blocks
 * from three sequencers with varied block times and load, 150 L1 blocks, a
 * batch per 20 L2 blocks with 1–3 blobs, proofs and verifications, two forced
 * inclusions, and an L2 reorg that replaced block 300. Returns the L2 head.
 */
export async function seedLiveChain(sink: Sink, nowSeconds: number): Promise<{ l2Head: number; t0: number }> {
  const t0 = nowSeconds - 1800;
  const gaps = [2, 3, 2, 4, 3, 2, 5, 2, 3, 2];
  const l2Ts: number[] = [t0];
  const records = [];
  for (let n = 1; n <= 600; n++) {
    l2Ts[n] = (l2Ts[n - 1] as number) + (gaps[n % gaps.length] as number);
    const txCount = 4 + ((n * 37) % 41) + (n > 400 && n < 460 ? 60 : 0);
    records.push(
      record(
        l2Header(n, {
          timestamp: l2Ts[n] as number,
          txCount,
          gasUsed: String(txCount * 52_000 + ((n * 7919) % 400_000)),
          miner: SEQUENCERS[Math.floor(n / 50) % 3] as string,
        }),
      ),
    );
  }
  // Block 300 was first seen with another hash, then reorged out for the one above.
  records.push(record(l2Header(300, { hash: hash("l2old:300"), timestamp: l2Ts[300] as number })));
  const l1At = (n: number) => at(n, { timestamp: t0 + n * 12 });
  for (let n = 1; n <= 150; n++) records.push(record(l1Header(n, { timestamp: t0 + n * 12 })));
  for (let k = 1; k <= 30; k++) {
    const last = 20 * k;
    const l1 = Math.min(150, Math.ceil(((l2Ts[last] as number) - t0) / 12) + 1);
    const proposer = k % 9 === 4 ? address(0xbad) : (SEQUENCERS[Math.floor((last - 1) / 50) % 3] as string);
    records.push(
      record(
        proposed(k, l1At(l1), {
          lastBlockId: last,
          blockCount: 20,
          proposer,
          blobHashes: Array.from({ length: 1 + (k % 3) }, (_, i) => hash(`blob:${k}:${i}`)),
        }),
      ),
    );
    const proofBlock = l1 + 8 + (k % 5) * 3;
    if (proofBlock <= 150) records.push(record(proved(k, l1At(proofBlock))));
    const verifyBlock = proofBlock + 3 + (k % 4) * 2;
    if (k % 3 === 0 && verifyBlock <= 150) records.push(record(verified(k, l1At(verifyBlock))));
  }
  records.push(record(forcedInclusion("a", l1At(40))), record(forcedInclusion("b", l1At(90))));
  const orphan = reorg("l2", 300, 300, (l2Ts[301] as number) + 1);
  records.push(record({ ...orphan, orphaned: [{ number: 300, hash: hash("l2old:300") }] }));
  await sink.write(records);
  return { l2Head: 600, t0 };
}
