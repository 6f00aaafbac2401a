/**
 * ClickHouse's HTTP interface over `fetch`: no driver, so the Lambda bundle
 * stays small and the same code speaks to 18.16 and to current servers (the
 * official client's newer features, query parameters among them, 18.16 lacks).
 */
export interface ClickHouseConnection {
  /** Base URL of the HTTP interface, e.g. `http://127.0.0.1:8123` or `https://host:8443`. */
  readonly url: string;
  /** @default "default" */
  readonly username?: string;
  readonly password?: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Per request. @default 30_000 */
  readonly timeoutMs?: number;
}

export interface ClickHouseRequest {
  /** Default database of the statement (unqualified names resolve here). */
  readonly database?: string;
  /** Settings sent as URL parameters (e.g. insert_deduplication_token). */
  readonly settings?: Readonly<Record<string, string>>;
  /** Data for an INSERT … FORMAT …; the statement then travels in the URL. */
  readonly data?: string;
}

/** ClickHouse answered with an error, or could not be reached; `status` is absent when no answer came. */
export class ClickHouseRequestError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ClickHouseRequestError";
  }
}

export interface ClickHouseHttp {
  /** Runs one statement; resolves with the response body once ClickHouse has finished it. */
  exec(sql: string, request?: ClickHouseRequest): Promise<string>;
}

export function createClickHouseHttp(connection: ClickHouseConnection): ClickHouseHttp {
  const doFetch = connection.fetch ?? globalThis.fetch;
  const timeoutMs = connection.timeoutMs ?? 30_000;
  const base = connection.url.replace(/\/+$/, "");
  const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8" };
  // Basic auth: the one scheme every version's HTTP interface accepts.
  const user = connection.username ?? "default";
  headers.authorization = `Basic ${Buffer.from(`${user}:${connection.password ?? ""}`).toString("base64")}`;

  return {
    async exec(sql, request = {}) {
      const params = new URLSearchParams();
      if (request.database !== undefined) params.set("database", request.database);
      // The answer (status included) is sent only after the statement finished: an error cannot hide behind a 200.
      params.set("wait_end_of_query", "1");
      for (const [k, v] of Object.entries(request.settings ?? {})) params.set(k, v);
      if (request.data !== undefined) params.set("query", sql);
      let response: Response;
      let text: string;
      try {
        response = await doFetch(`${base}/?${params}`, {
          method: "POST",
          headers,
          body: request.data ?? sql,
          signal: AbortSignal.timeout(timeoutMs),
        });
        text = await response.text();
      } catch (error) {
        throw new ClickHouseRequestError(
          `ClickHouse at ${base} unreachable: ${error instanceof Error ? error.message : String(error)}`,
          undefined,
          { cause: error },
        );
      }
      if (!response.ok) {
        throw new ClickHouseRequestError(
          `ClickHouse HTTP ${response.status}: ${text.trim().slice(0, 1000)}`,
          response.status,
        );
      }
      return text;
    },
  };
}
