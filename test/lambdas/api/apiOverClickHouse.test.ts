import { afterAll, beforeAll, describe } from "vitest";
import { type ClickHouseSink, createClickHouseSink } from "../../../lambdas/sink/clickhouseSink.js";
import { type ClickHouseServer, startClickHouse } from "../../../scripts/local/clickhouseServer.js";
import { skipWithoutClickHouse } from "../sink/clickhouseGate.js";
import { apiExpectations } from "./apiExpectations.js";
import { seedApi } from "./helpers.js";

describe.skipIf(skipWithoutClickHouse())("the /v1 API over ClickHouse (real server)", () => {
  let server: ClickHouseServer;
  let n = 0;
  const opened: ClickHouseSink[] = [];
  beforeAll(async () => {
    server = await startClickHouse();
  });
  afterAll(async () => {
    for (const s of opened) await s.close();
    await server?.stop();
  });
  apiExpectations(async () => {
    const sink = await createClickHouseSink({ url: server.url, database: `api_${++n}` });
    opened.push(sink);
    // Seeded twice: unmerged duplicate rows (ReplacingMergeTree) must not show in any answer.
    const write = sink.write.bind(sink);
    await seedApi({ write, health: () => sink.health(), close: async () => {} });
    return sink;
  });
});
