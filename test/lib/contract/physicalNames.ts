import type { Json, TemplateResource } from "../synthStage.js";

/** The properties that give a resource a physical name, per resource type (an absent one is generated). */
export const NAME_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  "AWS::SQS::Queue": ["QueueName"],
  "AWS::IAM::Role": ["RoleName"],
  "AWS::IAM::ManagedPolicy": ["ManagedPolicyName"],
  "AWS::Glue::Database": ["DatabaseInput.Name"],
  "AWS::KinesisFirehose::DeliveryStream": ["DeliveryStreamName"],
  "AWS::Athena::WorkGroup": ["Name"],
  "AWS::CloudWatch::Alarm": ["AlarmName"],
  "AWS::CloudWatch::CompositeAlarm": ["AlarmName"],
  "AWS::CloudWatch::Dashboard": ["DashboardName"],
  "AWS::DynamoDB::Table": ["TableName"],
  "AWS::SecretsManager::Secret": ["Name"],
  "AWS::Scheduler::Schedule": ["Name"],
  "AWS::Scheduler::ScheduleGroup": ["Name"],
  "AWS::ApiGatewayV2::Api": ["Name"],
  "AWS::Lambda::Function": ["FunctionName"],
  "AWS::S3::Bucket": ["BucketName"],
  "AWS::Logs::LogGroup": ["LogGroupName"],
  "AWS::SNS::Topic": ["TopicName"],
  "AWS::KMS::Alias": ["AliasName"],
  "AWS::CodeDeploy::Application": ["ApplicationName"],
  "AWS::CodeDeploy::DeploymentGroup": ["DeploymentGroupName"],
  "AWS::Events::Rule": ["Name"],
};

/** Names the functions are given of things made outside CDK (secrets): they must differ per stage too. */
export const EXTERNAL_NAME_VARIABLES = ["RPC_URLS_SECRET_ID", "ANCHOR_SECRET_ID"] as const;

export interface PhysicalName {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly name: string;
}

const at = (value: Json, path: string): Json =>
  path.split(".").reduce((v: Json, key) => (v === undefined ? undefined : v[key]), value);

/**
 * The literal physical names of a template's resources, and of the outside resources its functions
 * name. A name CloudFormation generates (absent, or built from a Ref) is unique per stack already.
 */
export function physicalNames(stack: string, resources: Record<string, TemplateResource>): PhysicalName[] {
  const names: PhysicalName[] = [];
  for (const [logicalId, r] of Object.entries(resources)) {
    for (const path of NAME_PROPERTIES[r.Type] ?? []) {
      const name = at(r.Properties, path);
      if (typeof name === "string") names.push({ stack, logicalId, type: r.Type, name });
    }
    if (r.Type !== "AWS::Lambda::Function") continue;
    const vars: Record<string, Json> = r.Properties.Environment?.Variables ?? {};
    for (const key of EXTERNAL_NAME_VARIABLES) {
      const name = vars[key];
      if (typeof name === "string") names.push({ stack, logicalId, type: `${r.Type} ${key}`, name });
    }
  }
  return names;
}

/** Every object under `value` (depth first), for finding metric definitions anywhere in a property. */
export function* objectsIn(value: Json): Generator<Record<string, Json>> {
  if (Array.isArray(value)) for (const v of value) yield* objectsIn(v);
  else if (value !== null && typeof value === "object") {
    yield value;
    for (const v of Object.values(value)) yield* objectsIn(v);
  }
}

/** A dashboard body with its tokens (Refs, regions) replaced by a placeholder, parsed. */
export const dashboardBody = (dashboard: TemplateResource): Json => {
  const body: Json = dashboard.Properties.DashboardBody;
  const text =
    typeof body === "string"
      ? body
      : (body["Fn::Join"][1] as Json[]).map((p) => (typeof p === "string" ? p : "TOKEN")).join("");
  return JSON.parse(text);
};
