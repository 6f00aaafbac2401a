import { describe, expect, it } from "vitest";
import {
  API_ENV,
  DEFAULT_API_SETTINGS,
  readApiSettings,
  resolveApiSettings,
} from "../../../lambdas/api/apiSettings.js";
import { ConfigError } from "../../../lambdas/shared/errors.js";

describe("readApiSettings", () => {
  it("reads every setting from its variable, defaults for the rest", () => {
    // Act
    const s = readApiSettings({
      [API_ENV.rateLimitPerMinute]: "30",
      [API_ENV.corsOrigins]: "https://a.example, https://b.example",
      [API_ENV.maxRangeSeconds]: "86400",
    });
    // Assess
    expect(s).toEqual({
      ...DEFAULT_API_SETTINGS,
      rateLimitPerMinute: 30,
      corsOrigins: ["https://a.example", "https://b.example"],
      maxRangeSeconds: 86_400,
    });
  });

  it.each([
    [API_ENV.rateLimitPerMinute, "lots"],
    [API_ENV.maxRangeSeconds, "0"],
    [API_ENV.corsOrigins, "not an origin"],
    [API_ENV.dashboardPollMs, "10"],
    [API_ENV.defaultRangeSeconds, "999999999"],
  ])("fails naming %s when it is %j", (name, value) => {
    // Act
    const read = () => readApiSettings({ [name]: value });
    // Assess
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(name);
  });

  it("names the setting itself when given in code", () => {
    expect(() => resolveApiSettings({ checkTimeoutMs: -1 })).toThrow("checkTimeoutMs");
  });
});
