import { createDuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { describeSinkContract, sqlCanonicalRows } from "./sinkContract.js";

describeSinkContract("duckdb", async () => {
  const sink = await createDuckDbSink({ path: ":memory:" });
  return {
    sink,
    canonicalRows: sqlCanonicalRows((sql) => sink.query(sql)),
    async breakStore() {
      // The table is gone for the sink's transaction: DuckDB fails the write and rolls it back.
      await sink.query("ALTER TABLE verified_batches RENAME TO verified_batches_away");
      return async () => {
        await sink.query("ALTER TABLE verified_batches_away RENAME TO verified_batches");
      };
    },
    close: () => sink.close(),
  };
});
