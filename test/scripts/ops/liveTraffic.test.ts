import {
  CodeDeployClient,
  GetDeploymentCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
} from "@aws-sdk/client-codedeploy";
import { GetAliasCommand, LambdaClient, UpdateAliasCommand } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { getTraffic, rollbackTraffic, shiftTraffic, TrafficError } from "../../../scripts/ops/liveTraffic.js";

const lambdaMock = mockClient(LambdaClient);
const codedeployMock = mockClient(CodeDeployClient);
const target = () => ({
  lambda: new LambdaClient({ region: "eu-west-1" }),
  codedeploy: new CodeDeployClient({ region: "eu-west-1" }),
  functionName: "tidemark-processor",
  application: "app",
  deploymentGroup: "processor-group",
});

afterEach(() => {
  lambdaMock.reset();
  codedeployMock.reset();
});

const canary = () => {
  lambdaMock
    .on(GetAliasCommand)
    .resolves({ FunctionVersion: "7", RoutingConfig: { AdditionalVersionWeights: { "8": 0.1 } } });
  codedeployMock.on(ListDeploymentsCommand).resolves({ deployments: ["d-123"] });
  codedeployMock.on(GetDeploymentCommand).resolves({
    deploymentInfo: {
      deploymentId: "d-123",
      status: "InProgress",
      deploymentConfigName: "CodeDeployDefault.LambdaCanary10Percent5Minutes",
    },
  });
};

describe("liveTraffic", () => {
  it("reports the alias's versions and weights and the deployment shifting it", async () => {
    // Prepare
    canary();
    // Act
    const traffic = await getTraffic(target());
    // Assess
    expect(traffic).toMatchObject({ alias: "live", primaryVersion: "7", additional: { "8": 0.1 } });
    expect(traffic.deployment).toMatchObject({ id: "d-123", status: "InProgress" });
    expect(codedeployMock.commandCalls(ListDeploymentsCommand)[0]?.args[0].input).toMatchObject({
      applicationName: "app",
      deploymentGroupName: "processor-group",
    });
  });

  it("rolls back a deployment in progress by stopping it with automatic rollback", async () => {
    // Prepare
    canary();
    codedeployMock.on(StopDeploymentCommand).resolves({ status: "Pending" });
    // Act
    const outcome = await rollbackTraffic(target());
    // Assess
    expect(outcome.how).toBe("stopped-deployment");
    expect(codedeployMock.commandCalls(StopDeploymentCommand)[0]?.args[0].input).toEqual({
      deploymentId: "d-123",
      autoRollbackEnabled: true,
    });
    expect(lambdaMock.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });

  it("rolls back with no deployment by pointing the alias at the given version", async () => {
    // Prepare
    lambdaMock.on(GetAliasCommand).resolves({ FunctionVersion: "8" });
    codedeployMock.on(ListDeploymentsCommand).resolves({ deployments: [] });
    // Act
    await rollbackTraffic(target(), "7");
    // Assess
    expect(lambdaMock.commandCalls(UpdateAliasCommand)[0]?.args[0].input).toMatchObject({
      Name: "live",
      FunctionVersion: "7",
      RoutingConfig: { AdditionalVersionWeights: {} },
    });
  });

  it("refuses a manual shift while CodeDeploy shifts the alias", async () => {
    // Prepare
    canary();
    // Act
    const shifting = shiftTraffic(target(), "8", 0.5);
    // Assess
    await expect(shifting).rejects.toThrow(TrafficError);
    await expect(shifting).rejects.toThrow(/d-123 is InProgress/);
    expect(lambdaMock.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });

  it("shifts a manual canary weight to a version", async () => {
    // Prepare
    lambdaMock.on(GetAliasCommand).resolves({ FunctionVersion: "7" });
    codedeployMock.on(ListDeploymentsCommand).resolves({ deployments: [] });
    // Act
    await shiftTraffic(target(), "8", 0.25);
    // Assess
    expect(lambdaMock.commandCalls(UpdateAliasCommand)[0]?.args[0].input).toMatchObject({
      FunctionVersion: "7",
      RoutingConfig: { AdditionalVersionWeights: { "8": 0.25 } },
    });
  });
});
