import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests start real local parts (anvil, DynamoDB Local, SQS server); give them room.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Two cores: more workers than that only makes the local parts fight for CPU.
    maxWorkers: 2,
    restoreMocks: true,
    // SDK versions are pinned by the lock file; Lambda runs Node 22. The warning only adds noise here.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
