import { execFile } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build, type Format } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  LAMBDA_BUNDLE_ALIASES,
  LAMBDA_BUNDLE_OUTPUT,
  LAMBDA_EXTERNAL_MODULES,
} from "../../../lib/compute/lambdaBundling.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

/**
 * What the Tracer asks of the X-Ray SDK's context in a Lambda function: the facade segment, a handler
 * subsegment set as current at the top level (the middleware's `before`), two concurrent captured
 * functions each seeing its own subsegment across awaits, and the handler's again after them.
 */
const ENTRY = `
const AWSXRay = require("aws-xray-sdk-core");
const tick = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
(async () => {
  const facade = AWSXRay.getSegment();
  const handler = facade.addNewSubsegment("## handler");
  AWSXRay.setSegment(handler);
  await tick(2);
  const current = AWSXRay.getSegment() === handler;
  const own = await Promise.all(
    ["a", "b"].map((name, i) =>
      AWSXRay.captureAsyncFunc(name, async (sub) => {
        await tick(i === 0 ? 20 : 1);
        const mine = AWSXRay.getSegment() === sub;
        sub.close();
        return mine;
      }),
    ),
  );
  const after = AWSXRay.getSegment() === handler;
  handler.close();
  AWSXRay.setSegment(facade);
  console.log(JSON.stringify({ facade: facade.facade === true, trace: facade.trace_id, handlerId: handler.id, current, own, after }));
})();
`;

let dir: string;

/** The entry bundled as the functions are, with or without the stand-in for cls-hooked. */
async function bundle(name: string, withStandIn: boolean): Promise<string> {
  const alias: Record<string, string> = { ...LAMBDA_BUNDLE_ALIASES };
  if (!withStandIn) delete alias["cls-hooked/context"];
  const outfile = join(dir, name, "index.js");
  const result = await build({
    stdin: { contents: ENTRY, resolveDir: ROOT, loader: "js" },
    bundle: true,
    platform: "node",
    format: LAMBDA_BUNDLE_OUTPUT.format as Format,
    target: LAMBDA_BUNDLE_OUTPUT.target,
    mainFields: [...LAMBDA_BUNDLE_OUTPUT.mainFields],
    external: [...LAMBDA_EXTERNAL_MODULES],
    alias,
    outfile,
    metafile: true,
    logLevel: "silent",
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.some((p) => p.includes("node_modules/cls-hooked/"))).toBe(!withStandIn);
  return outfile;
}

/** Runs a bundle as Lambda would (its task root, the invocation's trace header), with a daemon listening. */
async function runInLambda(file: string) {
  const daemon = createSocket("udp4");
  const documents: Record<string, unknown>[] = [];
  daemon.on("message", (m) => documents.push(JSON.parse(m.toString("utf8").split("\n")[1] ?? "{}")));
  await new Promise<void>((resolve) => daemon.bind(0, "127.0.0.1", resolve));
  const { stdout } = await promisify(execFile)(process.execPath, [file], {
    env: {
      PATH: process.env.PATH ?? "",
      LAMBDA_TASK_ROOT: dir,
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${(daemon.address() as AddressInfo).port}`,
      _X_AMZN_TRACE_ID: TRACE,
      AWS_XRAY_DEBUG_MODE: "",
    },
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  daemon.close();
  const result = JSON.parse(stdout.trim().split("\n").pop() ?? "{}");
  return { result, documents };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tidemark-cls-"));
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the X-Ray SDK's context on AsyncLocalStorage (lambdas/shared/clsOnAsyncLocalStorage.ts)", () => {
  it("keeps the current segment as cls-hooked does, and the subsegments reach the daemon alike", async () => {
    // Prepare
    const standIn = await bundle("stand-in", true);
    const original = await bundle("cls-hooked", false);

    // Act
    const withStandIn = await runInLambda(standIn);
    const withClsHooked = await runInLambda(original);

    // Assess
    for (const run of [withStandIn, withClsHooked]) {
      expect(run.result).toMatchObject({
        facade: true,
        trace: "1-5759e988-bd862e3fe1be46a994272793",
        current: true,
        own: [true, true],
        after: true,
      });
      const sent = run.documents.map((d) => [d.name, d.trace_id, d.parent_id]).sort();
      expect(sent).toEqual([
        ["## handler", "1-5759e988-bd862e3fe1be46a994272793", "53995c3f42cd8ad8"],
        ["a", "1-5759e988-bd862e3fe1be46a994272793", run.result.handlerId],
        ["b", "1-5759e988-bd862e3fe1be46a994272793", run.result.handlerId],
      ]);
    }
  });
});
