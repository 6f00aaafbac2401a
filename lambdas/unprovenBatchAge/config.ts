import { UnprovenBatchAgeEnv } from "../shared/environment.js";
import { type Env, readSetting, tableNameSetting } from "../shared/readConfig.js";

export interface UnprovenBatchAgeConfig {
  /** STATE_TABLE: the state table whose `unproven` index lists proposed batches without proof. */
  readonly stateTable: string;
}

/** Read and validate the settings once, at cold start. Throws ConfigError naming the variable. */
export function loadUnprovenBatchAgeConfig(env: Env = process.env): UnprovenBatchAgeConfig {
  return { stateTable: readSetting(env, UnprovenBatchAgeEnv.StateTable, tableNameSetting()) };
}
