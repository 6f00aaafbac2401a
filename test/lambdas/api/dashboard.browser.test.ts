import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  formatDecimal,
  formatDuration,
  formatInteger,
  formatOperator,
  NO_WHITELIST,
  shortAddress,
} from "../../../lambdas/api/dashboard/format.js";
import { type ServedApi, serveApi } from "../../../lambdas/api/serveLocal.js";
import {
  createMemoryEventLog,
  type MemoryEventLog,
} from "../../../lambdas/api/stream/createMemoryEventLog.js";
import { toLogEntry } from "../../../lambdas/processor/withEventLog.js";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { address, l2Header, record, reorg } from "../../support/events.js";
import { preconfEpoch } from "../../support/preconfEvents.js";
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
  /** What the preconf card shows: its text, and the raw values it was rendered from. */
  const preconfCard = () =>
    page.$eval('[data-card="preconf"]', (el) => {
      const d = (el as HTMLElement).dataset;
      return {
        text: (el.querySelector(".value") as HTMLElement).textContent,
        sub: (el.querySelector(".sub") as HTMLElement).textContent,
        current: d.value,
        next: d.next,
        epochStart: d.epochStart,
        candidates: d.candidates,
      };
    });
  /** What the processor does for each record: rows, then the event log entry. */
  const apply = async (...records: ReturnType<typeof record>[]) => {
    await sink.write(records);
    log.append(records.map((r) => (({ observationId: _, ...entry }) => entry)(toLogEntry(r))));
  };

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
      preconf: await preconfCard(),
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
    // The seed reads no whitelist: the API says so (null) and the card says why it is empty.
    expect(c.preconf).toBeNull();
    expect(cards.preconf).toMatchObject({ text: "none", sub: NO_WHITELIST, current: "", next: undefined });
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

  it("shows the current preconf operator as the API serves it, live, and the earlier read again once an L1 reorg orphans the newer one", async () => {
    // Prepare: the current epoch read at its first L1 block (151), then at 152 where operator 1 was removed
    const now = await page.evaluate(() => Math.floor(Date.now() / 1000));
    const epoch = Math.floor((now - 12) / 384) * 384;
    const first = preconfEpoch(151, epoch);
    const changed = preconfEpoch(152, epoch, {
      trigger: "operator_change",
      currentOperator: address(2),
      nextOperator: address(2),
      operators: first.operators.slice(1),
    });
    const served = async () => {
      const gte = await page.evaluate(() => Math.floor(Date.now() / 1000) - 3600);
      const data = await (await fetch(`${api.url}/v1/dashboard-data?created[gte]=${gte}&limit=300`)).json();
      return data.cards.preconf;
    };
    const shown = (operator: string) =>
      page.waitForFunction(
        (a) => document.querySelector('[data-card="preconf"]')?.getAttribute("data-value") === a,
        operator,
        { timeout: 2000 },
      );

    // Act: each write reaches the page through the stream (the poll is a minute away)
    await apply(record(first), record(changed));
    await shown(address(2));
    const afterChange = { card: await preconfCard(), api: await served() };
    await apply(record(reorg("l1", 152, 152, now)));
    await shown(address(1));
    const afterReorg = { card: await preconfCard(), api: await served() };

    // Assess: the card is the API's current epoch, in the dashboard's own formatting
    const asCard = (p: {
      currentOperator: string;
      nextOperator: string;
      epochStart: number;
      candidates: string[];
    }) => ({
      text: formatOperator(p.currentOperator),
      current: p.currentOperator,
      next: p.nextOperator,
      epochStart: String(p.epochStart),
      candidates: String(p.candidates.length),
    });
    expect(afterChange.api).toMatchObject({ currentOperator: address(2), candidates: [address(2)] });
    expect(afterChange.card).toMatchObject(asCard(afterChange.api));
    expect(afterChange.card.sub).toContain("next 0x0000…0002 · 1 candidate ·");
    expect(afterReorg.api).toMatchObject({
      currentOperator: address(1),
      nextOperator: address(2),
      epochStart: epoch,
      candidates: [address(1), address(2)],
      readAt: { blockNumber: 151 },
    });
    expect(afterReorg.card).toMatchObject(asCard(afterReorg.api));
  });
});
