import { App, Duration, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { PRIMARY_KEYS, TABLE_COLUMNS, TABLE_NAMES } from "../../../lambdas/sink/rows.js";
import { Tidemark } from "../../../lib/Tidemark.js";
import { TidemarkStorage } from "../../../lib/TidemarkStorage.js";
import { cdkJsonContext, FIXTURE_ENTRIES, type Json, type TemplateResource } from "../synthStage.js";

let template: Template;
let resources: Record<string, TemplateResource>;

beforeAll(() => {
  const stack = new Stack(new App({ context: cdkJsonContext() }), "Storage", {
    env: { account: "111111111111", region: "eu-west-1" },
  });
  new TidemarkStorage(stack, "Storage", { processorTimeout: Duration.seconds(30) });
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);
const stream = () => ofType("AWS::KinesisFirehose::DeliveryStream")[0] as TemplateResource;
const iceberg = () => stream().Properties.IcebergDestinationConfiguration;

describe("FirehoseIcebergSink", () => {
  it("creates an encrypted Direct PUT stream into the Glue catalog's Iceberg tables, updating rather than appending", () => {
    // Assess
    expect(ofType("AWS::KinesisFirehose::DeliveryStream")).toHaveLength(1);
    expect(stream().Properties).toMatchObject({
      DeliveryStreamName: "tidemark-sink",
      DeliveryStreamType: "DirectPut",
      DeliveryStreamEncryptionConfigurationInput: { KeyType: "AWS_OWNED_CMK" },
    });
    expect(iceberg()).toMatchObject({
      AppendOnly: false,
      // The CloudFormation schema spells this one property in camel case for Iceberg destinations.
      s3BackupMode: "FailedDataOnly",
      CatalogConfiguration: { CatalogArn: "arn:aws:glue:eu-west-1:111111111111:catalog" },
      S3Configuration: { ErrorOutputPrefix: expect.stringMatching(/^firehose-errors\//) },
      CloudWatchLoggingOptions: { Enabled: true },
    });
  });

  it("routes each record to the table its `table` field names, as an update on that table's unique keys", () => {
    // Assess
    const processor = iceberg().ProcessingConfiguration.Processors[0];
    expect(processor.Type).toBe("MetadataExtraction");
    const params = Object.fromEntries(
      processor.Parameters.map((p: Json) => [p.ParameterName, p.ParameterValue]),
    );
    expect(params).toEqual({
      MetadataExtractionQuery:
        '{destinationDatabaseName:"tidemark",destinationTableName:.table,operation:"update"}',
      JsonParsingEngine: "JQ-1.6",
    });
    const byTable = Object.fromEntries(
      iceberg().DestinationTableConfigurationList.map((t: Json) => [t.DestinationTableName, t]),
    );
    expect(Object.keys(byTable).sort()).toEqual([...TABLE_NAMES].sort());
    for (const table of TABLE_NAMES) {
      expect(byTable[table]).toEqual({
        DestinationDatabaseName: "tidemark",
        DestinationTableName: table,
        UniqueKeys: [...PRIMARY_KEYS[table]],
        S3ErrorOutputPrefix: `firehose-errors/${table}/`,
      });
    }
  });

  it("declares every table as an Iceberg v2 table with the columns of rows.ts, under the sink bucket", () => {
    // Assess
    expect(ofType("AWS::Glue::Database")[0]?.Properties.DatabaseInput.Name).toBe("tidemark");
    const tables = ofType("AWS::Glue::Table");
    expect(tables).toHaveLength(TABLE_NAMES.length);
    for (const t of tables) {
      const input = t.Properties.TableInput;
      const name = input.Name as keyof typeof TABLE_COLUMNS;
      expect(t.Properties.OpenTableFormatInput).toEqual({
        IcebergInput: { MetadataOperation: "CREATE", Version: "2" },
      });
      expect(input.TableType).toBe("EXTERNAL_TABLE");
      const columns = input.StorageDescriptor.Columns.map((c: Json) => c.Name);
      expect(columns).toEqual([...Object.keys(TABLE_COLUMNS[name]), "inserted_at"]);
      // Every unique key is a column, or Firehose could not match a repeated record to its row.
      for (const key of PRIMARY_KEYS[name]) expect(columns).toContain(key);
      expect(JSON.stringify(input.StorageDescriptor.Location)).toContain(`/iceberg/${name}`);
      expect(t.DeletionPolicy).toBe("Retain");
    }
    const gas = tables.find((t) => t.Properties.TableInput.Name === "l1_head_events");
    expect(gas?.Properties.TableInput.StorageDescriptor.Columns).toEqual(
      expect.arrayContaining([
        { Name: "gas_used", Type: "string" },
        { Name: "l1_block_number", Type: "bigint" },
      ]),
    );
  });

  it("gives Firehose only the Glue tables of its database, two bucket prefixes and its log stream", () => {
    // Assess
    const role = ofType("AWS::IAM::Role").find(
      (r) =>
        r.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service === "firehose.amazonaws.com",
    );
    expect(role?.Properties.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({
      StringEquals: { "aws:SourceAccount": "111111111111" },
    });
    const roleId = Object.entries(resources).find(([, r]) => r === role)?.[0];
    const statements = ofType("AWS::IAM::Policy")
      .filter((p) => p.Properties.Roles.some((r: Json) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Json[]);
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.sort()).toEqual(
      [
        "glue:GetDatabase",
        "glue:GetTable",
        "glue:UpdateTable",
        "s3:GetBucketLocation",
        "s3:ListBucket",
        "s3:ListBucketMultipartUploads",
        "s3:AbortMultipartUpload",
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "logs:PutLogEvents",
      ].sort(),
    );
    const resourcesOf = (action: string) =>
      JSON.stringify(statements.find((s) => [s.Action].flat().includes(action))?.Resource);
    expect(resourcesOf("glue:UpdateTable")).toContain("table/tidemark/l2_head_events");
    expect(resourcesOf("glue:UpdateTable")).not.toContain("*");
    expect(resourcesOf("s3:PutObject")).toContain("/iceberg/*");
    expect(resourcesOf("s3:PutObject")).toContain("/firehose-errors/*");
    expect(resourcesOf("s3:PutObject")).not.toMatch(/"\/\*"|"\*"/);
  });

  it("keeps Athena results encrypted in an enforced workgroup, with saved chain-metric queries over canonical views", () => {
    // Assess
    template.hasResourceProperties("AWS::Athena::WorkGroup", {
      Name: "tidemark",
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        ResultConfiguration: {
          EncryptionConfiguration: { EncryptionOption: "SSE_S3" },
          OutputLocation: Match.anyValue(),
        },
      },
    });
    const queries = ofType("AWS::Athena::NamedQuery").map((q) => q.Properties);
    const named = (name: string) => queries.find((q) => q.Name === name)?.QueryString as string;
    expect(queries.every((q) => q.Database === "tidemark" && q.WorkGroup !== undefined)).toBe(true);
    expect(named("create view canonical_l2_head_events")).toMatch(
      /CREATE OR REPLACE VIEW canonical_l2_head_events AS .*NOT IN \(SELECT block_hash FROM block_marks WHERE chain = 'l2' .*HAVING max\(/,
    );
    for (const metric of [
      "L2 block cadence (24 h)",
      "Batch posting cadence (24 h)",
      "Prove time (24 h)",
      "Verify time (24 h)",
      "L2 throughput (24 h)",
      "Sequencer distribution (24 h)",
      "Reorgs (24 h)",
    ]) {
      expect(named(metric), metric).toBeDefined();
    }
    // Metrics read the canonical views, never the raw tables that still hold orphaned rows.
    expect(named("L2 block cadence (24 h)")).toMatch(/FROM canonical_l2_head_events/);
    expect(named("Prove time (24 h)")).toMatch(/canonical_batches.*canonical_proved_batches/s);
    // Shasta: a canonical view per table (proposal_blocks follows the L2), and the metrics over them.
    expect(named("create view canonical_proposal_blocks")).toMatch(
      /t.l2_block_hash NOT IN \(SELECT block_hash FROM block_marks WHERE chain = 'l2'/,
    );
    expect(named("create view canonical_proofs")).toMatch(
      /t.l1_block_hash NOT IN \(SELECT block_hash FROM block_marks WHERE chain = 'l1'/,
    );
    expect(named("Shasta time to finality (24 h)")).toMatch(
      /canonical_proposals.*canonical_proofs AS c ON c.first_new_proposal_id <= p.proposal_id AND p.proposal_id <= c.last_proposal_id/s,
    );
    expect(named("Shasta forced inclusions saved vs included (24 h)")).toMatch(
      /canonical_forced_inclusions_saved.*canonical_proposal_sources WHERE is_forced_inclusion = 1/s,
    );
    expect(named("Shasta bonds settled and slashed (24 h)")).toMatch(
      /CAST\(slashed_gwei AS DECIMAL\(38, 0\)\)/,
    );
    for (const metric of ["Shasta proposal cadence (24 h)", "Shasta proofs per prover (24 h)"]) {
      expect(named(metric), metric).toMatch(/FROM canonical_/);
    }
  });
});

describe("Tidemark with an external Firehose stream", () => {
  it("creates no sink and lets the processor put records into the named stream only", () => {
    // Prepare
    const stack = new Stack(new App({ context: cdkJsonContext() }), "Single");

    // Act
    const tidemark = new Tidemark(stack, "Tidemark", {
      entries: FIXTURE_ENTRIES,
      firehoseStreamName: "shared-sink",
    });
    const t = Template.fromStack(stack);

    // Assess
    expect(tidemark.sink).toBeUndefined();
    t.resourceCountIs("AWS::KinesisFirehose::DeliveryStream", 0);
    t.resourceCountIs("AWS::Glue::Table", 0);
    t.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ SINK: "firehose", FIREHOSE_STREAM_NAME: "shared-sink" }) },
    });
    t.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ["firehose:DescribeDeliveryStream", "firehose:PutRecordBatch"],
            Resource: { "Fn::Join": ["", Match.arrayWith([":deliverystream/shared-sink"])] },
          }),
        ]),
      },
    });
  });

  it("keeps every Iceberg table compacted, its snapshots expired after 7 days and its orphan files removed", () => {
    // Assess
    const optimizers = ofType("AWS::Glue::TableOptimizer");
    expect(optimizers).toHaveLength(TABLE_NAMES.length * 3);
    for (const table of TABLE_NAMES) {
      const types = optimizers.filter((o) => o.Properties.TableName === table).map((o) => o.Properties.Type);
      expect(types.sort()).toEqual(["compaction", "orphan_file_deletion", "retention"]);
    }
    const retention = optimizers.find((o) => o.Properties.Type === "retention") as TemplateResource;
    expect(retention.Properties.TableOptimizerConfiguration).toMatchObject({
      Enabled: true,
      RetentionConfiguration: {
        IcebergConfiguration: {
          SnapshotRetentionPeriodInDays: 7,
          NumberOfSnapshotsToRetain: 5,
          CleanExpiredFiles: true,
        },
      },
    });
  });

  it("counts objects written under firehose-errors/ with a request-metrics filter on the sink bucket", () => {
    // Assess
    const buckets = ofType("AWS::S3::Bucket").filter((b) => b.Properties.MetricsConfigurations);
    expect(buckets).toHaveLength(1);
    expect(buckets[0]?.Properties.MetricsConfigurations).toEqual([
      { Id: "firehose-errors", Prefix: "firehose-errors/" },
    ]);
  });
});
