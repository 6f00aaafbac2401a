import { Logger } from "@aws-lambda-powertools/logger";
import { lambdaAwsRequester } from "../shared/awsLambdaRequester.js";
import { createMetrics } from "../shared/createMetrics.js";
import { WebSocketEnv } from "../shared/environment.js";
import { ServiceName } from "../shared/serviceNames.js";
import { withTracing } from "../shared/tracing.js";
import { readApiSettings } from "./apiSettings.js";
import { emitStreamMetrics } from "./stream/emitStreamMetrics.js";
import { fanOutWebSocket } from "./stream/fanOutWebSocket.js";
import { createStreamStats } from "./stream/streamStats.js";
import { createWebSocketManagementApi } from "./stream/webSocketManagementApi.js";
import { webSocketStores } from "./webSocketDependencies.js";

const logger = new Logger({ serviceName: ServiceName.apiWebSocket });
const stats = createStreamStats();
let deps: ReturnType<typeof load> | undefined;

const load = async () => {
  const settings = readApiSettings(process.env);
  const callbackUrl = process.env[WebSocketEnv.CallbackUrl];
  if (!callbackUrl)
    throw new Error(`${WebSocketEnv.CallbackUrl} is not set: the fan-out has no stage to post to`);
  return {
    ...(await webSocketStores(process.env)),
    api: createWebSocketManagementApi({ requester: lambdaAwsRequester(process.env), callbackUrl }),
    settings,
    metrics: emitStreamMetrics({
      stats,
      metrics: createMetrics(ServiceName.apiWebSocket),
      maxConnections: settings.sseMaxConnections,
    }),
  };
};

/**
 * The WebSocket fan-out: woken by the state table's stream when the event log's head moves (a
 * filter passes only `log#head` changes), and every minute by a schedule (catch-up on a quiet chain,
 * heartbeats, connections API Gateway lost). One instance at a time (reserved concurrency 1).
 */
export const handler = withTracing(
  async (event: { readonly source?: string; readonly Records?: unknown[] }) => {
    deps ??= load();
    const d = await deps;
    // IngestorSchedule sends `{ "source": "schedule" }`.
    const scheduled = event.source === "schedule";
    const result = await fanOutWebSocket(
      {
        ...d,
        stats,
        onDrop: (connectionId, reason, detail) =>
          logger.info("stream client dropped", { connectionId, reason, ...detail }),
        onError: (connectionId, error) =>
          logger.warn("stream connection left for the next pass", { connectionId, error }),
      },
      { heartbeat: scheduled },
    );
    d.metrics.flush();
    logger.debug("fan-out pass", { ...result, scheduled, records: event.Records?.length ?? 0 });
    return result;
  },
);
