import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { buildDashboardPage } from "../../lambdas/api/buildDashboardPage.js";

/**
 * Writes the dashboard page to the path given: run by the API function's afterBundling hook, so the
 * page ships beside the handler (DASHBOARD_HTML_PATH) — built by the same function the local server calls.
 */
const [out] = process.argv.slice(2);
if (out === undefined) {
  console.error("usage: writeDashboardPage <output.html>");
  process.exit(2);
}
await mkdir(dirname(out), { recursive: true });
await writeFile(out, await buildDashboardPage());
