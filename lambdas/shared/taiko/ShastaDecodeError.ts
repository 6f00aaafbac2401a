import { PermanentError } from "../errors.js";

/**
 * An L1 log from a Shasta contract that cannot be decoded into a typed record: unknown topic0,
 * data that does not match the event's layout, or values the protocol never emits (a `Proved`
 * range that runs backwards). Decoding the same bytes again gives the same answer, so retrying
 * cannot help: the log must reach a person with this context.
 */
export class ShastaLogDecodeError extends PermanentError {
  constructor(
    readonly topic0: string | undefined,
    readonly txHash: string,
    readonly logIndex: number,
    readonly reason: string,
    options: { cause?: unknown; address?: string; blockNumber?: number } = {},
  ) {
    super(
      `undecodable Shasta log (topic0 ${topic0 ?? "none"}, tx ${txHash}, log index ${logIndex}): ${reason}`,
      {
        cause: options.cause,
        context: {
          topic0,
          txHash,
          logIndex,
          reason,
          address: options.address,
          blockNumber: options.blockNumber,
        },
      },
    );
  }
}

/**
 * An L2 block that does not carry its Shasta proposal link the way the protocol writes it
 * (extraData layout, anchorV4 transaction). Permanent for the same bytes: a node that returned a
 * truncated block is a different failure (RpcError), raised before decoding.
 */
export class ShastaL2BlockDecodeError extends PermanentError {
  constructor(
    readonly blockNumber: number,
    readonly blockHash: string,
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(`undecodable Shasta L2 block ${blockNumber} (${blockHash}): ${reason}`, {
      cause: options.cause,
      context: { blockNumber, blockHash, reason },
    });
  }
}
