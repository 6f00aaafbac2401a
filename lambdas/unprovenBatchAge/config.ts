import { ConfigError } from "../shared/errors.js";

export interface ChainMetricsConfig {
  /** STATE_TABLE: the state table whose `unproven` index lists proposed batches without proof. */
  readonly stateTable: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Read and validate the settings once, at cold start. Throws ConfigError naming the variable. */
export function loadChainMetricsConfig(env: Env = process.env): ChainMetricsConfig {
  const stateTable = env.STATE_TABLE?.trim();
  if (!stateTable) throw new ConfigError("STATE_TABLE", "is required (the DynamoDB state table name)");
  if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(stateTable)) {
    throw new ConfigError("STATE_TABLE", `"${stateTable}" is not a DynamoDB table name`);
  }
  return { stateTable };
}
