import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { SqlQueryable } from "../../lambdas/sink/SqlQueryable.js";

export interface SinkQueryServer {
  /** `http://127.0.0.1:<port>`: POST a SQL statement as the body, get the rows as JSON. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Read access to the local stack's DuckDB file for other processes (`tidemark verify`, `tidemark health`):
 * DuckDB lets one process open a file for writing and no other process open it at all meanwhile.
 * Only SELECT / WITH statements are served; it listens on loopback only.
 */
export async function startSinkQueryServer(sink: SqlQueryable): Promise<SinkQueryServer> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      const sql = Buffer.concat(chunks).toString("utf8").trim();
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { "content-type": "application/json" });
        response.end(JSON.stringify(body, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
      };
      if (request.method !== "POST" || !/^(select|with)\b/i.test(sql)) {
        reply(400, { error: "POST one SELECT or WITH statement" });
        return;
      }
      sink.query(sql).then(
        (rows) => reply(200, { rows }),
        (error: unknown) => reply(500, { error: error instanceof Error ? error.message : String(error) }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      return stopped;
    },
  };
}

/** The client side: a SqlQueryable over a sink query server. Numbers come back as JSON numbers or strings. */
export function httpSinkQuery(url: string): SqlQueryable {
  return {
    async query<T>(sql: string): Promise<T[]> {
      let response: Response;
      try {
        response = await fetch(url, { method: "POST", body: sql });
      } catch (error) {
        throw new Error(`the sink query server at ${url} is not reachable (is \`tidemark local\` running?)`, {
          cause: error,
        });
      }
      const body = (await response.json()) as { rows?: T[]; error?: string };
      if (!response.ok || !body.rows) throw new Error(`sink query failed: ${body.error ?? response.status}`);
      return body.rows;
    },
  };
}
