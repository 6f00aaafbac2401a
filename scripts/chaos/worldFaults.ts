import type { Chain } from "../../lambdas/shared/events.js";
import type { Devnet } from "../devnet/createDevnet.js";
import type { FaultWindow } from "./chaosSchedule.js";
import { type FaultyRpcProxy, startFaultyRpcProxy } from "./faultyRpcProxy.js";
import { type ProviderFaultProxy, startProviderFaultProxy } from "./providerFaults.js";

/** Per chain, the ingestor's RPC URLs: each a flaky proxy in front of a provider that may lag. */
export interface ChainProxies {
  readonly flaky: Record<Chain, FaultyRpcProxy[]>;
  readonly providers: Record<Chain, ProviderFaultProxy[]>;
}

/**
 * Two RPC URLs per chain: node → provider (healthy, lagging or load-balanced) → flaky proxy (down,
 * timeouts, 429, errors, refused wide log ranges) → ingestor. Each URL fails and lags on its own.
 */
export async function startChainProxies(
  nodes: Readonly<Record<Chain, string>>,
  into: ChainProxies,
  stops: (() => Promise<void>)[],
): Promise<Record<Chain, string[]>> {
  for (const chain of ["l1", "l2"] as const) {
    for (let i = 0; i < 2; i++) {
      const provider = await startProviderFaultProxy({ upstream: nodes[chain] });
      stops.push(() => provider.stop());
      const flaky = await startFaultyRpcProxy({ upstream: provider.url, holdMs: 2_000 });
      stops.push(() => flaky.stop());
      into.providers[chain].push(provider);
      into.flaky[chain].push(flaky);
    }
  }
  return { l1: into.flaky.l1.map((p) => p.url), l2: into.flaky.l2.map((p) => p.url) };
}

/** Sets each provider's behaviour from the windows active now (healthy outside them). */
export function applyProviderWindows(
  active: readonly FaultWindow[],
  providers: ChainProxies["providers"],
): void {
  for (const chain of ["l1", "l2"] as const) {
    providers[chain].forEach((provider, i) => {
      const w = active.find((x) => x.kind === "provider" && x.chain === chain && x.proxy === i);
      provider.control.mode =
        w?.kind === "provider" ? { kind: w.mode, lagBlocks: w.lagBlocks } : { kind: "healthy" };
    });
  }
}

/**
 * What the world injected, by kind: answers a lagging provider (or the lagging half of a load balancer)
 * gave that differ from the healthy node's, and the devnet's flips and deep reorgs per chain.
 */
export function worldInjections(
  devnet: Devnet,
  providers: ChainProxies["providers"],
): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (kind: string, n = 1) => {
    out[kind] = (out[kind] ?? 0) + n;
  };
  for (const chain of ["l1", "l2"] as const) {
    for (const provider of providers[chain])
      for (const [mode, n] of Object.entries(provider.altered)) add(`provider:${mode}`, n);
  }
  for (const r of devnet.reorgs) {
    if (r.kind === "flipBackToA") add(`flip:${r.chain}`);
    if (r.kind === "deep") add(`deepReorg:${r.chain}`);
  }
  return out;
}
