import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import type { Json, TemplateResource } from "../synthStage.js";
import { synthStage } from "../synthStage.js";
import { bundledSources, HANDLER_ENTRIES } from "./envReads.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const TRACING = "lambdas/shared/tracing.ts";

let resources: Record<string, TemplateResource>;
const sources: Record<string, string[]> = {};

beforeAll(async () => {
  resources = synthStage("dev").service.toJSON().Resources;
  for (const [service, entry] of Object.entries(HANDLER_ENTRIES))
    sources[service] = await bundledSources(entry);
}, 600_000);

const functions = () =>
  Object.entries(resources).filter(([, r]) => r.Type === "AWS::Lambda::Function") as [
    string,
    TemplateResource,
  ][];

describe("tracing contract: every function is traced with X-Ray, in the template and in its code", () => {
  it("turns Active tracing on for every function, with the role to send its traces", () => {
    // Assess
    const untraced = functions()
      .filter(([, r]) => r.Properties.TracingConfig?.Mode !== "Active")
      .map(([id]) => id);
    expect(untraced).toEqual([]);
    for (const [id, r] of functions()) {
      const role = r.Properties.Role["Fn::GetAtt"][0];
      const actions = Object.values(resources)
        .filter((p) => p.Type === "AWS::IAM::Policy" && p.Properties.Roles.some((x: Json) => x.Ref === role))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Json[])
        .flatMap((st) => [st.Action].flat());
      expect(actions, id).toEqual(
        expect.arrayContaining(["xray:PutTraceSegments", "xray:PutTelemetryRecords"]),
      );
    }
  });

  it("bundles the Tracer into every function's handler", () => {
    // Assess: every function in the template has a handler entry, and each bundles lambdas/shared/tracing.ts.
    const services = functions().map(([, r]) => r.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME);
    expect(services.filter((s) => HANDLER_ENTRIES[s] === undefined)).toEqual([]);
    const without = Object.entries(sources)
      .filter(([, files]) => !files.includes(TRACING))
      .map(([service]) => service);
    expect(without).toEqual([]);
  });

  it("captures every AWS SDK client a handler builds (each `new …Client(` inside traced())", () => {
    // Assess
    const bare: string[] = [];
    for (const file of new Set(Object.values(sources).flat())) {
      const text = readFileSync(`${ROOT}${file}`, "utf8");
      for (const m of text.matchAll(/(traced\()?new (\w+Client)\(/g))
        if (!m[1] && /^[A-Z]\w*Client$/.test(m[2] ?? "")) bare.push(`${file}: new ${m[2]}(`);
    }
    expect(bare).toEqual([]);
  });
});
