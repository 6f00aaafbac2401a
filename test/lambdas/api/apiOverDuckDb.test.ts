import { afterAll, describe } from "vitest";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { apiExpectations } from "./apiExpectations.js";

describe("the /v1 API over a seeded DuckDB", () => {
  const opened: DuckDbSink[] = [];
  afterAll(async () => {
    for (const s of opened) await s.close();
  });
  apiExpectations(async () => {
    const sink = await createDuckDbSink({ path: ":memory:" });
    opened.push(sink);
    return sink;
  });
});
