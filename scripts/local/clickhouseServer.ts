import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { setTimeout as sleepFor } from "node:timers/promises";
import { killAndWait } from "./anvil.js";
import { freePort } from "./freePort.js";
import { registerChild } from "./processRegistry.js";

export interface ClickHouseServer {
  /** `http://127.0.0.1:<httpPort>`: the HTTP interface the sink talks to. */
  readonly url: string;
  readonly httpPort: number;
  /** Native protocol port, for clickhouse-client. */
  readonly tcpPort: number;
  readonly process: ChildProcess;
  /** Temp dir holding config, data, logs and tmp; removed by stop(). */
  readonly dir: string;
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>;
}

export interface StartClickHouseParameters {
  /** The server binary. @default the first of clickhouse-server / clickhouse found on PATH, /usr/sbin, /usr/bin */
  readonly binary?: string;
  /** @default 30_000 */
  readonly startupTimeoutMs?: number;
}

/** Debian installs the server in /usr/sbin, which a non-root PATH often lacks. */
const EXTRA_DIRS = ["/usr/sbin", "/usr/bin", "/usr/local/bin"];

export const CLICKHOUSE_INSTALL_HINT =
  "install it with `apt-get install -y clickhouse-server` (Debian) or put ClickHouse's `clickhouse` binary on PATH";

/**
 * The ClickHouse server binary on this machine, or undefined. Debian ships
 * `clickhouse-server`; ClickHouse's own builds ship one `clickhouse` binary
 * whose first argument selects the tool (`clickhouse server`).
 */
export function findClickHouseBinary():
  | { readonly path: string; readonly args: readonly string[] }
  | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const [name, args] of [
    ["clickhouse-server", []],
    ["clickhouse", ["server"]],
  ] as const) {
    for (const dir of dirs) {
      const path = join(dir, name);
      try {
        accessSync(path, constants.X_OK);
        return { path, args };
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/**
 * Starts a throwaway ClickHouse server: its own config, data, logs and tmp
 * under a temp dir, HTTP and native ports on 127.0.0.1 only, no interserver
 * port, user `default` without password. Waits for /ping.
 */
export async function startClickHouse(params: StartClickHouseParameters = {}): Promise<ClickHouseServer> {
  const found = params.binary === undefined ? findClickHouseBinary() : { path: params.binary, args: [] };
  if (found === undefined) throw new Error(`ClickHouse server not found: ${CLICKHOUSE_INSTALL_HINT}`);
  const timeoutMs = params.startupTimeoutMs ?? 30_000;
  for (let attempt = 0; ; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), "tidemark-clickhouse-"));
    const [httpPort, tcpPort] = [await freePort(), await freePort()];
    try {
      const configFile = await writeConfig(dir, httpPort, tcpPort);
      const child = spawn(found.path, [...found.args, `--config-file=${configFile}`], {
        cwd: dir,
        stdio: ["ignore", "pipe", "pipe"],
      });
      const unregister = registerChild(child);
      const url = `http://127.0.0.1:${httpPort}`;
      try {
        await waitForPing(url, child, join(dir, "log", "err.log"), timeoutMs);
      } catch (error) {
        unregister();
        await killAndWait(child, 1000);
        throw error;
      }
      return {
        url,
        httpPort,
        tcpPort,
        process: child,
        dir,
        stop: async () => {
          unregister();
          // Its data is thrown away next, so there is nothing to shut down cleanly (SIGTERM takes seconds).
          await killAndWait(child, 0);
          await rm(dir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      // A lost port race shows as an early exit; a missing binary will not get better by retrying.
      if (attempt < 2 && !(error instanceof BinaryMissingError)) continue;
      throw error;
    }
  }
}

class BinaryMissingError extends Error {}

async function writeConfig(dir: string, httpPort: number, tcpPort: number): Promise<string> {
  for (const sub of ["data", "tmp", "log", "user_files", "format_schemas"]) await mkdir(join(dir, sub));
  // `<yandex>` is the root element 18.16 knows; current releases still accept it beside `<clickhouse>`.
  const config = `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/log/server.log</log><errorlog>${dir}/log/err.log</errorlog><size>10M</size><count>1</count></logger>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
</yandex>
`;
  const users = `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>1000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`;
  const file = join(dir, "config.xml");
  await writeFile(file, config);
  await writeFile(join(dir, "users.xml"), users);
  return file;
}

async function waitForPing(
  url: string,
  child: ChildProcess,
  errLog: string,
  timeoutMs: number,
): Promise<void> {
  let output = "";
  const keep = (d: Buffer) => {
    output = (output + String(d)).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let spawnError: NodeJS.ErrnoException | undefined;
  child.once("error", (error) => {
    spawnError = error;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (spawnError !== undefined) {
      if (spawnError.code === "ENOENT")
        throw new BinaryMissingError(`ClickHouse server not found: ${CLICKHOUSE_INSTALL_HINT}`);
      throw spawnError;
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      const log = await readFile(errLog, "utf8").catch(() => "");
      throw new Error(
        `ClickHouse exited (${child.exitCode ?? child.signalCode}): ${output.trim()} ${log.slice(-2000).trim()}`,
      );
    }
    try {
      const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleepFor(100);
  }
  throw new Error(`ClickHouse at ${url} did not answer /ping within ${timeoutMs / 1000} s: ${output.trim()}`);
}
