import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Abi, Hex } from "viem";

export interface CompiledContract {
  readonly abi: Abi;
  /** Creation bytecode, constructor arguments not appended. */
  readonly bytecode: Hex;
}

export interface DevnetArtifacts {
  readonly solcVersion: string;
  readonly inbox: CompiledContract;
  readonly wrapper: CompiledContract;
  readonly shastaInbox: CompiledContract;
  readonly preconfWhitelist: CompiledContract;
  readonly beaconRoots: CompiledContract;
}

export interface CompileDevnetContractsParameters {
  /**
   * Directory for the on-disk artifact cache, so later processes skip loading solc (seconds).
   * `false` keeps the cache in memory only.
   * @default "<repo>/.tidemark/cache" (gitignored)
   */
  readonly cacheDir?: string | false;
}

const here = dirname(fileURLToPath(import.meta.url));
export const DEVNET_CONTRACTS_DIR = join(here, "contracts");
const DEFAULT_CACHE_DIR = join(here, "..", "..", ".tidemark", "cache");

const require = createRequire(import.meta.url);
const SOLC_VERSION: string = (require("solc/package.json") as { version: string }).version;

const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  // Cancun: no opcode a current anvil (or any post-Dencun node) lacks.
  evmVersion: "cancun",
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
} as const;

const memoryCache = new Map<string, Promise<DevnetArtifacts>>();

/** The artifacts compile() returns: [field, file, contract]. */
const PICKED = [
  ["inbox", "DevnetInbox.sol", "DevnetInbox"],
  ["wrapper", "DevnetInboxWrapper.sol", "DevnetInboxWrapper"],
  ["shastaInbox", "DevnetShastaInbox.sol", "DevnetShastaInbox"],
  ["preconfWhitelist", "DevnetPreconfWhitelist.sol", "DevnetPreconfWhitelist"],
  ["beaconRoots", "DevnetPreconfWhitelist.sol", "DevnetBeaconRoots"],
] as const;

/**
 * Compiles the devnet inbox contracts with the solc-js bundled in node_modules (no download),
 * once per process and source version; the result is also cached on disk unless `cacheDir: false`.
 */
export async function compileDevnetContracts(
  parameters: CompileDevnetContractsParameters = {},
): Promise<DevnetArtifacts> {
  const sources = await readSources();
  const key = createHash("sha256")
    // The picked contracts are part of the key: a cache written by code that picked fewer would lack one.
    .update(JSON.stringify({ solc: SOLC_VERSION, settings: SETTINGS, sources, picked: PICKED }))
    .digest("hex")
    .slice(0, 16);
  let pending = memoryCache.get(key);
  if (!pending) {
    pending = loadOrCompile(key, sources, parameters.cacheDir ?? DEFAULT_CACHE_DIR);
    memoryCache.set(key, pending);
    // A failed compile must not poison the cache for the next caller.
    pending.catch(() => memoryCache.delete(key));
  }
  return pending;
}

async function readSources(): Promise<Record<string, string>> {
  const names = (await readdir(DEVNET_CONTRACTS_DIR)).filter((n) => n.endsWith(".sol")).sort();
  const entries = await Promise.all(
    names.map(async (n) => [n, await readFile(join(DEVNET_CONTRACTS_DIR, n), "utf8")] as const),
  );
  return Object.fromEntries(entries);
}

async function loadOrCompile(
  key: string,
  sources: Record<string, string>,
  cacheDir: string | false,
): Promise<DevnetArtifacts> {
  const file = cacheDir === false ? undefined : join(cacheDir, `devnet-contracts-${key}.json`);
  if (file) {
    try {
      return JSON.parse(await readFile(file, "utf8")) as DevnetArtifacts;
    } catch {
      // Missing or unreadable cache: compile below.
    }
  }
  const artifacts = await compile(sources);
  if (file && cacheDir !== false) {
    await mkdir(cacheDir, { recursive: true });
    // Write then rename, so a concurrent reader never sees half a file.
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(artifacts));
    await rename(tmp, file);
  }
  return artifacts;
}

interface SolcOutput {
  errors?: { severity: "error" | "warning" | "info"; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
}

async function compile(sources: Record<string, string>): Promise<DevnetArtifacts> {
  // Loaded lazily: the emscripten compiler takes seconds to initialise and a cache hit never needs it.
  const solc = (await import("solc")).default;
  const input = {
    language: "Solidity",
    sources: Object.fromEntries(Object.entries(sources).map(([name, content]) => [name, { content }])),
    settings: SETTINGS,
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) {
    throw new Error(`solc ${SOLC_VERSION} failed:\n${errors.map((e) => e.formattedMessage).join("\n")}`);
  }
  const pick = (file: string, name: string): CompiledContract => {
    const contract = output.contracts?.[file]?.[name];
    if (!contract) throw new Error(`solc output has no ${file}:${name}`);
    return { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
  };
  return {
    solcVersion: SOLC_VERSION,
    ...Object.fromEntries(PICKED.map(([field, file, name]) => [field, pick(file, name)])),
  } as DevnetArtifacts;
}
