import type { CliIo } from "../cliSupport.js";

/** One `tidemark <name>` subcommand. `run` returns the exit code; it throws UsageError / TargetError. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(argv: readonly string[], io: CliIo): Promise<number>;
}
