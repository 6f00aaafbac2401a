// Operators read reports, not EMF records or JSON logs of the handlers this CLI runs (backfill, local).
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { pathToFileURL } from "node:url";
import { type CliIo, EXIT, TargetError, UsageError } from "./cliSupport.js";
import { backfillCommand } from "./commands/backfillCommand.js";
import type { Command } from "./commands/command.js";
import { consumersCommand } from "./commands/consumersCommand.js";
import { dlqCommand } from "./commands/dlqCommand.js";
import { healthCommand } from "./commands/healthCommand.js";
import { localCommand } from "./commands/localCommand.js";
import { trafficCommand } from "./commands/trafficCommand.js";
import { verifyCommand } from "./commands/verifyCommand.js";

export const COMMANDS: readonly Command[] = [
  localCommand,
  healthCommand,
  verifyCommand,
  backfillCommand,
  dlqCommand,
  consumersCommand,
  trafficCommand,
];

export const USAGE = `Usage: tidemark <command> [options]

Operate a Tidemark pipeline: locally (the default) or a deployed stage (--stage <name>).

Commands
${COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join("\n")}

\`tidemark <command> --help\` shows a command's options. docs/DEPLOYMENT.md is the runbook.
Exit codes: 0 ok, 1 findings / unhealthy / failed, 2 usage error, 3 target not found or unreachable.`;

/** Run one command line; never throws: every failure becomes a message and an exit code. */
export async function runTidemark(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    (name === undefined ? io.stderr : io.stdout).write(`${USAGE}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const near = COMMANDS.find((c) => c.name.startsWith(name.slice(0, 2)));
    io.stderr.write(
      `error: unknown command "${name}"${near ? ` (did you mean ${near.name}?)` : ""}\n\n${USAGE}\n`,
    );
    return EXIT.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`error: ${error.message}\n\n${command.usage}\n`);
      return EXIT.usage;
    }
    if (error instanceof TargetError) {
      io.stderr.write(`error: ${error.message}\n`);
      return EXIT.target;
    }
    const e = error as Error;
    const unreachable =
      /ECONNREFUSED|ENOTFOUND|fetch failed|CredentialsProviderError|Could not load credentials/i.test(
        `${e?.name} ${e?.message} ${String((e as { cause?: unknown })?.cause ?? "")}`,
      );
    io.stderr.write(
      `error: tidemark ${name} failed: ${e?.name ?? "Error"}: ${e?.message ?? String(error)}\n`,
    );
    if (io.env.TIDEMARK_DEBUG) io.stderr.write(`${e?.stack ?? ""}\n`);
    return unreachable ? EXIT.target : EXIT.findings;
  }
}

async function main(): Promise<void> {
  const abort = new AbortController();
  process.once("SIGINT", () => {
    process.stderr.write("\nstopping at a safe point (Ctrl-C again to quit at once)\n");
    abort.abort();
    process.once("SIGINT", () => process.exit(130));
  });
  const code = await runTidemark(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    signal: abort.signal,
  });
  process.exit(code);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) void main();
