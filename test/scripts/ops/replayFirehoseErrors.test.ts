import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FirehoseClient } from "@aws-sdk/client-firehose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import {
  FIREHOSE_ERROR_PREFIX,
  FIREHOSE_REPLAYED_PREFIX,
} from "../../../lambdas/sink/firehoseErrorRecords.js";
import { createFirehoseSink } from "../../../lambdas/sink/firehoseSink.js";
import { rowsByTable } from "../../../lambdas/sink/rows.js";
import { runTidemark } from "../../../scripts/cli/tidemark.js";
import {
  type FirehoseStandIn,
  intoDuckDb,
  startFirehoseStandIn,
} from "../../../scripts/local/firehoseStandIn.js";
import { localAwsConfig } from "../../../scripts/local/localAwsConfig.js";
import { createDirErrorObjectStore } from "../../../scripts/ops/replayFirehoseErrors.js";
import { at, l1Header, l2Header, proposed, proved, record } from "../../support/events.js";
import { captureIo } from "../cli/helpers.js";

const RUNBOOK = new URL("../../../docs/DEPLOYMENT.md", import.meta.url);

let dir: string;
let duckdb: DuckDbSink;
let standIn: FirehoseStandIn;
let failing: boolean;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "firehose-errors-"));
  duckdb = await createDuckDbSink({ path: ":memory:" });
  failing = false;
  standIn = await startFirehoseStandIn({
    deliver: intoDuckDb(() => duckdb),
    errorsDir: dir,
    failDelivery: () => failing,
    bufferIntervalMs: 0,
  });
});
afterEach(async () => {
  await standIn.stop();
  await duckdb.close();
  await rm(dir, { recursive: true, force: true });
});

const records = () => [
  record(l1Header(10)),
  record(l2Header(5)),
  record(proposed(1, at(10))),
  record(proved(1, at(11))),
];
const count = async (table: string) =>
  Number((await duckdb.query<{ n: bigint }>(`SELECT count(*) AS n FROM ${table}`))[0]?.n);
/** Rows per table the records make (a proposal also makes its batch_blocks rows). */
const expected = () => new Map([...rowsByTable(records())].map(([t, rows]) => [t, rows.length]));
const totalRows = () => [...expected().values()].reduce((s, n) => s + n, 0);

/** Writes through the shipped Firehose sink while the stand-in's delivery fails: accepted, not stored. */
async function acceptedButNotDelivered(): Promise<void> {
  const firehose = new FirehoseClient(localAwsConfig(standIn.url));
  const sink = createFirehoseSink({ client: firehose, deliveryStreamName: standIn.deliveryStreamName });
  failing = true;
  await sink.write(records());
  await standIn.flush();
  failing = false;
  firehose.destroy();
}

/** The runbook's `sh firehose-local` commands, placeholders filled. */
async function runbookCommands(): Promise<string[][]> {
  const markdown = await readFile(RUNBOOK, "utf8");
  const blocks = [...markdown.matchAll(/```sh firehose-local\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  return blocks
    .flatMap((b) => b.split("\n"))
    .map((l) => l.trim())
    .filter((l) => l.startsWith("npx tidemark "))
    .map((l) =>
      l.replaceAll("$ERRORS_DIR", dir).replaceAll("$FIREHOSE_ENDPOINT", standIn.url).split(/\s+/).slice(2),
    );
}

describe("a Firehose delivery failure", () => {
  it("leaves accepted rows out of the tables and under firehose-errors/ (what the sink's write cannot see)", async () => {
    // Act
    await acceptedButNotDelivered();
    // Assess
    for (const t of expected().keys()) expect(await count(t)).toBe(0);
    const objects = await createDirErrorObjectStore(dir).list(FIREHOSE_ERROR_PREFIX);
    expect(objects.length).toBe(expected().size);
    expect(standIn.stats).toMatchObject({ accepted: totalRows(), failedRows: totalRows(), delivered: 0 });
  });

  it("is recovered by the runbook's `tidemark sink replay`: every row stored once, a second replay finds nothing", async () => {
    // Prepare
    await acceptedButNotDelivered();
    const commands = await runbookCommands();
    expect(commands.length).toBeGreaterThanOrEqual(2);
    // Act
    for (const argv of commands) {
      const io = captureIo({});
      const code = await runTidemark(argv, io);
      expect({ argv, code, err: code === 0 ? "" : io.err() }).toEqual({ argv, code: 0, err: "" });
    }
    await standIn.flush();
    // Assess
    for (const [t, n] of expected()) expect({ t, n: await count(t) }).toEqual({ t, n });
    const store = createDirErrorObjectStore(dir);
    expect(await store.list(FIREHOSE_ERROR_PREFIX)).toEqual([]);
    expect((await store.list(FIREHOSE_REPLAYED_PREFIX)).length).toBe(expected().size);
    const again = captureIo({});
    expect(
      await runTidemark(
        ["sink", "replay", "--json", "--errors-dir", dir, "--firehose-endpoint", standIn.url],
        again,
      ),
    ).toBe(0);
    expect(JSON.parse(again.out())).toMatchObject({ objects: 0, rows: 0 });
  });

  it("stores each row once when the replay is repeated after a crash between put and move", async () => {
    // Prepare: a replay whose move never happened is the same objects put twice.
    await acceptedButNotDelivered();
    const argv = ["sink", "replay", "--errors-dir", dir, "--firehose-endpoint", standIn.url];
    const store = createDirErrorObjectStore(dir);
    const keys = await store.list(FIREHOSE_ERROR_PREFIX);
    const copies = await Promise.all(keys.map((k) => store.read(k)));
    // Act
    expect(await runTidemark(argv, captureIo({}))).toBe(0);
    await Promise.all(keys.map((k, i) => writeFile(join(dir, k), copies[i] as Uint8Array)));
    expect(await runTidemark(argv, captureIo({}))).toBe(0);
    await standIn.flush();
    // Assess
    for (const [t, n] of expected()) expect({ t, n: await count(t) }).toEqual({ t, n });
  });

  it("keeps back an object with a line that is not a Tidemark row, naming it, and exits 1", async () => {
    // Prepare
    await acceptedButNotDelivered();
    const bad = `${FIREHOSE_ERROR_PREFIX}batches/2026/12/02/bad`;
    await writeFile(
      join(dir, bad),
      `${JSON.stringify({ errorCode: "x", rawData: Buffer.from('{"table":"nope"}').toString("base64") })}\n`,
    );
    const io = captureIo({});
    // Act
    const code = await runTidemark(
      ["sink", "replay", "--errors-dir", dir, "--firehose-endpoint", standIn.url],
      io,
    );
    // Assess
    expect(code).toBe(1);
    expect(io.out()).toContain(`${bad}:1 row names no known table`);
    expect(await createDirErrorObjectStore(dir).list(FIREHOSE_ERROR_PREFIX)).toEqual([bad]);
  });
});
