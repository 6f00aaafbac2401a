import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAwsRequester } from "../../../lambdas/shared/awsRequest.js";
import { IngestorSchedule } from "../../../lib/compute/IngestorSchedule.js";
import {
  getIngestorSchedule,
  type IngestorScheduleTarget,
  setIngestorSchedule,
  UPDATE_SCHEDULE_FIELDS,
} from "../../../scripts/ops/ingestorSchedule.js";

/** The schedule as the construct synthesizes it, tokens resolved to plausible values. */
function synthesizedSchedule(): Record<string, unknown> {
  const app = new App();
  const stack = new Stack(app, "S", { env: { account: "111122223333", region: "eu-west-1" } });
  const fn = new lambda.Function(stack, "Fn", {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: "index.handler",
    code: lambda.Code.fromInline("exports.handler = async () => {}"),
  });
  new IngestorSchedule(stack, "Ingest", { target: fn, scheduleName: "tidemark-prod-ingestor" });
  const [props] = Object.values(Template.fromStack(stack).findResources("AWS::Scheduler::Schedule")).map(
    (r) => (r as { Properties: Record<string, unknown> }).Properties,
  );
  // CloudFormation intrinsics (Fn::GetAtt of the role, the DLQ, the function) become ARNs, as
  // GetSchedule returns them.
  return JSON.parse(
    JSON.stringify(props, (_k, v) =>
      v && typeof v === "object" && !Array.isArray(v) && ("Fn::GetAtt" in v || "Ref" in v)
        ? "arn:aws:resolved"
        : v,
    ),
  ) as Record<string, unknown>;
}

/** A stand-in for EventBridge Scheduler's REST API over one schedule, recording every request. */
function fakeScheduler(initial: Record<string, unknown>) {
  let schedule: Record<string, unknown> = {
    ...initial,
    GroupName: "default",
    Arn: "arn:aws:scheduler:eu-west-1:111122223333:schedule/default/tidemark-prod-ingestor",
    CreationDate: 1_790_000_000,
    LastModificationDate: 1_790_000_000,
  };
  const requests: { method: string; path: string; body: Record<string, unknown> | undefined }[] = [];
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => {
      raw += c.toString();
    });
    req.on("end", () => {
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
      requests.push({ method: req.method ?? "", path: req.url ?? "", body });
      if (!(req.headers.authorization ?? "").startsWith("AWS4-HMAC-SHA256 ")) {
        res.writeHead(403, { "x-amzn-errortype": "UnrecognizedClientException" }).end("{}");
        return;
      }
      if (!(req.url ?? "").startsWith(`/schedules/${initial.Name as string}`)) {
        res
          .writeHead(404, { "x-amzn-errortype": "ResourceNotFoundException" })
          .end(JSON.stringify({ Message: "Schedule not found" }));
        return;
      }
      if (req.method === "PUT" && body) {
        // UpdateSchedule replaces: what the request leaves out is gone.
        const { ClientToken: _token, ...rest } = body;
        schedule = { Name: schedule.Name, Arn: schedule.Arn, CreationDate: schedule.CreationDate, ...rest };
        res.writeHead(200).end(JSON.stringify({ ScheduleArn: schedule.Arn }));
        return;
      }
      res.writeHead(200).end(JSON.stringify(schedule));
    });
  });
  return { server, requests, current: () => schedule };
}

describe("ingestorSchedule on AWS", () => {
  const template = synthesizedSchedule();
  let fake: ReturnType<typeof fakeScheduler>;
  let endpoint: string;
  let target: IngestorScheduleTarget & { kind: "aws" };

  beforeAll(async () => {
    fake = fakeScheduler(template);
    await new Promise<void>((r) => fake.server.listen(0, "127.0.0.1", r));
    endpoint = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    target = {
      kind: "aws",
      requester: createAwsRequester({
        region: "eu-west-1",
        credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
      }),
      name: "tidemark-prod-ingestor",
      endpoint,
    };
  });
  afterAll(async () => {
    target.requester.destroy();
    await new Promise((r) => (fake.server as Server).close(r));
  });
  afterEach(() => {
    fake.requests.length = 0;
  });

  it("pauses by writing the whole schedule back with State DISABLED: every field the template sets survives", async () => {
    // Prepare
    const before = fake.current();
    // Act
    const status = await setIngestorSchedule(target, false);
    // Assess
    expect(status).toMatchObject({ state: "DISABLED", enabled: false });
    const put = fake.requests.find((r) => r.method === "PUT");
    expect(put?.path).toBe("/schedules/tidemark-prod-ingestor");
    expect(put?.body?.ClientToken).toEqual(expect.any(String));
    // Every property the construct synthesizes is one UpdateSchedule takes (or the name / state).
    for (const key of Object.keys(template))
      expect([...UPDATE_SCHEDULE_FIELDS, "Name", "State"]).toContain(key);
    const after = fake.current();
    for (const key of Object.keys(before).filter((k) => !["State", "LastModificationDate"].includes(k)))
      expect({ key, value: after[key] }).toEqual({ key, value: before[key] });
    expect(after.State).toBe("DISABLED");
    expect(after.Target).toEqual(template.Target);
  });

  it("resumes with State ENABLED and reports the rate and target", async () => {
    // Act
    const status = await setIngestorSchedule(target, true);
    const read = await getIngestorSchedule(target);
    // Assess
    expect(status.state).toBe("ENABLED");
    expect(read).toMatchObject({ state: "ENABLED", enabled: true });
    expect(read.detail).toContain(String(template.ScheduleExpression));
    expect(fake.current().Target).toEqual(template.Target);
  });

  it("names the schedule and Scheduler's error code when it is not there", async () => {
    // Act
    const failed = getIngestorSchedule({ ...target, name: "nope" });
    // Assess
    await expect(failed).rejects.toThrow(/schedule nope: ResourceNotFoundException — Schedule not found/);
  });
});

describe("ingestorSchedule locally", () => {
  it("flips the local stack's switch file and reads it back", async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), "tidemark-ingestor-switch-"));
    const target = { kind: "local" as const, switchFile: join(dir, "ingestor.json") };
    try {
      // Act + Assess
      expect((await getIngestorSchedule(target)).state).toBe("ENABLED");
      expect((await setIngestorSchedule(target, false)).state).toBe("DISABLED");
      expect((await getIngestorSchedule(target)).enabled).toBe(false);
      expect((await setIngestorSchedule(target, true)).enabled).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
