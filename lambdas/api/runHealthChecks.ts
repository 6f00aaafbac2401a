/** Resolves when the dependency answers; throws (or rejects) when it does not. */
export type DependencyCheck = () => Promise<unknown>;

export interface CheckResult {
  readonly status: "up" | "down";
  readonly responseTimeMs: number;
  readonly error?: string;
}

export interface HealthReport {
  readonly status: "healthy" | "unhealthy";
  readonly version: string;
  readonly uptimeSeconds: number;
  /** ISO 8601. */
  readonly timestamp: string;
  readonly checks: Readonly<Record<string, CheckResult>>;
}

export interface RunHealthChecksParameters {
  readonly checks: Readonly<Record<string, DependencyCheck>>;
  readonly version: string;
  readonly startedAtMs: number;
  readonly nowMs: () => number;
  /** A check that has not answered by then is down. */
  readonly timeoutMs: number;
}

/** Runs every dependency check at once, each timed and bounded; unhealthy when any is down. */
export async function runHealthChecks(p: RunHealthChecksParameters): Promise<HealthReport> {
  const entries = await Promise.all(
    Object.entries(p.checks).map(async ([name, check]): Promise<[string, CheckResult]> => {
      const start = p.nowMs();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${p.timeoutMs} ms`)), p.timeoutMs);
          }),
        ]);
        return [name, { status: "up", responseTimeMs: elapsed(start, p.nowMs()) }];
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return [name, { status: "down", responseTimeMs: elapsed(start, p.nowMs()), error: message }];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const checks = Object.fromEntries(entries);
  const now = p.nowMs();
  return {
    status: entries.every(([, r]) => r.status === "up") ? "healthy" : "unhealthy",
    version: p.version,
    uptimeSeconds: Math.floor((now - p.startedAtMs) / 1000),
    timestamp: new Date(now).toISOString(),
    checks,
  };
}

const elapsed = (start: number, end: number): number => Math.round((end - start) * 100) / 100;
