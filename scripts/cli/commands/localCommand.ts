import { rmSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { IngestorEnv } from "../../../lambdas/shared/environment.js";
import { startLocalStack } from "../../pipeline/startLocalStack.js";
import { EXIT, emit, intOption, parseCommand, printUsage, stringOption, UsageError } from "../cliSupport.js";
import { defaultEnvFile } from "../resolveTarget.js";
import type { Command } from "./command.js";

const USAGE = `Usage: tidemark local [--env-file <path>] [--seed <n>] [--pacing <ms>] [--port <n>] [--no-serve] [--json]

Starts the local stack and keeps it running until Ctrl-C: two anvil nodes (L1 and a Taiko-like L2
driven by the devnet), DynamoDB Local, the SQS FIFO server, DuckDB, the ingestor on a schedule and the
processor behind the local event source — the same handler code as in Lambda — and serves the /v1
API, the live event stream (SSE and WebSocket) and the dashboard on a loopback port. It writes its
endpoints to an env file; every other subcommand finds it there (their default --local target).

Options
  --env-file <path>         where to write the environment (default: $TIDEMARK_ENV_FILE, else
                            <tmpdir>/tidemark-local/local.env — the default every --local command reads)
  --seed <n>                devnet seed (default 1)
  --pacing <ms>             wall-clock ms per L2 block (default 150)
  --port <n>                serve the API, stream and dashboard on this loopback port (default: a free one)
  --no-serve                run the pipeline only: no API, no stream, no dashboard
  --json                    print {envFile, env} as one JSON line on stdout once running (progress on stderr)
  -h, --help                this text`;

export const localCommand: Command = {
  name: "local",
  summary: "run the whole pipeline locally until Ctrl-C; the target of every --local command",
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommand(argv, {
      seed: { type: "string" },
      pacing: { type: "string" },
      port: { type: "string" },
      "no-serve": { type: "boolean" },
    });
    if (values.help) return printUsage(io, USAGE);
    if (values.stage !== undefined)
      throw new UsageError("tidemark local runs on this machine; it takes no --stage");
    const seed = intOption(values, "seed");
    const pacing = intOption(values, "pacing");
    const envFile = resolve(io.cwd, stringOption(values, "env-file") ?? defaultEnvFile(io.env));
    await mkdir(dirname(envFile), { recursive: true });
    const switchFile = join(dirname(envFile), "consumers.json");
    const ingestorSwitchFile = join(dirname(envFile), "ingestor.json");
    // A fresh stack starts consuming and ingesting, whatever a previous one was left at.
    await rm(switchFile, { force: true });
    await rm(ingestorSwitchFile, { force: true });
    // The process registry ends the process on Ctrl-C once its children are stopped: remove the
    // files then too, or the next command would read endpoints of a stack that is gone.
    const removeFiles = () => {
      rmSync(envFile, { force: true });
      rmSync(switchFile, { force: true });
      rmSync(ingestorSwitchFile, { force: true });
    };
    process.once("exit", removeFiles);
    io.stderr.write("starting the local stack (anvil ×2, DynamoDB Local, SQS, DuckDB, devnet)...\n");
    const stack = await startLocalStack({
      consumerSwitchFile: switchFile,
      ingestorSwitchFile,
      envFile,
      seed,
      knobs: pacing === undefined ? undefined : { pacingMsPerL2Block: pacing },
      ...(values["no-serve"] === true ? {} : { serve: { port: intOption(values, "port") ?? 0 } }),
    });
    emit(
      io,
      values.json === true,
      { envFile, env: stack.env },
      `local stack running; environment in ${envFile}\n` +
        `  L1 ${stack.env.L1_RPC_URLS}  L2 ${stack.env.L2_RPC_URLS}\n` +
        `  queue ${stack.env[IngestorEnv.QueueUrl]}\n  sink ${stack.env.SINK_QUERY_URL}\n` +
        (stack.apiUrl
          ? `  dashboard ${stack.apiUrl}/  API ${stack.apiUrl}/v1/docs  stream ${stack.apiUrl}/v1/sse/events\n`
          : "") +
        "In another terminal: npx tidemark health | verify | dlq list | consumers pause | ingestor pause ... (Ctrl-C here stops it)",
    );
    await new Promise<void>((resolveWait) => {
      if (io.signal?.aborted) resolveWait();
      io.signal?.addEventListener("abort", () => resolveWait(), { once: true });
    });
    io.stderr.write("stopping the local stack...\n");
    await stack.stop();
    removeFiles();
    process.off("exit", removeFiles);
    return EXIT.ok;
  },
};
