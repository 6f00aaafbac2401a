import { createClickHouseSink } from "../../lambdas/sink/clickhouseSink.js";
import { createDuckDbSink } from "../../lambdas/sink/duckdbSink.js";
import type { Sink } from "../../lambdas/sink/Sink.js";
import type { SqlQueryable } from "../../lambdas/sink/SqlQueryable.js";
import { startClickHouse } from "../local/clickhouseServer.js";

export interface ClickHouseTarget {
  /** HTTP interface, e.g. http://127.0.0.1:8123. @default a local server started for the run and removed after it */
  readonly url?: string;
  /** @default "tidemark" on a local server; a fresh `tidemark_run_<time>` on a given url, so earlier runs cannot fail this one's verification */
  readonly database?: string;
  readonly username?: string;
  readonly password?: string;
}

export interface LocalSink {
  readonly sink: Sink & SqlQueryable;
  /** The processor's settings naming this sink. */
  readonly env: Record<string, string>;
  /** For the report: "duckdb <path>" or "clickhouse <url> database <name>". */
  readonly description: string;
}

/**
 * The run's sink, opened once: DuckDB is single-writer per process, and the report reads the same
 * instance the processor writes. ClickHouse when asked for (a throwaway local server without a url).
 * What must be closed or stopped is added to `cleanup`.
 */
export async function openLocalSink(
  options: { readonly clickhouse?: ClickHouseTarget; readonly duckdbPath: string },
  cleanup: (() => Promise<unknown>)[],
): Promise<LocalSink> {
  if (options.clickhouse === undefined) {
    const sink = await createDuckDbSink({ path: options.duckdbPath });
    cleanup.unshift(() => sink.close());
    return {
      sink,
      env: { SINK: "duckdb", DUCKDB_PATH: options.duckdbPath },
      description: `duckdb ${options.duckdbPath}`,
    };
  }
  const target = options.clickhouse;
  let url = target.url;
  if (url === undefined) {
    const server = await startClickHouse();
    cleanup.push(() => server.stop());
    url = server.url;
  }
  const database =
    target.database ??
    (target.url === undefined
      ? "tidemark"
      : `tidemark_run_${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}`);
  const sink = await createClickHouseSink({
    url,
    database,
    ...(target.username !== undefined ? { username: target.username } : {}),
    ...(target.password !== undefined ? { password: target.password } : {}),
  });
  cleanup.unshift(() => sink.close());
  const env: Record<string, string> = {
    SINK: "clickhouse",
    CLICKHOUSE_URL: url,
    CLICKHOUSE_DATABASE: database,
  };
  if (target.username !== undefined) env.CLICKHOUSE_USER = target.username;
  if (target.password !== undefined) env.CLICKHOUSE_PASSWORD = target.password;
  return {
    sink,
    env,
    description: `clickhouse ${url} database ${database}${target.url === undefined ? " (local server, removed after the run)" : ""}`,
  };
}
