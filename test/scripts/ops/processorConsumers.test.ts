import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  GetEventSourceMappingCommand,
  LambdaClient,
  UpdateEventSourceMappingCommand,
} from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { getConsumers, setConsumers, waitForConsumers } from "../../../scripts/ops/processorConsumers.js";

const lambdaMock = mockClient(LambdaClient);
afterEach(() => lambdaMock.reset());
const aws = () => ({
  kind: "aws" as const,
  lambda: new LambdaClient({ region: "eu-west-1" }),
  mappingId: "uuid-1",
});

describe("processorConsumers", () => {
  it("pauses by disabling the event source mapping and waits until it is disabled", async () => {
    // Prepare
    lambdaMock.on(UpdateEventSourceMappingCommand).resolves({ State: "Disabling" });
    lambdaMock
      .on(GetEventSourceMappingCommand)
      .resolvesOnce({ State: "Disabling" })
      .resolves({ State: "Disabled" });
    // Act
    const first = await setConsumers(aws(), false);
    const settled = await waitForConsumers(aws(), false, 10_000, 1);
    // Assess
    expect(lambdaMock.commandCalls(UpdateEventSourceMappingCommand)[0]?.args[0].input).toEqual({
      UUID: "uuid-1",
      Enabled: false,
    });
    expect(first.state).toBe("Disabling");
    expect(settled).toMatchObject({ state: "Disabled", enabled: false });
  });

  it("resumes by enabling it", async () => {
    // Prepare
    lambdaMock.on(UpdateEventSourceMappingCommand).resolves({ State: "Enabling" });
    // Act
    const status = await setConsumers(aws(), true);
    // Assess
    expect(lambdaMock.commandCalls(UpdateEventSourceMappingCommand)[0]?.args[0].input).toEqual({
      UUID: "uuid-1",
      Enabled: true,
    });
    expect(status.enabled).toBe(true);
  });

  it("switches the local poller through its switch file", async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), "tidemark-switch-"));
    const local = { kind: "local" as const, switchFile: join(dir, "consumers.json") };
    try {
      // Act
      const initially = await getConsumers(local);
      await setConsumers(local, false);
      const paused = await getConsumers(local);
      // Assess
      expect(initially.enabled).toBe(true);
      expect(paused).toMatchObject({ state: "Disabled", enabled: false });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
