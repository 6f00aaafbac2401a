import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { setTimeout as sleepFor } from "node:timers/promises";
import { freePort } from "./freePort.js";
import { registerChild } from "./processRegistry.js";

export interface AnvilOptions {
  /** @default 31337 */
  readonly chainId?: number;
  /** Seconds between automatically mined blocks; omit for automine on each transaction. */
  readonly blockTime?: number;
  /** @default false — start with automining off; blocks come from `anvil_mine`/`evm_mine`. */
  readonly noMining?: boolean;
  /** Genesis timestamp (seconds); block timestamps then advance from here. */
  readonly timestamp?: number;
  /** Start from a state file saved with `--dump-state` (blocks, logs, accounts). */
  readonly loadState?: string;
  /** How long to wait for the node to answer; a large saved state takes longer to load. @default 15_000 */
  readonly readyTimeoutMs?: number;
}

export interface AnvilNode {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

/**
 * Path of the anvil binary shipped inside @foundry-rs/anvil's per-platform package (no download).
 * Spawned directly, not through the package's node wrapper, so that killing it kills the node.
 */
export function anvilBinary(): string {
  const arch = ({ x64: "amd64", arm64: "arm64" } as Record<string, string>)[process.arch] ?? process.arch;
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  return join(
    dirname(require.resolve(`${pkg}/package.json`)),
    "bin",
    process.platform === "win32" ? "anvil.exe" : "anvil",
  );
}

export async function startAnvil(options: AnvilOptions = {}): Promise<AnvilNode> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const args = [
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--silent",
      "--chain-id",
      String(options.chainId ?? 31337),
    ];
    if (options.blockTime !== undefined) args.push("--block-time", String(options.blockTime));
    if (options.noMining) args.push("--no-mining");
    if (options.timestamp !== undefined) args.push("--timestamp", String(options.timestamp));
    if (options.loadState !== undefined) args.push("--load-state", options.loadState);
    const child = spawn(anvilBinary(), args, { stdio: ["ignore", "ignore", "pipe"] });
    const unregister = registerChild(child);
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitForRpc(url, child, options.readyTimeoutMs ?? 15_000);
    } catch (error) {
      unregister();
      child.kill("SIGKILL");
      if (attempt < 3) continue;
      throw error;
    }
    return {
      url,
      port,
      process: child,
      stop: async () => {
        unregister();
        await killAndWait(child);
      },
    };
  }
}

async function waitForRpc(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += String(d);
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`anvil exited with code ${child.exitCode}: ${stderr.trim()}`);
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleepFor(50);
  }
  throw new Error(`anvil at ${url} did not answer within ${timeoutMs / 1000} s: ${stderr.trim()}`);
}

export function killAndWait(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
