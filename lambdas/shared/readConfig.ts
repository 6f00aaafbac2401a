import * as z from "zod/mini";
import { ConfigError } from "./errors.js";

/** A function's environment (process.env in Lambda, a plain object in tests and local runs). */
export type Env = Readonly<Record<string, string | undefined>>;

/** The schema of one setting's value: a trimmed string, or undefined when unset or blank. */
export type SettingSchema<T> = z.ZodMiniType<T, string | undefined>;

/**
 * One setting, validated by `schema`. The value reaches the schema trimmed, and blank as undefined,
 * so "unset" has one meaning; the first problem the schema finds is thrown as a ConfigError naming
 * the variable.
 */
export function readSetting<T>(env: Env, name: string, schema: SettingSchema<T>): T {
  const raw = env[name]?.trim();
  const parsed = schema.safeParse(raw === "" ? undefined : raw);
  if (!parsed.success) throw new ConfigError(name, parsed.error.issues[0]?.message ?? "is invalid");
  return parsed.data;
}

const present = (value: string | undefined): value is string => value !== undefined;

/** A required string. */
export const requiredString = (problem = "is required"): SettingSchema<string> =>
  z.custom<string>(present, { error: problem }) as SettingSchema<string>;

/** A DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -). */
export const tableNameSetting = (): SettingSchema<string> =>
  z.pipe(
    requiredString(),
    z.string().check(
      z.refine((v) => /^[a-zA-Z0-9_.-]{3,255}$/.test(v), {
        error: (issue) =>
          `"${String(issue.input)}" is not a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -)`,
      }),
    ),
  ) as SettingSchema<string>;

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

/** A required http(s) URL. */
export const httpUrlSetting = (problem = "is required"): SettingSchema<string> =>
  z.pipe(
    requiredString(problem),
    z
      .string()
      .check(z.refine(isHttpUrl, { error: (issue) => `"${String(issue.input)}" is not an http(s) URL` })),
  ) as SettingSchema<string>;

/** A positive integer, `fallback` when unset. */
export const positiveIntSetting = (fallback: number): SettingSchema<number> =>
  z.pipe(
    z.optional(z.string()),
    z.transform((value, ctx) => {
      if (value === undefined) return fallback;
      const n = Number(value);
      if (!/^[0-9]+$/.test(value) || n < 1 || !Number.isSafeInteger(n)) {
        ctx.issues.push({
          code: "custom",
          input: value,
          message: `expected a positive integer, got "${value}"`,
        });
        return z.NEVER;
      }
      return n;
    }),
  ) as SettingSchema<number>;

/** One of `values`, `fallback` when unset. */
export const enumSetting = <const V extends string>(
  values: readonly V[],
  fallback: V,
  problem: (value: string) => string,
): SettingSchema<V> =>
  z.pipe(
    z.optional(z.string()),
    z.transform((value, ctx) => {
      if (value === undefined) return fallback;
      if ((values as readonly string[]).includes(value)) return value as V;
      ctx.issues.push({ code: "custom", input: value, message: problem(value) });
      return z.NEVER;
    }),
  ) as SettingSchema<V>;

/** Inclusive bounds of an integer setting. */
export type IntegerBounds = readonly [min: number, max: number];

/**
 * Whole-number settings within bounds: each one's environment variable, when set and not blank, wins
 * over `values` (defaults merged with the caller's overrides); then every one is checked. The first
 * bad one throws ConfigError naming its variable, or the setting itself when it has none.
 */
export function resolveIntegerSettings<K extends string>(
  values: { readonly [P in NoInfer<K>]?: unknown },
  bounds: { readonly [P in K]: IntegerBounds },
  env: Env,
  names: { readonly [P in NoInfer<K>]?: string },
): Record<K, number> {
  const resolved = {} as Record<K, number>;
  for (const key of Object.keys(bounds) as K[]) {
    const variable = names[key];
    const raw = variable === undefined ? undefined : env[variable]?.trim();
    let value = values[key];
    if (raw !== undefined && raw !== "") {
      if (!/^-?[0-9]+$/.test(raw)) throw new ConfigError(variable ?? key, `not a whole number: ${raw}`);
      value = Number(raw);
    }
    const [min, max] = bounds[key];
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(
        variable ?? key,
        `expected an integer in [${min}, ${max}], got ${JSON.stringify(value)}`,
      );
    }
    resolved[key] = value;
  }
  return resolved;
}
