/**
 * The dry-run contract every Tidemark handler answers: the pre-traffic hook invokes a new version with
 * `SMOKE_EVENT`; the handler checks its configuration and that each dependency answers, writes nothing,
 * and returns a `SmokeResult`. The hook passes the version only on `{ ok: true }`.
 */
export interface SmokeEvent {
  readonly smoke: true;
}

export const SMOKE_EVENT: SmokeEvent = { smoke: true };

/** True for the hook's dry-run request; anything else (a schedule, an SQS batch) is real work. */
export function isSmokeEvent(event: unknown): event is SmokeEvent {
  return typeof event === "object" && event !== null && (event as { smoke?: unknown }).smoke === true;
}

/** One dependency's answer. */
export interface SmokeCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface SmokeResult {
  readonly ok: boolean;
  readonly checks: readonly SmokeCheck[];
}

/** Runs one check: its resolved value is the detail of a pass, its error the detail of a failure. */
export async function smokeCheck(name: string, run: () => Promise<string>): Promise<SmokeCheck> {
  try {
    return { name, ok: true, detail: await run() };
  } catch (error) {
    return { name, ok: false, detail: describeError(error) };
  }
}

/** The result of checks: ok only when every one passed. */
export function smokeResult(checks: readonly SmokeCheck[]): SmokeResult {
  return { ok: checks.every((c) => c.ok), checks };
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
