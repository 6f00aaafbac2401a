import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { defaultProvider } from "../../../lambdas/shared/lambdaCredentialProvider.js";

const CREDENTIAL_ENV = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN",
];

/** Clears every credential setting, so each test states the environment it means. */
const clearCredentialEnv = () => {
  for (const name of CREDENTIAL_ENV) vi.stubEnv(name, "");
};

let server: Server | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

describe("defaultProvider (the Lambda bundles' credential chain)", () => {
  it("returns the execution role's credentials from the environment, as Lambda sets them", async () => {
    // Prepare
    clearCredentialEnv();
    vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIDLAMBDA");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "secret");
    vi.stubEnv("AWS_SESSION_TOKEN", "token");

    // Act
    const credentials = await defaultProvider()();

    // Assess
    expect(credentials).toMatchObject({
      accessKeyId: "AKIDLAMBDA",
      secretAccessKey: "secret",
      sessionToken: "token",
    });
  });

  it("reads the container credentials endpoint when the environment has no keys (Managed Instances, SnapStart)", async () => {
    // Prepare: a loopback stand-in for the container credentials endpoint, checking the token header.
    const seen: (string | undefined)[] = [];
    server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          AccessKeyId: "AKIDCONTAINER",
          SecretAccessKey: "container-secret",
          Token: "container-token",
          Expiration: new Date(Date.now() + 3_600_000).toISOString(),
        }),
      );
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    clearCredentialEnv();
    vi.stubEnv("AWS_CONTAINER_CREDENTIALS_FULL_URI", `http://127.0.0.1:${port}/credentials`);
    vi.stubEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "auth-token");

    // Act
    const credentials = await defaultProvider()();

    // Assess
    expect(credentials).toMatchObject({ accessKeyId: "AKIDCONTAINER", sessionToken: "container-token" });
    expect(seen).toEqual(["auth-token"]);
  });

  it("names the settings it looked for when there are no credentials", async () => {
    // Prepare
    clearCredentialEnv();

    // Act
    const resolving = defaultProvider()();

    // Assess
    await expect(resolving).rejects.toThrow(/AWS_ACCESS_KEY_ID.*AWS_CONTAINER_CREDENTIALS_FULL_URI/);
  });
});
