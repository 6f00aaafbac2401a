import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type BuildAppOptions, buildApp } from "fauxqs";
import { LOCAL_AWS_REGION } from "./localAwsConfig.js";
import { registerChild } from "./processRegistry.js";

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
 * The same server in a child process, so its CPU is not charged to this one — as with SQS itself, which
 * runs elsewhere. The benchmark uses it to measure what publishing costs the ingest process.
 */
export async function startSqsServerProcess(): Promise<SqsServer> {
  const entry = new URL("./sqsServerProcess.ts", import.meta.url).pathname;
  const child = spawn(process.execPath, ["--import", "tsx", entry], { stdio: ["pipe", "pipe", "inherit"] });
  const unregister = registerChild(child);
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n") && line !== undefined) resolve(Number(line));
    });
    child.once("exit", (code) =>
      reject(new Error(`SQS server process exited with ${code} before listening`)),
    );
  });
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        child.once("exit", () => {
          unregister();
          resolve();
        });
        child.stdin?.end();
      });
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
