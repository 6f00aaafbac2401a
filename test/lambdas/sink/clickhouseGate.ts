import { CLICKHOUSE_INSTALL_HINT, findClickHouseBinary } from "../../../scripts/local/clickhouseServer.js";

/**
 * Whether to skip tests that need a real ClickHouse server: only when the
 * binary is absent AND this is not CI. In CI (CI=true) they always run, and
 * fail loudly if the server is missing.
 */
export function skipWithoutClickHouse(): boolean {
  if (findClickHouseBinary() !== undefined || process.env.CI === "true") return false;
  console.warn(
    `skipping ClickHouse tests: no ClickHouse server on this machine (${CLICKHOUSE_INSTALL_HINT}); CI runs them`,
  );
  return true;
}
