import { Command, CommanderError, Option } from "commander";

/** Exit codes every subcommand uses, so that scripts can branch on them. */
export const EXIT = {
  /** Done; healthy; nothing found. */
  ok: 0,
  /** Ran, and found something a person must look at (verify findings, unhealthy, a failed step). */
  findings: 1,
  /** The command line is wrong: usage is printed. */
  usage: 2,
  /** The target cannot be reached or resolved (no local stack, no stack outputs, no credentials). */
  target: 3,
} as const;

/** A mistake on the command line: printed with the subcommand's usage, exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The target (local stack or deployed stage) cannot be found or reached: exit 3. */
export class TargetError extends Error {
  override readonly name = "TargetError";
}

export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Aborted on Ctrl-C: long work stops at a safe point (backfill keeps its cursor). */
  readonly signal?: AbortSignal;
}

export type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>;

/** Options every subcommand takes. */
export const TARGET_OPTIONS = {
  stage: { type: "string" },
  local: { type: "boolean" },
  "env-file": { type: "string" },
  "stack-outputs": { type: "string" },
  region: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies OptionSpec;

export const TARGET_USAGE = `Target (every subcommand)
  --local                   the local stack started by \`tidemark local\` (default without --stage)
  --env-file <path>         its environment file (default: $TIDEMARK_ENV_FILE, else the one \`tidemark local\` writes)
  --stage <name>            a deployed stage: names from the CloudFormation outputs of Tidemark-<name>-*
  --stack-outputs <file>    those outputs, as written by \`cdk deploy --outputs-file\` (default ./cdk-outputs.json)
  --region <region>         AWS region (default: from the stack outputs, else AWS_REGION)
  --json                    print the result as JSON on stdout (progress and messages go to stderr)
  -h, --help                this text

Exit codes: 0 ok, 1 findings / unhealthy / failed, 2 usage error, 3 target not found or unreachable.`;

export interface ParsedCommand {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

export interface ParseCommandSettings {
  /** Accept the target options (--stage, --local, --env-file, ...). False for npm start, the drill, chaos. @default true */
  readonly target?: boolean;
}

/**
 * The one argument layer of `tidemark`'s subcommands, `npm start`, the drill and chaos: commander,
 * with its errors turned into a one-line UsageError ("did you mean" included), never a stack trace.
 * Values keep the option names as written (`error-type`, not `errorType`).
 */
export function parseCommand(
  argv: readonly string[],
  options: OptionSpec,
  maxPositionals = 0,
  settings: ParseCommandSettings = {},
): ParsedCommand {
  const spec: OptionSpec =
    settings.target === false ? { help: TARGET_OPTIONS.help, ...options } : { ...TARGET_OPTIONS, ...options };
  const command = new Command()
    .exitOverride()
    .helpOption(false)
    .allowExcessArguments()
    .argument("[arguments...]")
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined });
  for (const [name, o] of Object.entries(spec)) command.addOption(toCommanderOption(name, o));
  try {
    command.parse([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) throw new UsageError(oneLineCommanderMessage(error.message));
    throw error;
  }
  const opts = command.opts();
  const values: ParsedCommand["values"] = {};
  for (const name of Object.keys(spec)) {
    // commander reads `--no-x` as x = false.
    const value = name.startsWith("no-")
      ? opts[camel(name.slice(3))] === false
        ? true
        : undefined
      : opts[camel(name)];
    if (value !== undefined) values[name] = value as string | boolean | string[];
  }
  const parsed: ParsedCommand = { values, positionals: [...command.args] };
  if (parsed.values.help !== true && parsed.positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument "${parsed.positionals[maxPositionals]}"`);
  }
  if (parsed.values.local === true && parsed.values.stage !== undefined) {
    throw new UsageError("--local and --stage exclude each other");
  }
  return parsed;
}

function toCommanderOption(name: string, o: OptionSpec[string]): Option {
  const flags = `${o.short ? `-${o.short}, ` : ""}--${name}${o.type === "string" ? " <value>" : ""}`;
  const option = new Option(flags);
  if (o.multiple)
    option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  return option;
}

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** "error: unknown option '--frm'\n(Did you mean --from?)" → "unknown option '--frm' (did you mean --from?)". */
export function oneLineCommanderMessage(message: string): string {
  return message
    .replace(/^error: /, "")
    .replace(/\s*\n\(Did you mean (.*)\?\)/, " (did you mean $1?)")
    .replace(/\s*\n\s*/g, " ")
    .trim();
}

/** The target options as command-line arguments again, to hand the ones given before a subcommand to it. */
export function targetArgv(values: Record<string, unknown>): string[] {
  const argv: string[] = [];
  for (const name of Object.keys(TARGET_OPTIONS)) {
    const value = values[camel(name)];
    if (value === true) argv.push(`--${name}`);
    else if (typeof value === "string") argv.push(`--${name}`, value);
  }
  return argv;
}

/**
 * Run one entry point's work and turn every failure into one line and an exit code: 2 for a usage
 * error (with a pointer to `--help`), 3 when the target cannot be reached, 1 otherwise.
 */
export async function runEntryPoint(name: string, io: CliIo, work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`error: ${error.message} (see ${name} --help)\n`);
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
    io.stderr.write(`error: ${name} failed: ${e?.name ?? "Error"}: ${e?.message ?? String(error)}\n`);
    if (io.env.TIDEMARK_DEBUG) io.stderr.write(`${e?.stack ?? ""}\n`);
    return unreachable ? EXIT.target : EXIT.findings;
  }
}

export function stringOption(values: ParsedCommand["values"], name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

export function intOption(
  values: ParsedCommand["values"],
  name: string,
  { min = 0, required = false }: { min?: number; required?: boolean } = {},
): number | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) {
    if (required) throw new UsageError(`--${name} is required`);
    return undefined;
  }
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(Number(raw)) || Number(raw) < min) {
    throw new UsageError(`--${name}: "${raw}" is not an integer ≥ ${min}`);
  }
  return Number(raw);
}

export function numberOption(
  values: ParsedCommand["values"],
  name: string,
  min: number,
  max: number,
): number | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name}: "${raw}" is not a number from ${min} to ${max}`);
  }
  return n;
}

export function choiceOption<T extends string>(
  values: ParsedCommand["values"],
  name: string,
  choices: readonly T[],
  required = false,
): T | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) {
    if (required) throw new UsageError(`--${name} is required (${choices.join(" or ")})`);
    return undefined;
  }
  if (!choices.includes(raw as T))
    throw new UsageError(`--${name}: "${raw}" is not one of ${choices.join(", ")}`);
  return raw as T;
}

/** Answers --help: the entry point's usage on stdout; returns the exit code (0). */
export function printUsage(io: { readonly stdout: NodeJS.WritableStream }, usage: string): number {
  io.stdout.write(`${usage}\n`);
  return EXIT.ok;
}

const orList = (items: readonly string[]): string =>
  items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;

/** A missing or unknown action: "say a, b or c" (or `missing`), or `unknown <command> action "x" (a, b or c)`. */
export function unknownAction(
  command: string,
  action: string | undefined,
  actions: readonly string[],
  missing = `say ${orList(actions)}`,
): UsageError {
  return new UsageError(
    action === undefined ? missing : `unknown ${command} action "${action}" (${orList(actions)})`,
  );
}

/** The subcommand's action (its first positional), one of `actions`, or a UsageError saying which are. */
export function actionOf<T extends string>(
  command: string,
  action: string | undefined,
  actions: readonly T[],
  missing?: string,
): T {
  if (action !== undefined && (actions as readonly string[]).includes(action)) return action as T;
  throw unknownAction(command, action, actions, missing);
}

/** Print a result: JSON on stdout with --json, else the human text. */
export function emit(io: CliIo, json: boolean, result: unknown, human: string): void {
  io.stdout.write(
    json ? `${JSON.stringify(result, bigintSafe, 2)}\n` : human.endsWith("\n") ? human : `${human}\n`,
  );
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/** A plain text table. */
export function table(rows: readonly (readonly (string | number | undefined)[])[]): string {
  const cells = rows.map((r) => r.map((c) => (c === undefined ? "-" : String(c))));
  const widths: number[] = [];
  for (const r of cells) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  }
  return cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
