import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { DASHBOARD_CONFIG_PLACEHOLDER } from "./createApiApp.js";

const CARDS: readonly [string, string][] = [
  ["l2Head", "L2 head"],
  ["l1Head", "L1 head"],
  ["tps", "TPS"],
  ["l2Cadence", "L2 block time"],
  ["batchCadence", "Batch cadence"],
  ["proveTime", "Avg prove time"],
  ["verifyTime", "Avg verify time"],
  ["reorgs", "Reorgs"],
  ["forcedInclusions", "Forced inclusions"],
  ["sequencer", "Current sequencer"],
  ["sequencerProfit", "Sequencer profit"],
  ["preconf", "Preconf operator"],
];

const STYLE = `
:root{color-scheme:dark;--bg:#0b0f14;--panel:#121821;--line:#1f2935;--text:#e6edf3;--muted:#8b96a5;--accent:#58a6ff}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--text);font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif}
header{display:flex;align-items:center;gap:16px;padding:14px 24px;border-bottom:1px solid var(--line);background:#0e131a;position:sticky;top:0;z-index:2}
.brand{font-weight:700;font-size:18px;letter-spacing:.3px}.brand b{color:var(--accent)}
.tag{color:var(--muted);font-size:12px}
#range{margin-left:auto;display:flex;background:var(--panel);border:1px solid var(--line);border-radius:8px;overflow:hidden}
#range button{background:none;border:0;color:var(--muted);padding:6px 12px;font:inherit;cursor:pointer}
#range button.on{background:#1f6feb;color:#fff}
#status{font-size:12px;color:var(--muted);min-width:170px;text-align:right}
#status.live::before{content:"";display:inline-block;width:8px;height:8px;border-radius:50%;background:#3fb950;margin-right:6px;box-shadow:0 0 6px #3fb950}
#status.stale{color:#ff7b72}
main{padding:20px 24px;max-width:1600px;margin:0 auto}
#cards{display:grid;grid-template-columns:repeat(5,minmax(0,1fr));gap:12px;margin-bottom:16px}
@media (max-width:1000px){#cards{grid-template-columns:repeat(2,minmax(0,1fr))}}
.card{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:12px 14px;min-height:92px}
.card .label{color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.8px}
.card .value{font-size:26px;font-weight:600;margin-top:6px;font-variant-numeric:tabular-nums;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.card[data-card=sequencer] .value,.card[data-card=preconf] .value{font:600 20px ui-monospace,SFMono-Regular,Menlo,monospace;margin-top:10px;margin-bottom:4px}
.card .sub{color:var(--muted);font-size:12px;margin-top:2px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
#charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:12px}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:12px 14px 6px;min-width:0}
.panel h2{margin:0 0 8px;font-size:13px;font-weight:600;color:#c9d1d9}
.chart{width:100%}
#sequencer-panel{grid-column:1/-1}
#sequencers{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));column-gap:32px}
.seq{display:grid;grid-template-columns:110px 1fr 120px;gap:10px;align-items:center;margin:10px 0;font-variant-numeric:tabular-nums}
.seq .addr{font-family:ui-monospace,monospace;font-size:12px}.seq .pct{color:var(--muted);font-size:12px;text-align:right}
.seq .bar{height:10px;background:#0b0f14;border-radius:5px;overflow:hidden}.seq .bar i{display:block;height:100%;border-radius:5px}
footer{color:var(--muted);font-size:12px;padding:8px 24px 24px;text-align:center}footer a{color:var(--accent)}
.u-over,.u-under{background:transparent}
`;

function page(js: string, uplotCss: string): string {
  const cards = CARDS.map(
    ([id, label]) =>
      `<div class="card" data-card="${id}"><div class="label">${label}</div><div class="value">—</div><div class="sub"></div></div>`,
  ).join("");
  // A script body must not contain "</script": the bundle is inlined.
  const safeJs = js.replace(/<\/script/gi, "<\\/script");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>Tidemark</title>
<style>${uplotCss}${STYLE}</style></head><body>
<header><span class="brand">Tide<b>mark</b></span><span class="tag">rollup events, recorded exactly once</span>
<div id="range"></div><span id="status">connecting…</span></header>
<main><section id="cards">${cards}</section>
<section id="charts"><section class="panel" id="sequencer-panel"><h2>Sequencer share</h2><div id="sequencers"></div></section></section></main>
<footer>Canonical views only: blocks orphaned by a reorg never count · <a href="/v1/docs">API</a> · <a href="/ready">ready</a></footer>
<script>var TIDEMARK_CONFIG=${DASHBOARD_CONFIG_PLACEHOLDER};</script>
<script>${safeJs}</script></body></html>`;
}

/**
 * Builds the dashboard page with the local esbuild: dashboard/main.ts and uPlot
 * bundled into one script, uPlot's CSS inlined — one self-contained HTML
 * document, nothing fetched from a CDN. Called at local server start, by the
 * tests, and at bundle time for Lambda (the page is then a file beside the handler).
 */
export async function buildDashboardPage(): Promise<string> {
  const { build } = await import("esbuild");
  const entry = fileURLToPath(new URL("./dashboard/main.ts", import.meta.url));
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "iife",
    target: "es2020",
    minify: true,
    legalComments: "none",
    logLevel: "silent",
  });
  const js = result.outputFiles[0]?.text ?? "";
  const require = createRequire(import.meta.url);
  const css = await readFile(require.resolve("uplot/dist/uPlot.min.css"), "utf8");
  return page(js, css);
}
