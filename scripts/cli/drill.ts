import "./quietLocalRun.js";
import { runDrill } from "../pipeline/runDrill.js";
import { type CliIo, EXIT, intOption, parseCommand, printUsage, runEntryPoint } from "./cliSupport.js";

const USAGE = `Usage: npm run drill -- [--pause <s>] [--poison <n>] [--seed <n>] [--json]

The operator's drill on the local stack: pause the processor, let events pile up, inject poison and a
faulty release, resume, fix, redrive the valid dead-lettered events, verify the sink against the chain.
With --json, stdout is one JSON document (run as \`npm run --silent drill -- --json\`).
Exits 0 when every step passes, 1 when one fails, 2 on a usage error.`;

async function main(io: CliIo): Promise<number> {
  const { values } = parseCommand(
    process.argv.slice(2),
    {
      pause: { type: "string" },
      poison: { type: "string" },
      seed: { type: "string" },
      json: { type: "boolean" },
    },
    0,
    { target: false },
  );
  if (values.help) return printUsage(io, USAGE);
  const json = values.json === true;
  const result = await runDrill({
    pauseSeconds: intOption(values, "pause"),
    poison: intOption(values, "poison"),
    seed: intOption(values, "seed"),
    log: json ? undefined : (line) => io.stdout.write(`${line}\n`),
  });
  io.stdout.write(
    json ? `${JSON.stringify(result, null, 2)}\n` : `\ndrill ${result.ok ? "PASSED" : "FAILED"}\n`,
  );
  return result.ok ? EXIT.ok : EXIT.findings;
}

const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
runEntryPoint("npm run drill", io, () => main(io)).then((code) => process.exit(code));
