import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { WebSocketEnv } from "../shared/environment.js";
import { readSetting, tableNameSetting } from "../shared/readConfig.js";
import { traced } from "../shared/tracing.js";
import { createApiEventLog } from "./createLambdaApp.js";
import type { EventLog } from "./stream/EventLog.js";
import { createWebSocketConnections, type WebSocketConnections } from "./stream/webSocketConnections.js";

type Env = Readonly<Record<string, string | undefined>>;

/** The event log and the connections table, as both WebSocket functions read them on AWS. */
export async function webSocketStores(
  env: Env,
): Promise<{ log: EventLog; connections: WebSocketConnections }> {
  const log = await createApiEventLog(env);
  if (log === undefined)
    throw new Error("EVENT_LOG_RETENTION_DAYS is not set: the WebSocket stream has no log");
  const connections = createWebSocketConnections({
    ddb: traced(new DynamoDBClient({})),
    tableName: readSetting(env, WebSocketEnv.ConnectionsTable, tableNameSetting()),
  });
  return { log, connections };
}
