import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Abi, Hex } from "viem";

export interface CompiledAnchorRegistry {
  readonly solcVersion: string;
  readonly abi: Abi;
  /** Creation bytecode (no constructor arguments). */
  readonly bytecode: Hex;
}

export const ANCHOR_REGISTRY_SOURCE = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "lambdas",
  "ingestApi",
  "contracts",
  "AnchorRegistry.sol",
);

const require = createRequire(import.meta.url);
let pending: Promise<CompiledAnchorRegistry> | undefined;

/**
 * Compile AnchorRegistry.sol with the solc-js in node_modules (no download), once per process; the
 * same settings as the devnet contracts (scripts/devnet/compile.ts): optimizer on, Cancun EVM.
 */
export function compileAnchorRegistry(): Promise<CompiledAnchorRegistry> {
  pending ??= compile();
  pending.catch(() => {
    pending = undefined; // a failed compile must not poison later calls
  });
  return pending;
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
}

async function compile(): Promise<CompiledAnchorRegistry> {
  const solc = (await import("solc")).default;
  const input = {
    language: "Solidity",
    sources: { "AnchorRegistry.sol": { content: await readFile(ANCHOR_REGISTRY_SOURCE, "utf8") } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(`solc failed:\n${errors.map((e) => e.formattedMessage).join("\n")}`);
  const contract = output.contracts?.["AnchorRegistry.sol"]?.AnchorRegistry;
  if (!contract) throw new Error("solc output has no AnchorRegistry.sol:AnchorRegistry");
  return {
    solcVersion: (require("solc/package.json") as { version: string }).version,
    abi: contract.abi,
    bytecode: `0x${contract.evm.bytecode.object}`,
  };
}
