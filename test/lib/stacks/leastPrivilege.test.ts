import type { CfnElement } from "aws-cdk-lib";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { STATE_KEY_PATTERNS } from "../../../lambdas/shared/tables.js";
import { type Json, type SynthesizedStage, synthStage, type TemplateResource } from "../synthStage.js";

let dev: SynthesizedStage;
let service: Record<string, TemplateResource>;
let stateful: Record<string, TemplateResource>;

beforeAll(() => {
  // validate: cdk-nag and cfn-guard run as in `cdk synth`, so the named roles and the Deny pass them.
  dev = synthStage("dev", {}, { validate: true });
  service = dev.service.toJSON().Resources;
  stateful = dev.stateful.toJSON().Resources;
}, 600_000);

const logicalId = (construct: IConstruct): string =>
  dev.stacks.service.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);

/** Every statement of the inline policies attached to a function's role. */
const roleStatements = (fnConstruct: IConstruct): Json[] => {
  const role = service[logicalId(fnConstruct)]?.Properties.Role["Fn::GetAtt"][0];
  return Object.values(service)
    .filter((r) => r.Type === "AWS::IAM::Policy" && r.Properties.Roles.some((x: Json) => x.Ref === role))
    .flatMap((r) => r.Properties.PolicyDocument.Statement as Json[]);
};

const actionsOf = (st: Json): string[] => [st.Action].flat();
/** Statements that allow a state-table item action (anything but DescribeTable). */
const stateItemStatements = (fnConstruct: IConstruct): Json[] =>
  roleStatements(fnConstruct).filter(
    (st) =>
      st.Effect === "Allow" &&
      actionsOf(st).some((a) => a.startsWith("dynamodb:") && a !== "dynamodb:DescribeTable") &&
      !JSON.stringify(st.Resource).includes("/index/") &&
      isStateTable(st.Resource),
  );

/** The service stack imports the table ARN from the stateful stack: match the export's name. */
const isStateTable = (resource: Json): boolean => {
  const text = JSON.stringify(resource);
  return text.includes("StateTable") && !text.includes("IdempotencyTable");
};

describe("the event queue's resource policy", () => {
  const queuePolicy = (): Json => {
    const queueId = dev.stacks.stateful.getLogicalId(
      dev.stacks.stateful.storage.queue.node.defaultChild as CfnElement,
    );
    const policy = Object.values(stateful).find(
      (r) => r.Type === "AWS::SQS::QueuePolicy" && r.Properties.Queues.some((q: Json) => q.Ref === queueId),
    );
    return policy?.Properties.PolicyDocument;
  };

  it("refuses SendMessage to every principal but the publishers' roles and the redrive role", () => {
    // Assess
    const deny = queuePolicy().Statement.find((st: Json) => st.Sid === "OnlyPublisherAndRedriveSend");
    expect(deny).toMatchObject({ Effect: "Deny", Principal: { AWS: "*" }, Action: "sqs:SendMessage" });
    const allowed: Json[] = deny.Condition.ArnNotEquals["aws:PrincipalArn"];
    expect(allowed).toHaveLength(4);
    const text = JSON.stringify(allowed);
    const eventQueue = dev.stacks.stateful.storage.eventQueue;
    for (const name of [eventQueue.publisherRoleName, ...Object.values(eventQueue.ingestApiRoleNames)])
      expect(text).toContain(`:role/${name}`);
    const redriveId = dev.stacks.stateful.getLogicalId(
      eventQueue.redriveRole.node.defaultChild as CfnElement,
    );
    expect(allowed).toContainEqual({ "Fn::GetAtt": [redriveId, "Arn"] });
  });

  it("runs the ingestor and the ingest API, the only publishing functions, under the role names the queue admits", () => {
    // Assess
    const t = dev.stacks.service.tidemark;
    const roleId = service[logicalId(t.functions.ingestor)]?.Properties.Role["Fn::GetAtt"][0];
    expect(service[roleId]?.Properties.RoleName).toBe(
      dev.stacks.stateful.storage.eventQueue.publisherRoleName,
    );
    const senders = Object.entries(t.functions)
      .filter(([, f]) =>
        roleStatements(f).some(
          (st) =>
            actionsOf(st).includes("sqs:SendMessage") &&
            [st.Resource].flat().some((r: Json) => !JSON.stringify(r).includes("DeadLetter")),
        ),
      )
      .map(([name]) => name);
    expect(senders).toEqual(["ingestor"]);
    const ingestApi = dev.stacks.service.ingestApi;
    if (ingestApi === undefined) throw new Error("the dev stage has an ingest API");
    const names = dev.stacks.stateful.storage.eventQueue.ingestApiRoleNames;
    for (const [fn, name] of [
      [ingestApi.ingest, names.ingest],
      [ingestApi.maintenance, names.maintenance],
    ] as const) {
      const id = dev.stacks.service.getLogicalId(fn.role.node.defaultChild as CfnElement);
      expect(service[id]?.Properties.RoleName).toBe(name);
    }
  });

  it("lets the redrive role send to the queue, move dead letters and keep backfill cursors, nothing else", () => {
    // Assess
    const eventQueue = dev.stacks.stateful.storage.eventQueue;
    const roleId = dev.stacks.stateful.getLogicalId(eventQueue.redriveRole.node.defaultChild as CfnElement);
    const statements = Object.values(stateful)
      .filter((r) => r.Type === "AWS::IAM::Policy" && r.Properties.Roles.some((x: Json) => x.Ref === roleId))
      .flatMap((r) => r.Properties.PolicyDocument.Statement as Json[]);
    const actions = statements.flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(["sqs:SendMessage", "sqs:StartMessageMoveTask"]));
    for (const st of statements.filter((s) => actionsOf(s).some((a) => a.startsWith("dynamodb:")))) {
      expect(st.Condition).toEqual({
        "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [...STATE_KEY_PATTERNS.operator] },
      });
    }
    expect(actions.every((a) => a.startsWith("sqs:") || a.startsWith("dynamodb:"))).toBe(true);
  });
});

describe("state table grants (dynamodb:LeadingKeys)", () => {
  const fns = () => dev.stacks.service.tidemark.functions;

  it.each([
    ["ingestor", ["cursor#*"]],
    ["processor", ["batch#*", "proposal#*", "l1block#*", "log#*", "logobs#*"]],
    ["unprovenBatchAge", ["batch#*", "proposal#*"]],
  ] as const)("limits the %s's item actions to the keys it owns (%j)", (user, patterns) => {
    // Assess
    expect(STATE_KEY_PATTERNS[user]).toEqual(patterns);
    const statements = stateItemStatements(fns()[user]);
    expect(statements.length).toBeGreaterThan(0);
    for (const st of statements) {
      expect(st.Condition).toEqual({ "ForAllValues:StringLike": { "dynamodb:LeadingKeys": patterns } });
    }
  });

  it("gives no function Scan on the state table (a Scan names no key for LeadingKeys to fence)", () => {
    // Assess
    for (const f of Object.values(fns())) {
      const scans = roleStatements(f).filter((st) => actionsOf(st).includes("dynamodb:Scan"));
      expect(scans).toEqual([]);
    }
  });

  it("keeps the processor away from the ingestor's cursors and leases", () => {
    // Assess: no statement without a condition allows an item action on the state table.
    const unfenced = stateItemStatements(fns().processor).filter((st) => st.Condition === undefined);
    expect(unfenced).toEqual([]);
    const patterns = stateItemStatements(fns().processor).flatMap(
      (st) => st.Condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] as string[],
    );
    expect(patterns.some((p) => "cursor#l1".startsWith(p.replace("*", "")))).toBe(false);
  });
});
