import * as z from "zod/mini";
import type { ApiSettings } from "./apiSettings.js";
import { decodeCursor } from "./cursor.js";
import { BadParameterError } from "./errors.js";

/** A window of unix seconds: `gte` inclusive, `lt` exclusive. */
export interface TimeRange {
  readonly gte: number;
  readonly lt: number;
}

/** What a request asked for, validated: the window (clamped), block range, page and filters. */
export interface ApiQuery {
  readonly range: TimeRange & {
    /** True when the asked window was wider than the maximum and its older part was cut. */
    readonly clamped: boolean;
  };
  readonly block: { readonly gte?: number; readonly lt?: number };
  readonly limit: number;
  /** The sort key of the last item of the previous page. */
  readonly cursor?: readonly (string | number)[];
  readonly address?: string;
  readonly chain?: "l1" | "l2";
}

export const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 100;

const Time = z.union([
  z.string().check(z.regex(/^\d{1,11}$/)),
  z.iso.datetime({ offset: true }),
  z.iso.date(),
]);
const BlockNumber = z.string().check(z.regex(/^\d{1,15}$/));

/** Every query parameter the API knows, with its schema and description: the one source for validation and OpenAPI. */
export const API_PARAMS = {
  "created[gte]": {
    schema: Time,
    description:
      "Start of the window (inclusive): unix seconds or ISO 8601. Default: `created[lt]` minus the default range (24 h). A window wider than the maximum (7 days by default) is clamped to its latest part.",
  },
  "created[lt]": {
    schema: Time,
    description: "End of the window (exclusive): unix seconds or ISO 8601. Default: now.",
  },
  "block[gte]": {
    schema: BlockNumber,
    description: "Lowest block number (inclusive) of the endpoint's chain.",
  },
  "block[lt]": { schema: BlockNumber, description: "Block number upper bound (exclusive)." },
  limit: {
    schema: z.string().check(z.regex(/^\d{1,4}$/)),
    description: `Items per page, 1–${MAX_LIMIT} (default ${DEFAULT_LIMIT}).`,
  },
  cursor: {
    schema: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,200}$/)),
    description: "Opaque cursor from a previous page's `nextCursor`.",
  },
  address: {
    schema: z.string().check(z.regex(/^0x[0-9a-fA-F]{40}$/)),
    description: "Only rows of this address (the sequencer for L2 blocks, the proposer for batches).",
  },
  chain: { schema: z.enum(["l1", "l2"]), description: "Only this chain (`l1` or `l2`)." },
} as const;

export type ApiParamName = keyof typeof API_PARAMS;

/**
 * Validates the raw query string of a request into an ApiQuery. Only the
 * parameters in `accepted` are read; the first bad one throws BadParameterError
 * naming it.
 */
export function parseApiQuery(
  raw: Readonly<Record<string, string | undefined>>,
  accepted: readonly ApiParamName[],
  nowSeconds: number,
  settings: Pick<ApiSettings, "maxRangeSeconds" | "defaultRangeSeconds">,
): ApiQuery {
  const v: Partial<Record<ApiParamName, string>> = {};
  for (const name of accepted) {
    const value = raw[name];
    if (value === undefined) continue;
    const result = API_PARAMS[name].schema.safeParse(value);
    if (!result.success) throw new BadParameterError(name, `invalid value ${JSON.stringify(value)}`);
    v[name] = value;
  }
  const lt = v["created[lt]"] === undefined ? nowSeconds : toSeconds("created[lt]", v["created[lt]"]);
  let gte =
    v["created[gte]"] === undefined
      ? lt - settings.defaultRangeSeconds
      : toSeconds("created[gte]", v["created[gte]"]);
  if (gte >= lt) throw new BadParameterError("created[gte]", "must be before created[lt]");
  const clamped = lt - gte > settings.maxRangeSeconds;
  if (clamped) gte = lt - settings.maxRangeSeconds;
  const blockGte = v["block[gte]"] === undefined ? undefined : Number(v["block[gte]"]);
  const blockLt = v["block[lt]"] === undefined ? undefined : Number(v["block[lt]"]);
  if (blockGte !== undefined && blockLt !== undefined && blockGte >= blockLt) {
    throw new BadParameterError("block[gte]", "must be below block[lt]");
  }
  const limit = v.limit === undefined ? DEFAULT_LIMIT : Number(v.limit);
  if (limit < 1 || limit > MAX_LIMIT) throw new BadParameterError("limit", `must be 1–${MAX_LIMIT}`);
  return {
    range: { gte, lt, clamped },
    block: { gte: blockGte, lt: blockLt },
    limit,
    cursor: v.cursor === undefined ? undefined : decodeCursor(v.cursor),
    address: v.address?.toLowerCase(),
    chain: v.chain as "l1" | "l2" | undefined,
  };
}

function toSeconds(name: string, value: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new BadParameterError(name, `invalid time ${JSON.stringify(value)}`);
  return Math.floor(ms / 1000);
}
