import { type ServedApi, serveApi } from "../lambdas/api/serveLocal.js";
import { createMemoryEventLog } from "../lambdas/api/stream/createMemoryEventLog.js";
import { eventKey, observationId } from "../lambdas/shared/keys.js";
import { createDuckDbSink } from "../lambdas/sink/duckdbSink.js";
import type { Goal } from "./processorBench.js";
import { percentile, sortedCopy } from "./stats.js";
import { syntheticHeader } from "./syntheticRecords.js";

export interface ServeBenchResult {
  readonly blocks: number;
  /** dashboardData: repeated views between writes; dashboardDataAfterNewBlock: one new block written before each request (no cached answer can serve it). */
  readonly api: Record<
    "dashboardData" | "dashboardDataAfterNewBlock" | "pagedList",
    { requests: number; p50Ms: number; p95Ms: number }
  >;
  readonly fanOut: readonly FanOutCell[];
  readonly goals: readonly Goal[];
  readonly note: string;
}

export interface FanOutCell {
  readonly clients: number;
  readonly seconds: number;
  readonly appendedPerSecond: number;
  readonly deliveredPerSecond: number;
  readonly lagP50Ms: number;
  readonly lagP99Ms: number;
  readonly gaps: number;
  readonly duplicates: number;
  readonly clientsComplete: number;
  readonly memoryPerConnectionKb: number;
}

/**
 * `npm run bench -- --only serve`: the API over 100k L2 blocks on DuckDB (dashboard-data, and a paged
 * list walked page by page with its cursor), then SSE fan-out to 100 and 1,000 concurrent clients for
 * `seconds` each while events are appended at a rollup-like rate.
 */
export async function runServeBench(p: {
  readonly blocks: number;
  readonly requests: number;
  readonly clients: readonly number[];
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly log: (line: string) => void;
}): Promise<ServeBenchResult> {
  const api = await measureApi(p);
  p.log(
    `  api: dashboard-data p50 ${api.dashboardData.p50Ms} ms p95 ${api.dashboardData.p95Ms} ms; after a new block p50 ${api.dashboardDataAfterNewBlock.p50Ms} ms p95 ${api.dashboardDataAfterNewBlock.p95Ms} ms; paged list p95 ${api.pagedList.p95Ms} ms`,
  );
  const fanOut: FanOutCell[] = [];
  for (const clients of p.clients) {
    const cell = await measureFanOut({ ...p, clients });
    p.log(
      `  sse ×${clients}: ${cell.deliveredPerSecond} events/s delivered, lag p99 ${cell.lagP99Ms} ms, gaps ${cell.gaps}, duplicates ${cell.duplicates}, ${cell.memoryPerConnectionKb} KB/connection`,
    );
    fanOut.push(cell);
  }
  const thousand = fanOut.find((c) => c.clients === 1000);
  return {
    blocks: p.blocks,
    api,
    fanOut,
    goals: [
      {
        goal: "dashboard-data p95 ≤ 50 ms on DuckDB (100k blocks)",
        met: api.dashboardData.p95Ms <= 50,
        measured: `${api.dashboardData.p95Ms} ms`,
      },
      {
        goal: "dashboard-data p95 ≤ 50 ms right after a new block (the answer recomputed)",
        met: api.dashboardDataAfterNewBlock.p95Ms <= 50,
        measured: `${api.dashboardDataAfterNewBlock.p95Ms} ms`,
      },
      {
        goal: "1,000 SSE clients: lag p99 ≤ 1 s, 0 gaps",
        met: thousand === undefined ? undefined : thousand.lagP99Ms <= 1000 && thousand.gaps === 0,
        measured: thousand ? `lag p99 ${thousand.lagP99Ms} ms, gaps ${thousand.gaps}` : "not run",
      },
    ],
    note: "Server and clients share one process on a 2-core machine shared with other work; the fan-out reads the in-memory log (the engine's cost), not DynamoDB.",
  };
}

async function measureApi(p: { blocks: number; requests: number }) {
  const sink = await createDuckDbSink({ path: ":memory:" });
  const CHUNK = 5_000;
  const blocks = (from: number, to: number) => {
    const records = [];
    for (let n = from; n <= to; n++) {
      const event = syntheticHeader("serve", n);
      records.push({ event, key: eventKey(event), observationId: observationId(event) });
    }
    return records;
  };
  for (let from = 1; from <= p.blocks; from += CHUNK)
    await sink.write(blocks(from, Math.min(from + CHUNK - 1, p.blocks)));
  let head = p.blocks;
  // The window ends just after the newest block, as the local server's chain-time clock does.
  const served = await serveApi({
    db: sink,
    version: "bench",
    dashboard: false,
    clock: { nowMs: Date.now, windowEndMs: () => (syntheticHeader("serve", head).timestamp + 1) * 1000 },
    settings: { rateLimitPerMinute: 0, maxRangeSeconds: 2 ** 31 - 1, defaultRangeSeconds: 366 * 24 * 3600 },
  });
  try {
    const gte = syntheticHeader("serve", 1).timestamp;
    const dashboard = () => get(served, `/v1/dashboard-data?created[gte]=${gte}`);
    const dashboardData = await timed(p.requests, dashboard);
    // The write is outside the timed call: what is timed is a view that finds the chain moved.
    const dashboardDataAfterNewBlock = await timed(p.requests, dashboard, async () => {
      head++;
      await sink.write(blocks(head, head));
    });
    let cursor: string | undefined;
    const pagedList = await timed(p.requests, async () => {
      const body = (await get(
        served,
        `/v1/l2-blocks?created[gte]=${gte}&limit=100${cursor ? `&cursor=${cursor}` : ""}`,
      )) as {
        nextCursor?: string;
      };
      cursor = body.nextCursor;
    });
    return { dashboardData, dashboardDataAfterNewBlock, pagedList };
  } finally {
    await served.close();
    await sink.close();
  }
}

async function get(api: ServedApi, path: string): Promise<unknown> {
  const res = await fetch(`${api.url}${path}`);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

async function timed(n: number, call: () => Promise<unknown>, before?: () => Promise<void>) {
  await call(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    await before?.();
    const t = performance.now();
    await call();
    ms.push(performance.now() - t);
  }
  const sorted = sortedCopy(ms);
  const round = (x: number) => Math.round(x * 10) / 10;
  return { requests: n, p50Ms: round(percentile(sorted, 50)), p95Ms: round(percentile(sorted, 95)) };
}

/** One SSE client that checks its ids are consecutive and records each event's delivery lag. */
async function follow(url: string, signal: AbortSignal, lags: number[]) {
  const state = { last: 0, received: 0, gaps: 0, duplicates: 0 };
  const res = await fetch(url, { headers: { accept: "text/event-stream" }, signal });
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const done = (async () => {
    try {
      for (;;) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) return;
        buffer += decoder.decode(chunk.value, { stream: true });
        let cut = buffer.indexOf("\n\n");
        while (cut >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          cut = buffer.indexOf("\n\n");
          const id = /^id: (\d+)$/m.exec(frame)?.[1];
          if (id === undefined) continue;
          const seq = Number(id);
          if (seq <= state.last) state.duplicates++;
          else if (seq !== state.last + 1) state.gaps += seq - state.last - 1;
          state.last = Math.max(state.last, seq);
          state.received++;
          const appendedAt = Number(/"appendedAt":(\d+)/.exec(frame)?.[1]);
          if (appendedAt > 0) lags.push(Date.now() - appendedAt);
        }
      }
    } catch {
      // aborted at the end of the run
    }
  })();
  return { state, done };
}

async function measureFanOut(p: {
  clients: number;
  seconds: number;
  eventsPerSecond: number;
}): Promise<FanOutCell> {
  const sink = await createDuckDbSink({ path: ":memory:" });
  const log = createMemoryEventLog();
  const served = await serveApi({
    db: sink,
    version: "bench",
    dashboard: false,
    eventLog: log,
    settings: { rateLimitPerMinute: 0, sseMaxConnections: p.clients + 10, ssePollMs: 100 },
  });
  const abort = new AbortController();
  const lags: number[] = [];
  try {
    global.gc?.();
    const before = process.memoryUsage().rss;
    const clients = [];
    for (let i = 0; i < p.clients; i++)
      clients.push(await follow(`${served.url}/v1/sse/events?after=0`, abort.signal, lags));
    await new Promise((r) => setTimeout(r, 1_000));
    const perConnection = (process.memoryUsage().rss - before) / p.clients / 1024;
    lags.length = 0;
    const t0 = Date.now();
    let appended = 0;
    const timer = setInterval(() => {
      const due = Math.floor(((Date.now() - t0) / 1000) * p.eventsPerSecond) - appended;
      if (due <= 0) return;
      log.append(
        Array.from({ length: due }, (_, i) => ({
          type: "l2_header",
          chain: "l2" as const,
          key: `${appended + i + 1}-l2_header`,
          payload: syntheticHeader("fan", appended + i + 1),
        })),
      );
      appended += due;
    }, 20);
    await new Promise((r) => setTimeout(r, p.seconds * 1000));
    clearInterval(timer);
    // Let the last events arrive before counting.
    const end = Date.now() + 10_000;
    while (Date.now() < end && clients.some((c) => c.state.last < appended))
      await new Promise((r) => setTimeout(r, 100));
    const received = clients.reduce((s, c) => s + c.state.received, 0);
    const sorted = sortedCopy(lags);
    return {
      clients: p.clients,
      seconds: p.seconds,
      appendedPerSecond: Math.round(appended / p.seconds),
      deliveredPerSecond: Math.round(received / p.seconds),
      lagP50Ms: Math.round(percentile(sorted, 50)),
      lagP99Ms: Math.round(percentile(sorted, 99)),
      gaps: clients.reduce((s, c) => s + c.state.gaps + Math.max(0, appended - c.state.last), 0),
      duplicates: clients.reduce((s, c) => s + c.state.duplicates, 0),
      clientsComplete: clients.filter((c) => c.state.last === appended).length,
      memoryPerConnectionKb: Math.round(perConnection),
    };
  } finally {
    abort.abort();
    await served.close();
    await sink.close();
  }
}
