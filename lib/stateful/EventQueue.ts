import { Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { IngestorEnv, ProcessorEnv } from "../../lambdas/shared/environment.js";
import { throwIfInvalid } from "../InvalidPropsError.js";

export interface EventQueueProps {
  /**
   * Timeout of the function that consumes the queue. The visibility timeout is derived from it
   * and checked against it (AWS guidance for SQS event sources: at least 6× the function timeout).
   */
  readonly processorTimeout: Duration;
  /** @default 6 × processorTimeout */
  readonly visibilityTimeout?: Duration;
  /** Receives before a message moves to the DLQ. @default 3 */
  readonly maxReceiveCount?: number;
  /** How long messages (and dead letters) are kept. @default 14 days (the SQS maximum) */
  readonly retentionPeriod?: Duration;
  /** @default "tidemark-events.fifo" */
  readonly queueName?: string;
  /** @default "tidemark-events-dlq.fifo" */
  readonly deadLetterQueueName?: string;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Name of the one function role that may publish (the ingestor's); the queue policy refuses
   * SendMessage to every other principal but the redrive role.
   * @default "<queue name without .fifo>-publisher"
   */
  readonly publisherRoleName?: string;
}

/** Defaults in one place; the caller's props are merged over them. */
export const EVENT_QUEUE_DEFAULTS = {
  visibilityMultiple: 6,
  maxReceiveCount: 3,
  retentionPeriod: Duration.days(14),
  queueName: "tidemark-events.fifo",
  deadLetterQueueName: "tidemark-events-dlq.fifo",
  removalPolicy: RemovalPolicy.RETAIN,
} as const;

const MAX_VISIBILITY = Duration.hours(12);
const MAX_LAMBDA_TIMEOUT = Duration.minutes(15);

/** Every way these props break the queue's promises; empty when they are fine. */
export const eventQueueProblems = (props: EventQueueProps): string[] => {
  const problems: string[] = [];
  const timeoutS = props.processorTimeout.toSeconds();
  const minVisibilityS = EVENT_QUEUE_DEFAULTS.visibilityMultiple * timeoutS;
  const visibilityS = props.visibilityTimeout?.toSeconds() ?? minVisibilityS;
  if (timeoutS <= 0 || timeoutS > MAX_LAMBDA_TIMEOUT.toSeconds()) {
    problems.push(`processorTimeout is ${timeoutS}s; a Lambda timeout must be between 1s and 900s`);
  }
  if (visibilityS < minVisibilityS) {
    problems.push(
      `visibilityTimeout is ${visibilityS}s but must be at least ${EVENT_QUEUE_DEFAULTS.visibilityMultiple} × processorTimeout (${timeoutS}s) = ${minVisibilityS}s, or a slow batch is redelivered while it is still being processed`,
    );
  }
  if (visibilityS > MAX_VISIBILITY.toSeconds()) {
    problems.push(`visibilityTimeout is ${visibilityS}s; SQS allows at most 43200s (12 h)`);
  }
  const receives = props.maxReceiveCount ?? EVENT_QUEUE_DEFAULTS.maxReceiveCount;
  if (!Number.isInteger(receives) || receives < 1 || receives > 1000) {
    problems.push(`maxReceiveCount is ${receives}; it must be an integer from 1 to 1000`);
  }
  const retentionS = props.retentionPeriod?.toSeconds() ?? EVENT_QUEUE_DEFAULTS.retentionPeriod.toSeconds();
  if (retentionS < 60 || retentionS > Duration.days(14).toSeconds()) {
    problems.push(`retentionPeriod is ${retentionS}s; SQS keeps messages from 60s to 14 days`);
  }
  for (const [prop, name] of [
    ["queueName", props.queueName],
    ["deadLetterQueueName", props.deadLetterQueueName],
  ] as const) {
    if (name !== undefined && !name.endsWith(".fifo")) problems.push(`${prop} "${name}" must end in ".fifo"`);
  }
  return problems;
};

/**
 * The pipeline's SQS FIFO queue and its FIFO dead-letter queue.
 * Deduplication is by explicit MessageDeduplicationId (the observation id), never by content:
 * two observations of the same fact in different blocks must both be delivered.
 */
export class EventQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly visibilityTimeout: Duration;
  readonly maxReceiveCount: number;
  /** The role name the publishing function must run under (give it to that function's role). */
  readonly publisherRoleName: string;
  /** The ingest API's functions (POST /v1/events and its outbox sweep) publish too, under these role names. */
  readonly ingestApiRoleNames: { readonly ingest: string; readonly maintenance: string };
  /** What operators assume to redrive the DLQ, backfill or repair: the only other sender. */
  readonly redriveRole: iam.Role;

  constructor(scope: Construct, id: string, props: EventQueueProps) {
    super(scope, id);
    throwIfInvalid("EventQueue", eventQueueProblems(props));

    const d = EVENT_QUEUE_DEFAULTS;
    this.visibilityTimeout =
      props.visibilityTimeout ?? Duration.seconds(d.visibilityMultiple * props.processorTimeout.toSeconds());
    this.maxReceiveCount = props.maxReceiveCount ?? d.maxReceiveCount;
    const retentionPeriod = props.retentionPeriod ?? d.retentionPeriod;
    const removalPolicy = props.removalPolicy ?? d.removalPolicy;

    const queueName = props.queueName ?? d.queueName;
    // Referenced by name: the queue's redrive policy already points at the DLQ, an ARN reference back would be a cycle.
    const sourceQueue = sqs.Queue.fromQueueArn(
      this,
      "SourceQueueRef",
      Stack.of(this).formatArn({ service: "sqs", resource: queueName }),
    );
    this.deadLetterQueue = new sqs.Queue(this, "DeadLetterQueue", {
      queueName: props.deadLetterQueueName ?? d.deadLetterQueueName,
      // Only the event queue may dead-letter here.
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.BY_QUEUE, sourceQueues: [sourceQueue] },
      fifo: true,
      contentBasedDeduplication: false,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod,
      removalPolicy,
    });
    this.queue = new sqs.Queue(this, "Queue", {
      queueName,
      fifo: true,
      contentBasedDeduplication: false,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod,
      visibilityTimeout: this.visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
      removalPolicy,
    });
    const base = queueName.replace(/\.fifo$/, "");
    this.publisherRoleName = props.publisherRoleName ?? `${base}-publisher`;
    this.ingestApiRoleNames = { ingest: `${base}-ingest-api`, maintenance: `${base}-ingest-outbox` };
    this.redriveRole = this.createRedriveRole(`${base}-redrive`);
    this.refuseOtherSenders();
  }

  /** An operator role that may move dead letters back (SQS's move task or message by message) and publish ranges. */
  private createRedriveRole(roleName: string): iam.Role {
    const role = new iam.Role(this, "RedriveRole", {
      roleName,
      assumedBy: new iam.AccountRootPrincipal(),
      description:
        "Tidemark operators: DLQ redrive, backfill and repair (the only sender besides the ingestor)",
    });
    this.queue.grantSendMessages(role);
    this.deadLetterQueue.grantConsumeMessages(role);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ["sqs:StartMessageMoveTask", "sqs:ListMessageMoveTasks", "sqs:CancelMessageMoveTask"],
        resources: [this.deadLetterQueue.queueArn],
      }),
    );
    return role;
  }

  /**
   * One forged `reorg` message hides canonical blocks, so the queue itself refuses SendMessage
   * (SendMessageBatch is authorized as SendMessage) from anyone but the publishers (the ingestor, the
   * ingest API's two functions) and the redrive role, whatever their identity policies allow. The publisher is named, not referenced: its
   * role lives in the service stack, which depends on this one.
   */
  private refuseOtherSenders(): void {
    const roleArn = (name: string) =>
      Stack.of(this).formatArn({ service: "iam", region: "", resource: "role", resourceName: name });
    const senders = [
      this.publisherRoleName,
      this.ingestApiRoleNames.ingest,
      this.ingestApiRoleNames.maintenance,
    ];
    this.queue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "OnlyPublisherAndRedriveSend",
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ["sqs:SendMessage"],
        resources: [this.queue.queueArn],
        conditions: {
          ArnNotEquals: { "aws:PrincipalArn": [...senders.map(roleArn), this.redriveRole.roleArn] },
        },
      }),
    );
  }

  /**
   * Passes QUEUE_URL to a publisher and lets it send, and read the queue's attributes (its smoke test
   * checks the queue is FIFO). Not grantSendMessages: its GetQueueUrl is never called (permissionsContract).
   */
  bindPublisher(fn: lambda.Function): void {
    fn.addEnvironment(IngestorEnv.QueueUrl, this.queue.queueUrl);
    fn.addToRolePolicy(sqsStatement(this.queue, ["sqs:SendMessage", "sqs:GetQueueAttributes"]));
  }

  /**
   * Lets the consumer's event source mapping receive, delete and read attributes (it runs under the
   * function's role; AWS's SQS event source needs these three). No QUEUE_URL: the processor never names
   * the queue (test/lib/contract/settingsContract).
   */
  bindConsumer(fn: lambda.Function): void {
    fn.addToRolePolicy(
      sqsStatement(this.queue, ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]),
    );
  }

  /**
   * Passes DLQ_URL to a function that dead-letters poison messages itself, and lets it send there;
   * with `smokeTest`, also read the DLQ's attributes (the processor's smoke test checks it is reachable).
   */
  bindDeadLetterWriter(fn: lambda.Function, options: { readonly smokeTest?: boolean } = {}): void {
    fn.addEnvironment(ProcessorEnv.DlqUrl, this.deadLetterQueue.queueUrl);
    const actions = options.smokeTest ? ["sqs:SendMessage", "sqs:GetQueueAttributes"] : ["sqs:SendMessage"];
    fn.addToRolePolicy(sqsStatement(this.deadLetterQueue, actions));
  }
}

/** An allow of `actions` on one queue (SendMessageBatch is authorized as SendMessage). */
const sqsStatement = (queue: sqs.IQueue, actions: string[]) =>
  new iam.PolicyStatement({ actions, resources: [queue.queueArn] });
