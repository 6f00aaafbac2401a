import { startSqsServer } from "./sqsServer.js";

// A child-process entry: the SQS server on its own core, its port on stdout, until stdin closes
// (the parent exited or stopped it).
const server = await startSqsServer({ verifySignatures: process.argv.includes("--verify-signatures") });
process.stdout.write(`${server.port}\n`);
process.stdin.resume();
process.stdin.once("end", () => {
  void server.stop().finally(() => process.exit(0));
});
