#!/usr/bin/env node
// The `tidemark` bin: runs scripts/cli/tidemark.ts through tsx (the project runs TypeScript directly).
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
// tsx's loader (its main export is the `--import` entry), resolved from this package so
// `npx tidemark` works from any directory.
const tsx = pathToFileURL(require.resolve("tsx")).href;
const child = spawn(
  process.execPath,
  ["--import", tsx, join(here, "tidemark.ts"), ...process.argv.slice(2)],
  {
    stdio: "inherit",
    // Set before any module loads: the SDK warns about Node 20 once per process, Powertools logs JSON.
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      POWERTOOLS_METRICS_DISABLED: "true",
      POWERTOOLS_LOG_LEVEL: "SILENT",
      ...process.env,
    },
  },
);
// Ctrl-C reaches the child through the terminal's process group; the launcher only waits for it.
process.on("SIGINT", () => {});
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
