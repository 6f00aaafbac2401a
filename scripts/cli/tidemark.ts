// Operators read reports, not EMF records or JSON logs of the handlers this CLI runs (backfill, local).
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { CommanderError, Command as Program } from "commander";
import {
  type CliIo,
  EXIT,
  oneLineCommanderMessage,
  runEntryPoint,
  TARGET_OPTIONS,
  targetArgv,
} from "./cliSupport.js";
import { anchorCommand } from "./commands/anchorCommand.js";
import { backfillCommand } from "./commands/backfillCommand.js";
import type { Command } from "./commands/command.js";
import { consumersCommand } from "./commands/consumersCommand.js";
import { costCommand } from "./commands/costCommand.js";
import { dlqCommand } from "./commands/dlqCommand.js";
import { healthCommand } from "./commands/healthCommand.js";
import { ingestorCommand } from "./commands/ingestorCommand.js";
import { keysCommand } from "./commands/keysCommand.js";
import { localCommand } from "./commands/localCommand.js";
import { receiptCommand } from "./commands/receiptCommand.js";
import { repairCommand } from "./commands/repairCommand.js";
import { schemaCommand } from "./commands/schemaCommand.js";
import { sinkCommand } from "./commands/sinkCommand.js";
import { trafficCommand } from "./commands/trafficCommand.js";
import { verifyCommand } from "./commands/verifyCommand.js";

export const COMMANDS: readonly Command[] = [
  localCommand,
  healthCommand,
  verifyCommand,
  backfillCommand,
  repairCommand,
  dlqCommand,
  sinkCommand,
  consumersCommand,
  ingestorCommand,
  trafficCommand,
  keysCommand,
  schemaCommand,
  receiptCommand,
  anchorCommand,
  costCommand,
];

export const USAGE = `Usage: tidemark <command> [options]

Operate a Tidemark pipeline: locally (the default) or a deployed stage (--stage <name>).

Commands
${COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join("\n")}

Target options (--stage, --local, --env-file, --stack-outputs, --region, --json) go before or after
the command. \`tidemark <command> --help\` shows a command's options, \`tidemark --version\` the version.
docs/DEPLOYMENT.md is the runbook.
Exit codes: 0 ok, 1 findings / unhealthy / failed, 2 usage error, 3 target not found or unreachable.`;

/** The version `tidemark --version` prints: the package's. */
export const VERSION = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/**
 * Run one command line; never throws: every failure becomes one line on stderr and an exit code.
 * commander dispatches (with "did you mean" for a mistyped command) and takes the target options
 * anywhere, before or after the subcommand; each subcommand parses the rest through parseCommand.
 */
export async function runTidemark(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.length === 0) {
    io.stderr.write(`${USAGE}\n`);
    return EXIT.usage;
  }
  let code: number = EXIT.ok;
  const program = new Program("tidemark")
    .version(VERSION, "-V, --version")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`error: ${oneLineCommanderMessage(text)} (see tidemark --help)\n`),
    })
    .configureHelp({ formatHelp: () => `${USAGE}\n` });
  for (const [name, o] of Object.entries(TARGET_OPTIONS)) {
    if (name !== "help") program.option(`--${name}${o.type === "string" ? " <value>" : ""}`);
  }
  for (const command of COMMANDS) {
    program
      .command(command.name)
      .summary(command.summary)
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .argument("[arguments...]")
      .action(async (_arguments: string[], _options: unknown, sub: Program) => {
        const args = [...targetArgv(program.opts()), ...sub.args];
        code = await runEntryPoint(`tidemark ${command.name}`, io, () => command.run(args, io));
      });
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    const done = ["commander.helpDisplayed", "commander.version", "commander.help"].includes(error.code);
    return done ? EXIT.ok : EXIT.usage;
  }
  return code;
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
