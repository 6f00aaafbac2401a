import { BadParameterError } from "./errors.js";

/**
 * Opaque page cursors: the sort key of the last item served, as base64url
 * JSON. Keyset pagination, so a page never repeats or skips a row when new
 * rows arrive between requests.
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): readonly (string | number)[] {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new BadParameterError("cursor", "not a cursor this API issued");
  }
  if (
    !Array.isArray(key) ||
    key.length === 0 ||
    !key.every((k) => (typeof k === "number" && Number.isSafeInteger(k)) || typeof k === "string")
  ) {
    throw new BadParameterError("cursor", "not a cursor this API issued");
  }
  return key;
}

/** The numeric first component of a cursor (lists keyed by one number). */
export function cursorNumber(key: readonly (string | number)[] | undefined): number | undefined {
  if (key === undefined) return undefined;
  const [n] = key;
  if (typeof n !== "number") throw new BadParameterError("cursor", "not a cursor of this list");
  return n;
}
