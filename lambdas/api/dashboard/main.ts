/// <reference lib="dom" />
import type { DashboardData } from "../queries/readDashboardData.js";
import { type ChartSpec, createChart } from "./charts.js";
import {
  formatAge,
  formatDecimal,
  formatDuration,
  formatInteger,
  formatOperator,
  formatWei,
  NO_WHITELIST,
  shortAddress,
} from "./format.js";

declare const TIDEMARK_CONFIG: { pollMs: number };

const RANGES: readonly [string, number][] = [
  ["15m", 900],
  ["1h", 3600],
  ["6h", 21_600],
  ["24h", 86_400],
  ["7d", 604_800],
];

const CHARTS: readonly ChartSpec[] = [
  {
    id: "blockTimes",
    title: "L2 block time",
    xLabel: "L2 block",
    unit: " s",
    color: "#58a6ff",
    kind: "line",
  },
  { id: "gas", title: "Gas used per block", xLabel: "L2 block", unit: "", color: "#d29922", kind: "line" },
  {
    id: "txs",
    title: "Transactions per block",
    xLabel: "L2 block",
    unit: "",
    color: "#3fb950",
    kind: "bars",
  },
  { id: "prove", title: "Prove time per batch", xLabel: "batch", unit: " s", color: "#bc8cff", kind: "bars" },
  {
    id: "verify",
    title: "Verify time per batch",
    xLabel: "batch",
    unit: " s",
    color: "#ff7b72",
    kind: "bars",
  },
  { id: "blobs", title: "Blobs per batch", xLabel: "batch", unit: "", color: "#39c5cf", kind: "bars" },
];

const state = { range: Number(localStorage.getItem("tidemark.range") ?? 3600), lastOk: 0 };
const $ = (sel: string) => document.querySelector(sel) as HTMLElement;

function setCard(name: string, text: string, value: number | string | null, sub = "") {
  const el = $(`[data-card="${name}"]`);
  const v = el.querySelector(".value") as HTMLElement;
  v.textContent = text;
  el.dataset.value = value === null ? "" : String(value);
  (el.querySelector(".sub") as HTMLElement).textContent = sub;
}

function renderCards(d: DashboardData, now: number) {
  const c = d.cards;
  setCard(
    "l2Head",
    formatInteger(c.l2Head?.blockNumber),
    c.l2Head?.blockNumber ?? null,
    c.l2Head ? formatAge(c.l2Head.timestamp, now) : "",
  );
  setCard(
    "l1Head",
    formatInteger(c.l1Head?.blockNumber),
    c.l1Head?.blockNumber ?? null,
    c.l1Head ? formatAge(c.l1Head.timestamp, now) : "",
  );
  setCard(
    "tps",
    formatDecimal(c.tps.tps),
    c.tps.tps,
    `${formatInteger(c.tps.transactions)} tx in ${formatInteger(c.tps.blocks)} blocks`,
  );
  setCard(
    "l2Cadence",
    formatDuration(c.l2BlockCadence.avg),
    c.l2BlockCadence.avg,
    `p95 ${formatDuration(c.l2BlockCadence.p95)}`,
  );
  setCard(
    "batchCadence",
    formatDuration(c.batchCadence.avg),
    c.batchCadence.avg,
    `${formatInteger(c.batchCadence.samples)} intervals`,
  );
  setCard(
    "proveTime",
    formatDuration(c.proveTime.avg),
    c.proveTime.avg,
    `p95 ${formatDuration(c.proveTime.p95)} · ${formatInteger(c.proveTime.samples)} batches`,
  );
  setCard(
    "verifyTime",
    formatDuration(c.verifyTime.avg),
    c.verifyTime.avg,
    `p95 ${formatDuration(c.verifyTime.p95)} · ${formatInteger(c.verifyTime.samples)} batches`,
  );
  setCard(
    "reorgs",
    formatInteger(c.reorgs.l1 + c.reorgs.l2),
    c.reorgs.l1 + c.reorgs.l2,
    `L1 ${c.reorgs.l1} · L2 ${c.reorgs.l2}`,
  );
  setCard("forcedInclusions", formatInteger(c.forcedInclusions), c.forcedInclusions, "processed");
  setCard("sequencer", shortAddress(c.currentSequencer), c.currentSequencer, c.currentSequencer ?? "");
  setCard(
    "sequencerProfit",
    formatWei(c.fees.sequencerProfitWei),
    c.fees.sequencerProfitWei,
    `fees ${formatWei((BigInt(c.fees.priorityFeeWei) + BigInt(c.fees.sharedBaseFeeWei)).toString())} · L1 ${formatWei(c.fees.l1DataCostWei)} · proving ${formatWei(c.fees.provingCostWei)}`,
  );
  renderPreconf(c.preconf, now);
}

/**
 * The current epoch's preconfirmation operators: the current one as the value, the next one, the epoch's
 * start and its number of candidates below, each also as a data attribute (the raw API value).
 */
function renderPreconf(p: DashboardData["cards"]["preconf"], now: number) {
  const el = $('[data-card="preconf"]');
  if (p === null) {
    setCard("preconf", "none", null, NO_WHITELIST);
    for (const k of ["next", "epochStart", "candidates"]) delete el.dataset[k];
    return;
  }
  setCard(
    "preconf",
    formatOperator(p.currentOperator),
    p.currentOperator,
    `next ${formatOperator(p.nextOperator)} · ${formatInteger(p.candidates.length)} candidate${p.candidates.length === 1 ? "" : "s"} · epoch ${formatAge(p.epochStart, now)}`,
  );
  el.dataset.next = p.nextOperator;
  el.dataset.epochStart = String(p.epochStart);
  el.dataset.candidates = String(p.candidates.length);
  el.title = `epoch from ${new Date(p.epochStart * 1000).toISOString()}, read at L1 block ${p.readAt.blockNumber}`;
}

function renderSequencers(d: DashboardData) {
  const list = $("#sequencers");
  list.replaceChildren(
    ...d.charts.sequencers.map((s, i) => {
      const row = document.createElement("div");
      row.className = "seq";
      row.innerHTML = '<span class="addr"></span><span class="bar"><i></i></span><span class="pct"></span>';
      (row.children[0] as HTMLElement).textContent = shortAddress(s.address);
      (row.children[0] as HTMLElement).title = s.address;
      const bar = row.querySelector("i") as HTMLElement;
      bar.style.width = `${(s.share * 100).toFixed(1)}%`;
      bar.style.background = `hsl(${(210 + i * 57) % 360} 70% 60%)`;
      (row.children[2] as HTMLElement).textContent =
        `${formatDecimal(s.share * 100, 1)} % · ${formatInteger(s.blocks)}`;
      return row;
    }),
  );
  if (d.charts.sequencers.length === 0) list.textContent = "no blocks in this range";
}

async function poll(charts: Map<string, ReturnType<typeof createChart>>) {
  // The start in steps of 1/360 of the range (10 s of the last hour): every viewer in a step asks the
  // same question, which the server answers from its cache until new data arrives.
  const step = Math.max(1, Math.floor(state.range / 360));
  const gte = Math.floor((Math.floor(Date.now() / 1000) - state.range) / step) * step;
  try {
    const r = await fetch(`/v1/dashboard-data?created[gte]=${gte}&limit=300`);
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    const d = (await r.json()) as DashboardData;
    const now = Date.now() / 1000;
    renderCards(d, now);
    renderSequencers(d);
    const b = d.charts.blocks;
    const xs = b.map((p) => p.blockNumber);
    charts.get("blockTimes")?.update(
      xs,
      b.map((p) => p.blockTime),
    );
    charts.get("gas")?.update(
      xs,
      b.map((p) => p.gasUsed),
    );
    charts.get("txs")?.update(
      xs,
      b.map((p) => p.txCount),
    );
    charts.get("prove")?.update(
      d.charts.proveTimes.map((p) => p.batchId),
      d.charts.proveTimes.map((p) => p.seconds),
    );
    charts.get("verify")?.update(
      d.charts.verifyTimes.map((p) => p.batchId),
      d.charts.verifyTimes.map((p) => p.seconds),
    );
    charts.get("blobs")?.update(
      d.charts.blobsPerBatch.map((p) => p.batchId),
      d.charts.blobsPerBatch.map((p) => p.blobs),
    );
    state.lastOk = Date.now();
    $("#status").className = "live";
    const how = document.body.dataset.stream === "open" ? "streaming" : "polling";
    $("#status").textContent = `live (${how}) · updated ${new Date().toLocaleTimeString("en-GB")}`;
    document.body.dataset.updates = String(Number(document.body.dataset.updates ?? 0) + 1);
  } catch (error) {
    $("#status").className = "stale";
    $("#status").textContent = `offline · ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Event types that change what the dashboard shows: each one refreshes it at once. */
const LIVE_EVENTS = [
  "l1_header",
  "l2_header",
  "reorg",
  "batch_proposed",
  "batches_proved",
  "batches_verified",
  "forced_inclusion_processed",
  "shasta_proposed",
  "shasta_proved",
  "preconf_epoch",
];

/**
 * Live updates: the page follows `/v1/sse/events` and refreshes (at most every 250 ms) when the chain
 * moves, instead of waiting for the next poll. EventSource reconnects by itself with Last-Event-ID.
 * Where the stream is not served (404), the polling alone keeps the page current.
 */
function follow(charts: Map<string, ReturnType<typeof createChart>>) {
  if (typeof EventSource === "undefined") return;
  const source = new EventSource(`/v1/sse/events?events=${LIVE_EVENTS.join(",")}`);
  let pending: number | undefined;
  const refresh = () => {
    document.body.dataset.streamed = String(Number(document.body.dataset.streamed ?? 0) + 1);
    pending ??= window.setTimeout(() => {
      pending = undefined;
      document.body.dataset.liveRefreshes = String(Number(document.body.dataset.liveRefreshes ?? 0) + 1);
      void poll(charts);
    }, 250);
  };
  for (const type of LIVE_EVENTS) source.addEventListener(type, refresh);
  source.addEventListener("ready", () => {
    document.body.dataset.stream = "open";
  });
  source.onerror = () => {
    document.body.dataset.stream = source.readyState === EventSource.CLOSED ? "closed" : "reconnecting";
  };
}

function start() {
  const picker = $("#range");
  for (const [label, seconds] of RANGES) {
    const b = document.createElement("button");
    b.textContent = label;
    b.dataset.seconds = String(seconds);
    if (seconds === state.range) b.className = "on";
    b.onclick = () => {
      state.range = seconds;
      localStorage.setItem("tidemark.range", String(seconds));
      for (const x of Array.from(picker.children)) x.className = x === b ? "on" : "";
      void poll(charts);
    };
    picker.appendChild(b);
  }
  const grid = $("#charts");
  const charts = new Map<string, ReturnType<typeof createChart>>();
  for (const spec of CHARTS) {
    const card = document.createElement("section");
    card.className = "panel";
    card.innerHTML = "<h2></h2><div class=chart></div>";
    (card.firstChild as HTMLElement).textContent = spec.title;
    card.dataset.chart = spec.id;
    grid.insertBefore(card, $("#sequencer-panel"));
    charts.set(spec.id, createChart(card.querySelector(".chart") as HTMLElement, spec));
  }
  void poll(charts);
  setInterval(() => void poll(charts), TIDEMARK_CONFIG.pollMs);
  follow(charts);
}

start();
