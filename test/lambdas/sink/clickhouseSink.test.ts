import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidMessageError, SinkUnavailableError } from "../../../lambdas/shared/errors.js";
import { CANONICAL_VIEWS, CURRENT_ORPHANS_VIEW } from "../../../lambdas/sink/canonicalViews.js";
import { CLICKHOUSE_MIGRATIONS, expectedClickHouseColumns } from "../../../lambdas/sink/clickhouseSchema.js";
import { type ClickHouseSink, createClickHouseSink } from "../../../lambdas/sink/clickhouseSink.js";
import { type ClickHouseServer, startClickHouse } from "../../../scripts/local/clickhouseServer.js";
import { at, l1Header, l2Header, proposed, record } from "../../support/events.js";
import { skipWithoutClickHouse } from "./clickhouseGate.js";

describe.skipIf(skipWithoutClickHouse())("createClickHouseSink (real server)", () => {
  let server: ClickHouseServer;
  let n = 0;
  const opened: ClickHouseSink[] = [];
  const open = async (database = `sink_${++n}`) => {
    const s = await createClickHouseSink({ url: server.url, database });
    opened.push(s);
    return s;
  };
  beforeAll(async () => {
    server = await startClickHouse();
  });
  afterAll(async () => {
    for (const s of opened) await s.close();
    await server?.stop();
  });

  it("creates its database, tables and views, and reopening reapplies nothing and keeps the rows", async () => {
    // Prepare
    const first = await open("reopen");
    await first.write([record(l1Header(1)), record(proposed(1, at(1)))]);
    // Act
    const second = await open("reopen");
    // Assess
    expect(await second.health()).toMatchObject({
      ok: true,
      detail: expect.stringContaining(`schema version ${CLICKHOUSE_MIGRATIONS.at(-1)?.version}`),
    });
    const [row] = await second.query<{ n: number }>(
      "SELECT toUInt32(count()) AS n FROM canonical_batch_blocks",
    );
    expect(row?.n).toBe(3);
    const migrations = await second.query<{ version: number }>(
      "SELECT version FROM tidemark_schema_migrations ORDER BY version",
    );
    // 1: the Pacaya-era tables; 2: the Shasta tables; 3: api_events; 4: block marks. Each recorded once: reopening reapplied none.
    expect(migrations).toEqual(CLICKHOUSE_MIGRATIONS.map((m) => ({ version: m.version })));
    const engines = await second.query<{ name: string; engine: string }>(
      "SELECT name, engine FROM system.tables WHERE database = $1 ORDER BY name",
      ["reopen"],
    );
    // The legacy orphaned_blocks stays, unread, after migration 4 copied it into block_marks.
    const tables = engines.filter(
      (t) => t.engine !== "View" && !["tidemark_schema_migrations", "orphaned_blocks"].includes(t.name),
    );
    expect(tables.map((t) => t.name).sort()).toEqual([...expectedClickHouseColumns().keys()].sort());
    expect(new Set(tables.map((t) => t.engine))).toEqual(new Set(["ReplacingMergeTree"]));
    expect(engines.filter((t) => t.engine === "View").map((t) => t.name)).toEqual(
      [...CANONICAL_VIEWS.map((v) => v.view), CURRENT_ORPHANS_VIEW].sort(),
    );
  });

  it("stores gas and fees beyond 64 bits exactly", async () => {
    // Prepare
    const s = await open();
    const fee = 2n ** 80n;
    // Act
    await s.write([record(l2Header(1, { gasUsed: String(2 ** 40), baseFeePerGas: String(2 ** 40) }))]);
    // Assess
    expect(await s.query("SELECT sum_base_fee AS fee, base_fee AS b FROM canonical_l2_head_events")).toEqual([
      { fee, b: 2n ** 40n },
    ]);
  });

  it("rejects a fee that no Decimal(38, 0) holds as bad input, writing nothing", async () => {
    const s = await open();
    const huge = record(l2Header(2, { gasUsed: String(10n ** 20n), baseFeePerGas: String(10n ** 19n) }));
    await expect(s.write([record(l1Header(1)), huge])).rejects.toBeInstanceOf(InvalidMessageError);
    expect(await s.query("SELECT block_hash FROM l1_head_events")).toEqual([]);
  });

  it("binds $n parameters as escaped literals, quotes and backslashes included", async () => {
    const s = await open();
    const tricky = "it's a \\ back'slash $1";
    const [row] = await s.query<{ v: string; n: number }>("SELECT $1 AS v, toUInt8($2) AS n, '$1' AS kept", [
      tricky,
      7,
    ]);
    expect(row).toEqual({ v: tricky, n: 7, kept: "$1" });
  });

  it("fails as SinkUnavailableError when the server cannot be reached, at start and on write", async () => {
    // Prepare: a sink whose server goes away
    let reachable = true;
    const s = await createClickHouseSink({
      url: server.url,
      database: "outage",
      fetch: (input, init) =>
        reachable ? fetch(input, init) : Promise.reject(new TypeError("fetch failed")),
    });
    reachable = false;
    // Act / Assess
    await expect(s.write([record(l1Header(1))])).rejects.toBeInstanceOf(SinkUnavailableError);
    expect(await s.health()).toMatchObject({ ok: false });
    await expect(
      createClickHouseSink({ url: "http://127.0.0.1:9", database: "x", timeoutMs: 2000 }),
    ).rejects.toBeInstanceOf(SinkUnavailableError);
    await s.close();
  });

  it("fails writes and queries on a closed sink as SinkUnavailableError", async () => {
    const s = await open();
    await s.close();
    await expect(s.write([record(l1Header(1))])).rejects.toBeInstanceOf(SinkUnavailableError);
    await expect(s.query("SELECT 1")).rejects.toBeInstanceOf(SinkUnavailableError);
  });
});

describe("createClickHouseSink insert deduplication token (server that has one, scripted)", () => {
  /** A scripted server that claims ClickHouse ≥ 22.2 features and records every statement. */
  function scriptedServer() {
    const statements: { sql: string; settings: URLSearchParams }[] = [];
    const columns = [...expectedClickHouseColumns()].flatMap(([table, cols]) =>
      [...cols].map(([name, type]) => `${table}\t${name}\t${type}`),
    );
    const fake: typeof fetch = async (input, init) => {
      const url = new URL(String(input));
      const sql = url.searchParams.get("query") ?? String(init?.body);
      statements.push({ sql, settings: url.searchParams });
      if (sql.includes("system.settings"))
        return new Response("version\ttoken\tdedup_window\nString\tUInt64\tUInt64\n24.8.1\t1\t1\n");
      if (sql.includes("system.columns"))
        return new Response(`table\tname\ttype\nString\tString\tString\n${columns.join("\n")}\n`);
      if (sql.includes("SELECT DISTINCT version")) return new Response("version\nUInt32\n");
      return new Response("");
    };
    return { fake, statements };
  }

  it("sends one token per table and record set, the same for the same set in any order", async () => {
    // Prepare
    const { fake, statements } = scriptedServer();
    const s = await createClickHouseSink({
      url: "http://ch.example:8123",
      database: "tidemark",
      fetch: fake,
    });
    const a = record(l1Header(1));
    const b = record(l1Header(2));
    const tokens = () =>
      statements
        .filter((x) => x.sql.startsWith("INSERT INTO tidemark.l1_head_events"))
        .map((x) => x.settings.get("insert_deduplication_token"));
    // Act
    await s.write([a, b]);
    await s.write([b, a]);
    await s.write([a]);
    // Assess
    const [ab, ba, onlyA] = tokens();
    expect(ab).toMatch(/^[0-9a-f]{64}$/);
    expect(ba).toBe(ab);
    expect(onlyA).not.toBe(ab);
    expect(statements.some((x) => x.sql.includes("MODIFY SETTING non_replicated_deduplication_window"))).toBe(
      true,
    );
  });
});
