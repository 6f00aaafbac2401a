import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type BuildAppOptions, buildApp } from "fauxqs";
import { LOCAL_AWS_REGION } from "./localAwsConfig.js";

export interface SqsServer {
  /** `http://127.0.0.1:<port>`; queue URLs are `<endpoint>/000000000000/<name>`. */
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Start fauxqs (SQS with FIFO semantics) in this process on a kernel-chosen loopback port.
 * Not `startFauxqs`: it always binds 0.0.0.0. Port 0 leaves no race between choosing and binding.
 */
export async function startSqsServer(): Promise<SqsServer> {
  const stores = { sqsStore: await requestHostSqsStore() } as unknown as BuildAppOptions["stores"];
  const app = buildApp({ logger: false, defaultRegion: LOCAL_AWS_REGION, stores });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () => {
      stopped ??= app.close();
      return stopped;
    },
  };
}

/**
 * fauxqs names queues `http://sqs.<region>.localhost:<port>/...` by default, a host glibc does not
 * resolve; and an SQS client without an explicit endpoint (a handler configured by
 * AWS_ENDPOINT_URL_SQS) sends to the QueueUrl's host. With `host` cleared, the store builds queue URLs
 * from the request's Host header instead, i.e. 127.0.0.1:<port>. The store class is not exported, so
 * it is loaded from the installed package's file (fauxqs is pinned).
 */
async function requestHostSqsStore(): Promise<{ host: string }> {
  const require = createRequire(import.meta.url);
  for (const dir of require.resolve.paths("fauxqs") ?? []) {
    const file = join(dir, "fauxqs", "dist", "sqs", "sqsStore.js");
    if (!existsSync(file)) continue;
    const { SqsStore } = (await import(pathToFileURL(file).href)) as { SqsStore: new () => { host: string } };
    const store = new SqsStore();
    store.host = "";
    return store;
  }
  throw new Error("fauxqs is not installed (no fauxqs/dist/sqs/sqsStore.js on the module path)");
}
