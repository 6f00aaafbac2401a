import { verifyReceiptFileCommand } from "../../ops/verifyReceiptFile.js";
import { actionOf, EXIT, emit, parseCommand, printUsage, stringOption, UsageError } from "../cliSupport.js";
import type { Command } from "./command.js";

const USAGE = `Usage: tidemark receipt verify FILE (--public-key HEX | --keys FILE)

Verify a signed receipt offline (a saved GET /v1/receipts/{eventId}, or a POST answer's \`receipt\`)
against a key you already trust: --public-key (hex Ed25519) or --keys (a saved GET /v1/keys).
Exit 0 when it verifies, 1 when it does not.

Options
  --json                    print the result as JSON
  -h, --help                this text`;

export const receiptCommand: Command = {
  name: "receipt",
  summary: "verify an ingest API receipt offline",
  usage: USAGE,
  async run(argv, io) {
    const parsed = parseCommand(
      argv,
      { "public-key": { type: "string" }, keys: { type: "string" }, json: { type: "boolean" } },
      2,
      { target: false },
    );
    if (parsed.values.help) return printUsage(io, USAGE);
    const [action, file] = parsed.positionals;
    actionOf("receipt", action, ["verify"], "say verify FILE");
    if (file === undefined) throw new UsageError("receipt verify needs FILE");
    const publicKey = stringOption(parsed.values, "public-key");
    const keysFile = stringOption(parsed.values, "keys");
    if (publicKey === undefined && keysFile === undefined) {
      throw new UsageError("receipt verify needs the trusted key: --public-key HEX or --keys FILE");
    }
    const result = await verifyReceiptFileCommand({
      file,
      ...(publicKey !== undefined ? { publicKey } : {}),
      ...(keysFile !== undefined ? { keysFile } : {}),
    });
    const r = result.receipt;
    emit(
      io,
      parsed.values.json === true,
      result,
      result.valid
        ? `receipt valid: ${r?.stream} #${r?.sequence} ${r?.eventId}`
        : `receipt INVALID: ${result.problems.join("; ")}`,
    );
    return result.valid ? EXIT.ok : EXIT.findings;
  },
};
