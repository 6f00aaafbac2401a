import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startClickHouse } from "../../../scripts/local/clickhouseServer.js";
import { skipWithoutClickHouse } from "../../lambdas/sink/clickhouseGate.js";

async function sql(url: string, query: string): Promise<string> {
  const res = await fetch(`${url}/?query=${encodeURIComponent(query)}`);
  return (await res.text()).trim();
}

describe.skipIf(skipWithoutClickHouse())("startClickHouse", () => {
  it("serves SQL on a loopback port with its files under a temp dir, and removes both on stop", async () => {
    // Act
    const server = await startClickHouse();
    try {
      // Assess
      expect(server.url).toBe(`http://127.0.0.1:${server.httpPort}`);
      expect(await sql(server.url, "SELECT 1 + 1")).toBe("2");
      expect(await sql(server.url, "SELECT count() FROM system.databases WHERE name = 'default'")).toBe("1");
      expect(existsSync(`${server.dir}/data`)).toBe(true);
      expect(existsSync(`${server.dir}/log/server.log`)).toBe(true);
    } finally {
      await server.stop();
    }
    // Assess: the process is gone and its files with it
    expect(server.process.exitCode !== null || server.process.signalCode !== null).toBe(true);
    await expect(fetch(`${server.url}/ping`)).rejects.toThrow();
    expect(existsSync(server.dir)).toBe(false);
  });

  it("starts two servers side by side on different ports", async () => {
    const [a, b] = await Promise.all([startClickHouse(), startClickHouse()]);
    try {
      expect(a.httpPort).not.toBe(b.httpPort);
      await fetch(`${a.url}/?query=${encodeURIComponent("CREATE DATABASE only_a")}`, { method: "POST" });
      expect(await sql(a.url, "SELECT count() FROM system.databases WHERE name = 'only_a'")).toBe("1");
      expect(await sql(b.url, "SELECT count() FROM system.databases WHERE name = 'only_a'")).toBe("0");
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
