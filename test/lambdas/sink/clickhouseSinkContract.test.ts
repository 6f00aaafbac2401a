import { afterAll, beforeAll } from "vitest";
import { canonicalViewOf } from "../../../lambdas/sink/canonicalViews.js";
import { createClickHouseSink } from "../../../lambdas/sink/clickhouseSink.js";
import { type ClickHouseServer, startClickHouse } from "../../../scripts/local/clickhouseServer.js";
import { skipWithoutClickHouse } from "./clickhouseGate.js";
import { describeSinkContract, sqlCanonicalRows } from "./sinkContract.js";

const skip = skipWithoutClickHouse();
let server: ClickHouseServer | undefined;
let databases = 0;

beforeAll(async () => {
  if (!skip) server = await startClickHouse();
});
afterAll(async () => {
  await server?.stop();
});

describeSinkContract(
  "clickhouse (real server)",
  async () => {
    if (server === undefined) throw new Error("ClickHouse server not started");
    // A fresh database per test: the contract starts from an empty store.
    const sink = await createClickHouseSink({ url: server.url, database: `contract_${++databases}` });
    return {
      sink,
      // Tables without a canonical view are read with FINAL, as every ClickHouse reader of them must.
      canonicalRows: sqlCanonicalRows(
        (sql) => sink.query(sql),
        (table) => canonicalViewOf(table)?.view ?? `${table} FINAL`,
      ),
      async breakStore() {
        // Server-side failure mid-write: the inserts before verified_batches land, that one fails.
        await sink.query("RENAME TABLE verified_batches TO verified_batches_away");
        return async () => {
          await sink.query("RENAME TABLE verified_batches_away TO verified_batches");
        };
      },
      close: () => sink.close(),
    };
  },
  { skip },
);
