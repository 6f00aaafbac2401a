import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  formatDecimal,
  formatDuration,
  formatInteger,
  shortAddress,
} from "../../../lambdas/api/dashboard/format.js";
import { type ServedApi, serveApi } from "../../../lambdas/api/serveLocal.js";
import {
  createMemoryEventLog,
  type MemoryEventLog,
} from "../../../lambdas/api/stream/createMemoryEventLog.js";
import { toLogEntry } from "../../../lambdas/processor/withEventLog.js";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { l2Header, record } from "../../support/events.js";
import { SEQUENCERS, seedLiveChain } from "./liveChainSeed.js";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const OUTPUT = join(ROOT, "test-results/api");
// Long enough that only the stream can explain an update within it + 2 s of a block (the first poll is at load).
const POLL_MS = 60_000;

// Debian's chromium only, never a downloaded browser; CI installs it (`apt-get install -y chromium`).
describe("the dashboard page in headless Chromium", () => {
  let sink: DuckDbSink;
  let api: ServedApi;
  let browser: Browser;
  let page: Page;
  let head: number;
  let log: MemoryEventLog;
  beforeAll(async () => {
    log = createMemoryEventLog();
    sink = await createDuckDbSink({ path: ":memory:" });
    ({ l2Head: head } = await seedLiveChain(sink, Math.floor(Date.now() / 1000)));
    api = await serveApi({
      db: sink,
      version: "test",
      eventLog: log,
      settings: { dashboardPollMs: POLL_MS, ssePollMs: 100 },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(api.url);
    await page.waitForFunction(
      () => Number(document.body.dataset.updates ?? 0) >= 1 && document.body.dataset.stream === "open",
    );
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await sink?.close();
  });

  const card = (name: string) =>
    page.$eval(`[data-card="${name}"]`, (el) => ({
      text: (el.querySelector(".value") as HTMLElement).textContent,
      value: (el as HTMLElement).dataset.value,
    }));

  it("shows on its cards the numbers the API serves", async () => {
    // Prepare: the page asks for the last hour (its default range); so does this request
    const gte = await page.evaluate(() => Math.floor(Date.now() / 1000) - 3600);
    const data = await (await fetch(`${api.url}/v1/dashboard-data?created[gte]=${gte}&limit=300`)).json();
    const c = data.cards;

    // Act
    const cards = {
      l2Head: await card("l2Head"),
      l1Head: await card("l1Head"),
      tps: await card("tps"),
      l2Cadence: await card("l2Cadence"),
      batchCadence: await card("batchCadence"),
      proveTime: await card("proveTime"),
      verifyTime: await card("verifyTime"),
      reorgs: await card("reorgs"),
      forcedInclusions: await card("forcedInclusions"),
      sequencer: await card("sequencer"),
    };

    // Assess
    expect(cards.l2Head).toEqual({ text: formatInteger(head), value: String(head) });
    expect(cards.l1Head).toEqual({ text: "150", value: "150" });
    expect(cards.tps).toEqual({ text: formatDecimal(c.tps.tps), value: String(c.tps.tps) });
    expect(cards.l2Cadence.text).toBe(formatDuration(c.l2BlockCadence.avg));
    expect(cards.batchCadence.text).toBe(formatDuration(c.batchCadence.avg));
    expect(cards.proveTime).toEqual({
      text: formatDuration(c.proveTime.avg),
      value: String(c.proveTime.avg),
    });
    expect(cards.verifyTime).toEqual({
      text: formatDuration(c.verifyTime.avg),
      value: String(c.verifyTime.avg),
    });
    expect(cards.reorgs).toEqual({ text: "1", value: "1" });
    expect(cards.forcedInclusions).toEqual({ text: "2", value: "2" });
    expect(cards.sequencer).toEqual({ text: shortAddress(SEQUENCERS[0]), value: SEQUENCERS[0] });
    expect(c.proveTime.samples).toBeGreaterThan(0);
    expect(c.verifyTime.samples).toBeGreaterThan(0);
    const rows = await page.$$eval("#sequencers .seq", (els) => els.length);
    expect(rows).toBe(3);
    const charts = await page.$$eval("[data-chart] canvas", (els) => els.length);
    expect(charts).toBe(6);

    mkdirSync(OUTPUT, { recursive: true });
    const shot = join(OUTPUT, "dashboard.png");
    await page.screenshot({ path: shot, fullPage: true });
    if (process.env.UPDATE_SCREENSHOT === "1") copyFileSync(shot, join(ROOT, "docs/dashboard.png"));
  });

  it("shows a newly written block live, through the SSE stream, within 2 s (well inside poll interval + 2 s)", async () => {
    // Prepare
    const next = head + 1;
    const block = record(l2Header(next, { timestamp: Math.floor(Date.now() / 1000), miner: SEQUENCERS[1] }));
    // Act: what the processor does: rows, then the event log entry
    await sink.write([block]);
    const { observationId: _, ...entry } = toLogEntry(block);
    log.append([entry]);
    // Assess
    await page.waitForFunction(
      (n) => document.querySelector('[data-card="l2Head"]')?.getAttribute("data-value") === String(n),
      next,
      { timeout: 2000 },
    );
    expect(
      await page.evaluate(() => Number(document.body.dataset.liveRefreshes ?? 0)),
    ).toBeGreaterThanOrEqual(1);
    expect(await card("sequencer")).toEqual({ text: shortAddress(SEQUENCERS[1]), value: SEQUENCERS[1] });
  });
});
