import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Duration } from "aws-cdk-lib";
import { beforeAll, describe, expect, it } from "vitest";
import { CANONICAL_VIEWS } from "../../../lambdas/sink/canonicalViews.js";
import { TABLE_NAMES } from "../../../lambdas/sink/rows.js";
import { INGEST_ROUTES } from "../../../lib/api/IngestApi.js";
import {
  ATHENA_QUERY_ACTIONS,
  ATHENA_RESULT_ACTIONS,
  GLUE_READ_ACTIONS,
  servingApiProblems,
} from "../../../lib/api/ServingApi.js";
import { type Json, type SynthesizedStage, synthStage, type TemplateResource } from "../synthStage.js";

let dev: SynthesizedStage;
let resources: Record<string, TemplateResource>;

// One synthesis for the file (bundling and validation are slow), with cdk-nag and cfn-guard as in `cdk synth`.
beforeAll(() => {
  dev = synthStage("dev", {}, { validate: true });
  resources = dev.service.toJSON().Resources;
}, 400_000);

const ofType = (type: string): [string, TemplateResource][] =>
  Object.entries(resources).filter(([, r]) => r.Type === type);
const fnByService = (service: string): [string, TemplateResource] => {
  const found = ofType("AWS::Lambda::Function").find(
    ([, f]) => f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME === service,
  );
  if (found === undefined) throw new Error(`no function for service ${service}`);
  return found;
};
const aliasOf = (fnId: string): string => {
  const found = ofType("AWS::Lambda::Alias").find(([, a]) => a.Properties.FunctionName.Ref === fnId);
  if (found === undefined) throw new Error(`no alias of ${fnId}`);
  return found[0];
};
const stringify = (v: unknown) => JSON.stringify(v);

describe("ServingApi in the service stack", () => {
  it("routes /v1/*, /health, /ready and / of an HTTP API to the API's live alias", () => {
    // Assess
    const [apiFn] = fnByService("api");
    const alias = aliasOf(apiFn);
    expect(resources[alias]?.Properties.Name).toBe("live");
    // The ingest API's routes (IngestApi.test.ts) go to their own function.
    const httpApiId = ofType("AWS::ApiGatewayV2::Api").find(
      ([, a]) => a.Properties.ProtocolType === "HTTP",
    )?.[0];
    const onHttpApi = ([, r]: [string, TemplateResource]) => r.Properties.ApiId.Ref === httpApiId;
    const routes = ofType("AWS::ApiGatewayV2::Route")
      .filter(onHttpApi)
      .map(([, r]) => r.Properties.RouteKey)
      .filter((k: string) => !INGEST_ROUTES.some((i) => k === `${i.method} ${i.path}`));
    expect(routes.sort()).toEqual(["GET /", "GET /health", "GET /ready", "GET /v1/{proxy+}"]);
    const integrations = ofType("AWS::ApiGatewayV2::Integration").filter(
      (i) => onHttpApi(i) && !JSON.stringify(i[1].Properties.IntegrationUri).includes("IngestLive"),
    );
    expect(integrations).toHaveLength(1);
    expect(integrations[0]?.[1].Properties).toMatchObject({
      IntegrationType: "AWS_PROXY",
      PayloadFormatVersion: "2.0",
      IntegrationUri: { Ref: alias },
    });
    dev.service.hasResourceProperties("AWS::ApiGatewayV2::Api", { ProtocolType: "HTTP" });
  });

  it("throttles the stage and writes one JSON access-log line per request", () => {
    // Assess
    const [[, stage]] = ofType("AWS::ApiGatewayV2::Stage").filter(
      ([, st]) => st.Properties.StageName === "$default",
    ) as [[string, TemplateResource]];
    expect(stage.Properties).toMatchObject({
      StageName: "$default",
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
    });
    const logGroup = stage.Properties.AccessLogSettings.DestinationArn["Fn::GetAtt"][0];
    expect(resources[logGroup]?.Type).toBe("AWS::Logs::LogGroup");
    expect(JSON.parse(stage.Properties.AccessLogSettings.Format)).toMatchObject({
      status: "$context.status",
      route: "$context.routeKey",
      latencyMs: "$context.responseLatency",
    });
  });

  it("streams through a function URL on the stream function's live alias, in RESPONSE_STREAM mode", () => {
    // Assess
    const [streamFn, stream] = fnByService("apiStream");
    expect(stream.Properties.Handler).toBe("index.handler");
    expect(stream.Properties.Timeout).toBe(300);
    const [[, url]] = ofType("AWS::Lambda::Url") as [[string, TemplateResource]];
    expect(url.Properties).toEqual({
      AuthType: "NONE",
      InvokeMode: "RESPONSE_STREAM",
      Qualifier: "live",
      TargetFunctionArn: { "Fn::GetAtt": [streamFn, "Arn"] },
    });
    expect(resources[aliasOf(streamFn)]?.DeletionPolicy).toBeUndefined();
  });

  it("reads Athena with the settings the handler validates, the page beside the bundle", () => {
    // Assess
    const [, api] = fnByService("api");
    const env = api.Properties.Environment.Variables;
    expect(env).toMatchObject({
      SINK: "athena",
      ATHENA_DATABASE: "tidemark_dev",
      ATHENA_QUERY_TIMEOUT_MS: "20000",
      API_CACHE_TTL_SECONDS: "60",
      API_RATE_LIMIT_PER_MINUTE: "600",
      DASHBOARD_HTML_PATH: "/var/task/dashboard.html",
    });
    expect(stringify(env.ATHENA_WORKGROUP)).toContain("WorkGroup");
    expect(api.Properties.Timeout).toBe(29);
    const assetHash = api.Properties.Code.S3Key.replace(/\.zip$/, "");
    const page = join(dev.app.outdir, `asset.${assetHash}`, "dashboard.html");
    expect(existsSync(page)).toBe(true);
    const html = readFileSync(page, "utf8");
    expect(html).toContain("<title>Tidemark</title>");
    expect(html).toContain("__TIDEMARK_DASHBOARD_CONFIG__"); // filled with the poll interval when served
  });

  it.each(["api", "apiStream"])(
    "grants the %s role exactly the Athena, Glue and S3 actions it needs",
    (service) => {
      // Assess
      const [fnId, fn] = fnByService(service);
      const role = fn.Properties.Role["Fn::GetAtt"][0];
      const [[, policy]] = ofType("AWS::IAM::Policy").filter(
        ([, p]) => p.Properties.Roles[0].Ref === role,
      ) as [[string, TemplateResource]];
      const statements = withoutTracing(policy.Properties.PolicyDocument.Statement);
      const byActions = (actions: readonly string[]) =>
        statements.find((s) => stringify([s.Action].flat().sort()) === stringify([...actions].sort()));
      // The stream function also reads the processor-fed event log (GetItem/BatchGetItem on the state table).
      expect(statements).toHaveLength(service === "apiStream" ? 8 : 7);
      if (service === "apiStream") {
        expect(byActions(["dynamodb:BatchGetItem", "dynamodb:GetItem"])).toBeDefined();
      }
      expect(stringify(byActions(ATHENA_QUERY_ACTIONS)?.Resource)).toMatch(/:workgroup\/.*WorkGroup/);
      const glue = byActions(GLUE_READ_ACTIONS)?.Resource as Json[];
      const names = glue.map((r) => stringify(r).match(/:(catalog|database\/\w+|table\/\w+\/\w+)"/)?.[1]);
      expect(names.sort()).toEqual(
        [
          "catalog",
          "database/tidemark_dev",
          ...[...TABLE_NAMES, ...CANONICAL_VIEWS.map((v) => v.view)].map((t) => `table/tidemark_dev/${t}`),
        ].sort(),
      );
      expect(stringify(byActions(["s3:GetObject"])?.Resource)).toContain('"/iceberg/*"');
      expect(stringify(byActions(ATHENA_RESULT_ACTIONS)?.Resource)).toContain('"/athena-results/*"');
      expect(byActions(["s3:ListBucket"])?.Condition).toEqual({
        StringLike: { "s3:prefix": ["iceberg/*", "athena-results/*"] },
      });
      expect(stringify(statements)).not.toMatch(/"Resource":"\*"|s3:\*|athena:\*|glue:\*/);
      expect(stringify(statements)).not.toContain(fnId); // nothing granted on the function itself
    },
  );

  it("alarms on 5xx rate, p95 latency, throttles and stream errors, to the alarm topic, gating the deployments", () => {
    // Assess
    const alarms = Object.fromEntries(
      ofType("AWS::CloudWatch::Alarm").map(([id, a]) => [a.Properties.AlarmName, { id, ...a.Properties }]),
    );
    const topic = ofType("AWS::SNS::Topic")[0]?.[0];
    for (const name of [
      "tidemark-dev-api-server-error-rate",
      "tidemark-dev-api-latency-p95",
      "tidemark-dev-api-throttles",
      "tidemark-dev-api-stream-errors",
    ]) {
      expect(alarms[name]?.AlarmActions).toEqual([{ Ref: topic }]);
    }
    expect(alarms["tidemark-dev-api-server-error-rate"]?.Threshold).toBe(5);
    expect(stringify(alarms["tidemark-dev-api-server-error-rate"]?.Metrics)).toContain(
      "100 * errors / requests",
    );
    expect(alarms["tidemark-dev-api-latency-p95"]).toMatchObject({
      ExtendedStatistic: "p95",
      Threshold: 5000,
    });
    const groups = ofType("AWS::CodeDeploy::DeploymentGroup").map(([, g]) => stringify(g.Properties));
    expect(groups.filter((g) => g.includes(alarms["tidemark-dev-api-server-error-rate"]?.id))).toHaveLength(
      1,
    );
    expect(groups.filter((g) => g.includes(alarms["tidemark-dev-api-stream-errors"]?.id))).toHaveLength(1);
  });

  it("adds its widgets to the pipeline's dashboard and outputs the URLs the CLI reads", () => {
    // Assess
    const [[, dashboard]] = ofType("AWS::CloudWatch::Dashboard") as [[string, TemplateResource]];
    expect(stringify(dashboard.Properties.DashboardBody)).toContain("API latency p50 / p95 (ms)");
    const outputs = dev.service.toJSON().Outputs;
    expect(stringify(outputs.ApiUrl.Value)).toContain(".execute-api.");
    const [[urlId]] = ofType("AWS::Lambda::Url") as [[string, TemplateResource]];
    expect(outputs.StreamUrl.Value).toEqual({
      "Fn::Join": ["", [{ "Fn::GetAtt": [urlId, "FunctionUrl"] }, "v1/sse/events"]],
    });
    expect(outputs.ApiFunctionName.Value).toEqual({ Ref: fnByService("api")[0] });
  });

  it("is nag- and guard-clean: every finding acknowledged with its reason", () => {
    // Assess
    const report = JSON.parse(readFileSync(join(dev.app.outdir, "validation-report.json"), "utf8")) as {
      pluginReports: { conclusion: string; violations: unknown[] }[];
    };
    for (const plugin of report.pluginReports) expect(plugin.violations).toEqual([]);
  });
});

describe("the WebSocket stream on AWS", () => {
  const wsApiId = (): string =>
    ofType("AWS::ApiGatewayV2::Api").find(([, a]) => a.Properties.ProtocolType === "WEBSOCKET")?.[0] ??
    "none";
  const policyOf = (service: string): Json[] => {
    const role = fnByService(service)[1].Properties.Role["Fn::GetAtt"][0];
    return ofType("AWS::IAM::Policy")
      .filter(([, p]) => p.Properties.Roles[0].Ref === role)
      .flatMap(([, p]) => withoutTracing(p.Properties.PolicyDocument.Statement));
  };

  it("serves $connect and $disconnect from the routes function on a throttled, access-logged v1 stage", () => {
    // Assess
    const [api] = ofType("AWS::ApiGatewayV2::Api").filter(
      ([, a]) => a.Properties.ProtocolType === "WEBSOCKET",
    );
    expect(api).toBeDefined();
    const apiId = api?.[0];
    const routes = ofType("AWS::ApiGatewayV2::Route").filter(([, r]) => r.Properties.ApiId.Ref === apiId);
    expect(routes.map(([, r]) => r.Properties.RouteKey).sort()).toEqual(["$connect", "$disconnect"]);
    const [routesFn] = fnByService("apiWebSocketRoutes");
    for (const [, i] of ofType("AWS::ApiGatewayV2::Integration").filter(
      ([, i]) => i.Properties.ApiId.Ref === apiId,
    )) {
      expect(stringify(i.Properties.IntegrationUri)).toContain(routesFn);
    }
    const [[, stage]] = ofType("AWS::ApiGatewayV2::Stage").filter(
      ([, st]) => st.Properties.ApiId.Ref === apiId,
    ) as [[string, TemplateResource]];
    expect(stage.Properties).toMatchObject({
      StageName: "v1",
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
    });
    expect(JSON.parse(stage.Properties.AccessLogSettings.Format)).toMatchObject({
      connectionId: "$context.connectionId",
    });
    const outputs = dev.service.toJSON().Outputs;
    expect(stringify(outputs.WebSocketUrl.Value)).toMatch(/wss:\/\/.*execute-api.*\/v1/);
  });

  it("keeps connections in their own table with TTL, and wakes the fan-out on the event log's head only", () => {
    // Assess
    const [[, table]] = ofType("AWS::DynamoDB::Table").filter(
      ([, t]) => t.Properties.KeySchema[0].AttributeName === "connectionId",
    ) as [[string, TemplateResource]];
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: "ttl", Enabled: true });
    const stateTables = Object.values(
      dev.stateful.toJSON().Resources as Record<string, TemplateResource>,
    ).filter((r) => r.Type === "AWS::DynamoDB::Table" && r.Properties.KeySchema[0].AttributeName === "pk");
    expect(stateTables[0]?.Properties.StreamSpecification).toEqual({ StreamViewType: "KEYS_ONLY" });
    const [fanOutId, fanOut] = fnByService("apiWebSocket");
    expect(fanOut.Properties.ReservedConcurrentExecutions).toBe(1);
    const [[, mapping]] = ofType("AWS::Lambda::EventSourceMapping").filter(([, m]) =>
      stringify(m.Properties.EventSourceArn).includes("StreamArn"),
    ) as [[string, TemplateResource]];
    expect(stringify(mapping.Properties.FunctionName)).toContain(aliasOf(fanOutId));
    expect(JSON.parse(mapping.Properties.FilterCriteria.Filters[0].Pattern)).toEqual({
      dynamodb: { Keys: { pk: { S: ["log#head"] } } },
    });
    expect(mapping.Properties).toMatchObject({ StartingPosition: "LATEST", MaximumRetryAttempts: 2 });
    const sweep = ofType("AWS::Scheduler::Schedule").filter(([, sc]) =>
      stringify(sc.Properties.Target.Arn).includes(aliasOf(fanOutId)),
    );
    expect(sweep.map(([, sc]) => sc.Properties.ScheduleExpression)).toEqual(["rate(1 minute)"]);
  });

  it("lets only the fan-out manage connections, on this API's v1 stage, POST and DELETE", () => {
    // Assess
    const manage = policyOf("apiWebSocket").filter((st) => stringify(st.Action).includes("execute-api"));
    expect(manage).toHaveLength(1);
    expect(manage[0].Action).toBe("execute-api:ManageConnections");
    const arns = (manage[0].Resource as Json[]).map((r) => stringify(r));
    expect(arns).toHaveLength(2);
    for (const method of ["POST", "DELETE"]) {
      const on = arns.filter((a) => a.includes(`"/v1/${method}/@connections/*"`) && a.includes(wsApiId()));
      expect(on).toHaveLength(1);
    }
    expect(stringify(policyOf("apiWebSocketRoutes"))).not.toContain("execute-api");
    for (const service of ["apiWebSocket", "apiWebSocketRoutes"]) {
      const statements = policyOf(service);
      expect(stringify(statements)).not.toMatch(/"Resource":"\*"|dynamodb:\*|execute-api:\*/);
      // Item reads of the state table (its stream's statement has no item keys to fence).
      const stateReads = statements.filter(
        (st) => stringify(st.Resource).includes("StateTable") && stringify(st.Action).includes("GetItem"),
      );
      expect(stateReads).toHaveLength(1);
      for (const st of stateReads) {
        expect(st.Condition).toEqual({ "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["log#*"] } });
      }
    }
  });

  it("alarms on connections near the limit, delivery lag and fan-out errors, and graphs them", () => {
    // Assess
    const names = ofType("AWS::CloudWatch::Alarm").map(([, a]) => a.Properties.AlarmName);
    expect(names).toEqual(
      expect.arrayContaining([
        "tidemark-dev-web-socket-connections-near-limit",
        "tidemark-dev-web-socket-delivery-lag",
        "tidemark-dev-web-socket-fan-out-errors",
      ]),
    );
    const [[, dashboard]] = ofType("AWS::CloudWatch::Dashboard") as [[string, TemplateResource]];
    expect(stringify(dashboard.Properties.DashboardBody)).toContain("WebSocket: delivery lag p99 / max (ms)");
    expect(stringify(dashboard.Properties.DashboardBody)).toContain("apiWebSocket");
  });
});

describe("servingApiProblems", () => {
  const sinkStub = { databaseName: "tidemark", workGroup: { ref: "tidemark" } };
  it("lists every conflicting prop at once", () => {
    // Act
    const problems = servingApiProblems({
      sink: sinkStub,
      bucket: undefined as never,
      topic: undefined as never,
      settings: { rateLimitPerMinute: 60_000 },
      throttle: { rateLimit: 50, burstLimit: 10 },
      queryTimeout: Duration.seconds(40),
      streamTimeout: Duration.minutes(20),
    });
    // Assess
    expect(problems).toHaveLength(4);
    expect(problems.join("\n")).toMatch(
      /burstLimit[\s\S]*rateLimitPerMinute[\s\S]*queryTimeout[\s\S]*streamTimeout/,
    );
  });

  it("names a bad API setting", () => {
    // Act
    const problems = servingApiProblems({
      sink: sinkStub,
      bucket: undefined as never,
      topic: undefined as never,
      settings: { cacheTtlSeconds: -1 },
    });
    // Assess
    expect(problems).toEqual([expect.stringContaining("cacheTtlSeconds")]);
  });
});

/**
 * The statements other than X-Ray's: writing trace segments has no resource-level permission, so its
 * statement is on "*" (acknowledged for cdk-nag; test/lib/contract/tracingContract.test.ts checks it on every function).
 */
function withoutTracing(statements: Json[]): Json[] {
  const xray = statements.filter((st) => stringify(st.Action).includes("xray:"));
  expect(xray.map((st) => [[st.Action].flat().sort(), st.Resource])).toEqual([
    [["xray:PutTelemetryRecords", "xray:PutTraceSegments"], "*"],
  ]);
  return statements.filter((st) => !xray.includes(st));
}
