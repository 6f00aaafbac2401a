import {
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchCommandInput,
} from "@aws-sdk/client-firehose";
import { mockClient } from "aws-sdk-client-mock";
import { createFirehoseSink } from "../../../lambdas/sink/firehoseSink.js";
import type { TableName } from "../../../lambdas/sink/rows.js";
import { describeSinkContract, foldCanonical } from "./sinkContract.js";

const firehose = mockClient(FirehoseClient);
const decoder = new TextDecoder();

/**
 * Firehose at the SDK boundary. There is no store to query here, so the read
 * side is what Firehose accepted: every record of a successful PutRecordBatch,
 * folded as the destination does it — upsert by the Iceberg tables' unique
 * keys (rows.ts PRIMARY_KEYS), then the canonical views' orphan filter.
 */
describeSinkContract("firehose (aws-sdk-client-mock)", async () => {
  firehose.reset();
  const delivered: { table: TableName; row: Record<string, unknown> }[] = [];
  let broken = false;
  firehose.on(PutRecordBatchCommand).callsFake(async (input: PutRecordBatchCommandInput) => {
    const rows = (input.Records ?? []).map(
      (r) => JSON.parse(decoder.decode(r.Data)) as Record<string, unknown>,
    );
    // An outage of the stream: the call fails whole, nothing of it is accepted.
    if (broken && rows.some((r) => r.table === "verified_batches")) {
      throw Object.assign(new Error("Service unavailable"), { name: "ServiceUnavailableException" });
    }
    for (const { table, ...row } of rows) delivered.push({ table: table as TableName, row });
    return {
      FailedPutCount: 0,
      RequestResponses: rows.map((_, i) => ({ RecordId: `r${delivered.length + i}` })),
    };
  });
  firehose.on(DescribeDeliveryStreamCommand).resolves({
    DeliveryStreamDescription: {
      DeliveryStreamName: "tidemark-rows",
      DeliveryStreamARN: "arn:aws:firehose:eu-west-1:123456789012:deliverystream/tidemark-rows",
      DeliveryStreamStatus: "ACTIVE",
      DeliveryStreamType: "DirectPut",
      VersionId: "1",
      Destinations: [],
      HasMoreDestinations: false,
    },
  });
  const sink = createFirehoseSink({
    client: new FirehoseClient({ region: "eu-west-1" }),
    deliveryStreamName: "tidemark-rows",
    sleep: async () => undefined,
  });
  return {
    sink,
    canonicalRows: async (table) => foldCanonical(delivered).get(table) ?? [],
    async breakStore() {
      broken = true;
      return async () => {
        broken = false;
      };
    },
    async close() {
      await sink.close();
      firehose.reset();
    },
  };
});
