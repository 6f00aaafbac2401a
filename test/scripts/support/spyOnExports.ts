import { vi } from "vitest";

/**
 * The module with every exported function wrapped in a call-through spy: a test mocks a shipped module
 * with it (`vi.mock(path, async (original) => spyOnExports(await original()))`) to record which of the
 * shipped functions a scenario really ran, without changing what they do.
 */
export function spyOnExports<T extends object>(module: T): T {
  return Object.fromEntries(
    Object.entries(module).map(([name, value]) => [
      name,
      typeof value === "function" ? vi.fn(value as (...args: unknown[]) => unknown) : value,
    ]),
  ) as T;
}
