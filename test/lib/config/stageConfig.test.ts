import { RemovalPolicy } from "aws-cdk-lib";
import { describe, expect, it } from "vitest";
import { STAGE_CONFIGS, stageConfigFromContext } from "../../../lib/config/stageConfig.js";

describe("stageConfigFromContext", () => {
  it("defaults to dev", () => {
    // Act
    const config = stageConfigFromContext({});

    // Assess
    expect(config.stage).toBe("dev");
    expect(config.removalPolicy).toBe(RemovalPolicy.DESTROY);
  });

  it("retains and protects data in prod only", () => {
    // Assess
    expect(STAGE_CONFIGS.prod).toMatchObject({
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    });
    expect(STAGE_CONFIGS.staging).toMatchObject({
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: false,
    });
    expect(STAGE_CONFIGS.dev).toMatchObject({
      removalPolicy: RemovalPolicy.DESTROY,
      deletionProtection: false,
    });
  });

  it("takes the alarm e-mail, secret name and start blocks from context (strings from -c)", () => {
    // Act
    const config = stageConfigFromContext({
      stage: "prod",
      alarmEmail: "ops@example.com",
      rpcUrlsSecretName: "custom/rpc",
      l1StartBlock: "22000000",
      l2StartBlock: 1_500_000,
    });

    // Assess
    expect(config).toMatchObject({
      stage: "prod",
      alarmEmail: "ops@example.com",
      rpcUrlsSecretName: "custom/rpc",
      startBlocks: { l1: 22_000_000, l2: 1_500_000 },
    });
  });

  it("names every bad context key at once", () => {
    // Act
    const act = () =>
      stageConfigFromContext({ stage: "qa", alarmEmail: "not-an-address", l1StartBlock: "-1" });

    // Assess
    expect(act).toThrow(
      /stage "qa" is not one of dev, staging, prod[\s\S]*alarmEmail "not-an-address"[\s\S]*l1StartBlock "-1"/,
    );
  });
});
