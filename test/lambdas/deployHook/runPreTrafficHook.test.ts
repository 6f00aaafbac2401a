import {
  CodeDeployClient,
  GetDeploymentCommand,
  PutLifecycleEventHookExecutionStatusCommand,
} from "@aws-sdk/client-codedeploy";
import { InvokeCommand, LambdaClient, TooManyRequestsException } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { runPreTrafficHook } from "../../../lambdas/deployHook/runPreTrafficHook.js";
import { deploymentWithAppSpec, fakeClock, hookEvent, recordingLogger, smokePayload } from "./helpers.js";

const codeDeployMock = mockClient(CodeDeployClient);
const lambdaMock = mockClient(LambdaClient);

afterEach(() => {
  codeDeployMock.reset();
  lambdaMock.reset();
});

const throttled = () => new TooManyRequestsException({ message: "Rate exceeded", $metadata: {} });

const run = (deadlineInMs = 60_000) => {
  const clock = fakeClock();
  return runPreTrafficHook({
    event: hookEvent(),
    codeDeploy: new CodeDeployClient({}),
    lambda: new LambdaClient({}),
    logger: recordingLogger(),
    deadline: clock.now() + deadlineInMs,
    now: clock.now,
    sleep: clock.sleep,
  });
};

const reportedStatus = () =>
  codeDeployMock.commandCalls(PutLifecycleEventHookExecutionStatusCommand).map((c) => c.args[0].input);

describe("runPreTrafficHook", () => {
  it("smoke-tests exactly the target version and reports Succeeded when it answers ok", async () => {
    // Prepare
    codeDeployMock.on(GetDeploymentCommand).resolves(deploymentWithAppSpec());
    lambdaMock
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: smokePayload({ ok: true, checks: [] }) });

    // Act
    const outcome = await run();

    // Assess
    expect(outcome.status).toBe("Succeeded");
    const invoke = lambdaMock.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(invoke?.FunctionName).toBe("tidemark-processor");
    expect(invoke?.Qualifier).toBe("5");
    expect(invoke?.InvocationType).toBe("RequestResponse");
    expect(JSON.parse(new TextDecoder().decode(invoke?.Payload as Uint8Array))).toEqual({ smoke: true });
    expect(reportedStatus()).toEqual([
      { deploymentId: "d-ABC123", lifecycleEventHookExecutionId: "hook-exec-1", status: "Succeeded" },
    ]);
  });

  it("reports Failed and names the failing checks when the version answers ok: false", async () => {
    // Prepare
    codeDeployMock.on(GetDeploymentCommand).resolves(deploymentWithAppSpec());
    lambdaMock.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: smokePayload({
        ok: false,
        checks: [
          { name: "config", ok: true, detail: "" },
          { name: "stateTable", ok: false, detail: "AccessDeniedException" },
        ],
      }),
    });

    // Act
    const outcome = await run();

    // Assess
    expect(outcome.status).toBe("Failed");
    expect(outcome.detail).toContain("stateTable (AccessDeniedException)");
    expect(outcome.detail).not.toContain("config");
    expect(reportedStatus().map((s) => s.status)).toEqual(["Failed"]);
  });

  it("reports Failed when the new version throws", async () => {
    // Prepare
    codeDeployMock.on(GetDeploymentCommand).resolves(deploymentWithAppSpec());
    lambdaMock.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: "Unhandled",
      Payload: smokePayload({ errorType: "ConfigError", errorMessage: "QUEUE_URL: is required" }),
    });

    // Act
    const outcome = await run();

    // Assess
    expect(outcome.status).toBe("Failed");
    expect(outcome.detail).toContain("QUEUE_URL: is required");
    expect(reportedStatus().map((s) => s.status)).toEqual(["Failed"]);
  });

  it("reports Failed when the answer is not the smoke contract", async () => {
    // Prepare
    codeDeployMock.on(GetDeploymentCommand).resolves(deploymentWithAppSpec());
    lambdaMock
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: smokePayload({ batchItemFailures: [] }) });

    // Act
    const outcome = await run();

    // Assess
    expect(outcome.status).toBe("Failed");
    expect(reportedStatus().map((s) => s.status)).toEqual(["Failed"]);
  });

  it("waits out throttling (the ingestor's single reserved slot is busy) and then passes", async () => {
    // Prepare
    codeDeployMock.on(GetDeploymentCommand).resolves(deploymentWithAppSpec());
    lambdaMock
      .on(InvokeCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolves({
        StatusCode: 200,
        Payload: smokePayload({ ok: true, checks: [{ name: "rpc", ok: true }] }),
      });

    // Act
    const outcome = await run();

    // Assess
    expect(outcome.status).toBe("Succeeded");
    expect(outcome.smoke?.attempts).toBe(3);
    expect(reportedStatus().map((s) => s.status)).toEqual(["Succeeded"]);
  });

  it("reports Failed when throttling outlasts the deadline", async () => {
    // Prepare
    codeDeployMock.on(GetDeploymentCommand).resolves(deploymentWithAppSpec());
    lambdaMock.on(InvokeCommand).rejects(throttled());

    // Act
    const outcome = await run(30_000);

    // Assess
    expect(outcome.status).toBe("Failed");
    expect(outcome.detail).toContain("TooManyRequestsException");
    expect(lambdaMock.commandCalls(InvokeCommand).length).toBeGreaterThan(1);
    expect(reportedStatus().map((s) => s.status)).toEqual(["Failed"]);
  });

  it("reports Failed without invoking anything when the deployment names no target version", async () => {
    // Prepare
    codeDeployMock
      .on(GetDeploymentCommand)
      .resolves(deploymentWithAppSpec({ Name: "tidemark-processor", Alias: "live" }));

    // Act
    const outcome = await run();

    // Assess
    expect(outcome.status).toBe("Failed");
    expect(outcome.detail).toContain("target version");
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
    expect(reportedStatus().map((s) => s.status)).toEqual(["Failed"]);
  });

  it("throws when the status cannot be reported, so Lambda retries the hook", async () => {
    // Prepare
    codeDeployMock.on(GetDeploymentCommand).resolves(deploymentWithAppSpec());
    lambdaMock
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: smokePayload({ ok: true, checks: [] }) });
    codeDeployMock.on(PutLifecycleEventHookExecutionStatusCommand).rejects(new Error("ThrottlingException"));

    // Act
    const act = run();

    // Assess
    await expect(act).rejects.toThrow("ThrottlingException");
  });
});
