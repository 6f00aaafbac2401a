import type { Address } from "viem";
import { verifyAnchorCommand } from "../../ops/verifyAnchorCommand.js";
import { actionOf, EXIT, emit, parseCommand, printUsage, stringOption, UsageError } from "../cliSupport.js";
import type { Command } from "./command.js";

const USAGE = `Usage: tidemark anchor verify EVENT_ID --rpc URL --public-key HEX (--api URL [--api-key K] | --proof FILE)

Check an ingested event against the Merkle root anchored on an L2: its inclusion proof (from the API's
GET /v1/proofs/{eventId}, or a saved one) must verify offline under the trusted key, and the registry on
chain must hold the same root for the same stream and sequence range. Exit 0 valid, 1 not (yet).

Options
  --rpc <url>               any JSON-RPC URL of the chain the registry is on
  --public-key <hex>        the receipts' Ed25519 key you trust (GET /v1/keys, kept beforehand)
  --registry <0x…>          the registry you trust (default: the one the proof names)
  --api <url>               the API serving /v1 (with --api-key, a key for the event's stream)
  --api-key <key>
  --proof <file>            a saved proof instead
  --json                    print the result as JSON
  -h, --help                this text`;

export const anchorCommand: Command = {
  name: "anchor",
  summary: "verify an ingested event against the root anchored on the L2",
  usage: USAGE,
  async run(argv, io) {
    const parsed = parseCommand(
      argv,
      {
        rpc: { type: "string" },
        "public-key": { type: "string" },
        registry: { type: "string" },
        api: { type: "string" },
        "api-key": { type: "string" },
        proof: { type: "string" },
        json: { type: "boolean" },
      },
      2,
      { target: false },
    );
    if (parsed.values.help) return printUsage(io, USAGE);
    const [action, eventId] = parsed.positionals;
    actionOf("anchor", action, ["verify"], "say verify EVENT_ID");
    if (eventId === undefined) throw new UsageError("anchor verify needs EVENT_ID");
    const rpcUrl = stringOption(parsed.values, "rpc");
    const publicKey = stringOption(parsed.values, "public-key");
    const registry = stringOption(parsed.values, "registry");
    const apiUrl = stringOption(parsed.values, "api");
    const apiKey = stringOption(parsed.values, "api-key");
    const proofFile = stringOption(parsed.values, "proof");
    if (rpcUrl === undefined) throw new UsageError("anchor verify needs --rpc URL");
    if (publicKey === undefined) throw new UsageError("anchor verify needs --public-key HEX");
    if ((apiUrl === undefined) === (proofFile === undefined)) {
      throw new UsageError("anchor verify needs one of --api URL or --proof FILE");
    }
    if (registry !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(registry)) {
      throw new UsageError(`--registry: "${registry}" is not an address`);
    }
    const result = await verifyAnchorCommand({
      eventId,
      rpcUrl,
      publicKey,
      ...(registry ? { registry: registry as Address } : {}),
      ...(apiUrl ? { apiUrl } : {}),
      ...(apiKey ? { apiKey } : {}),
      ...(proofFile ? { proofFile } : {}),
    });
    const c = result.proof?.commitment;
    emit(
      io,
      parsed.values.json === true,
      result,
      result.valid
        ? `anchored: ${eventId} is in ${c?.stream} ${c?.fromSequence}…${c?.toSequence}, root ${result.onChainRoot} in tx ${c?.anchor?.txHash}`
        : `NOT verified: ${result.problems.join("; ")}`,
    );
    return result.valid ? EXIT.ok : EXIT.findings;
  },
};
