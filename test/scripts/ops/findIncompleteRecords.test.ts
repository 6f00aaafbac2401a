import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { findIncompleteRecords } from "../../../scripts/ops/findIncompleteRecords.js";
import { at, l1Header, l2Header, proposed, proved, record } from "../../support/events.js";

let duckdb: DuckDbSink;
beforeEach(async () => {
  duckdb = await createDuckDbSink({ path: ":memory:" });
});
afterEach(async () => {
  await duckdb.close();
});

const records = () => [
  record(l1Header(10)),
  record(l2Header(5)),
  record(proposed(1, at(10))),
  record(proved(1, at(11))),
];

describe("findIncompleteRecords", () => {
  it("finds nothing when every record's rows are stored", async () => {
    // Prepare
    await duckdb.write(records());
    // Act + Assess
    expect(await findIncompleteRecords(duckdb, records())).toEqual([]);
  });

  it("names a record whose rows are missing in one table only (half a record), with how many", async () => {
    // Prepare: the proposal's batch row stays, one of its batch_blocks rows is lost; the proof was never written
    const [header, l2, proposal, proof] = records();
    await duckdb.write([header, l2, proposal].filter((r) => r !== undefined));
    await duckdb.query(
      `DELETE FROM batch_blocks WHERE observation_id = '${proposal?.observationId}' AND l2_block_number = (SELECT max(l2_block_number) FROM batch_blocks)`,
    );
    // Act
    const found = await findIncompleteRecords(duckdb, records());
    // Assess
    expect(found.map((f) => ({ key: f.record.key, missing: f.missing }))).toEqual([
      { key: proposal?.key, missing: [{ table: "batch_blocks", rows: 1 }] },
      { key: proof?.key, missing: [{ table: "proved_batches", rows: 1 }] },
    ]);
  });
});
