import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type BuildAppOptions, buildApp } from "fauxqs";
import { LOCAL_AWS_CREDENTIALS, LOCAL_AWS_REGION } from "./localAwsConfig.js";
import { registerChild } from "./processRegistry.js";
import { addSigV4Check, type SignatureCounts } from "./sigV4Check.js";

export interface SqsServer {
  /** `http://127.0.0.1:<port>`; queue URLs are `<endpoint>/000000000000/<name>`. */
  readonly endpoint: string;
  readonly port: number;
  /** The server's process id when it runs in a child process (startSqsServerProcess). */
  readonly pid?: number;
  /** Requests whose SigV4 signature was checked (in this process, with `verifySignatures`). */
  readonly signatures: SignatureCounts;
  stop(): Promise<void>;
}

export interface SqsServerOptions {
  /**
   * Check every request's SigV4 signature against LOCAL_AWS_CREDENTIALS, as AWS would, and refuse
   * what does not verify with 403 (SignatureDoesNotMatch). @default false (fauxqs accepts anything)
   */
  readonly verifySignatures?: boolean;
}

/**
 * Start fauxqs (SQS with FIFO semantics) in this process on a kernel-chosen loopback port.
 * Not `startFauxqs`: it always binds 0.0.0.0. Port 0 leaves no race between choosing and binding.
 */
export async function startSqsServer(options: SqsServerOptions = {}): Promise<SqsServer> {
  const stores = { sqsStore: await requestHostSqsStore() } as unknown as BuildAppOptions["stores"];
  const app = buildApp({ logger: false, defaultRegion: LOCAL_AWS_REGION, stores });
  const signatures: SignatureCounts = { verified: 0, refused: 0 };
  if (options.verifySignatures) {
    addSigV4Check(app as unknown as Parameters<typeof addSigV4Check>[0], LOCAL_AWS_CREDENTIALS, signatures);
  }
  await app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    signatures,
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
export async function startSqsServerProcess(options: SqsServerOptions = {}): Promise<SqsServer> {
  const entry = new URL("./sqsServerProcess.ts", import.meta.url).pathname;
  const args = ["--import", "tsx", entry, ...(options.verifySignatures ? ["--verify-signatures"] : [])];
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "inherit"] });
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
    ...(child.pid === undefined ? {} : { pid: child.pid }),
    // Counted in the child; a refused request still reaches the caller as a 403.
    signatures: { verified: 0, refused: 0 },
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
