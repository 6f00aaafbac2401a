/**
 * Canonical JSON, as RFC 8785 (JCS) defines it for the values JSON.parse produces: object keys sorted
 * by UTF-16 code units, no whitespace, strings escaped and numbers written as ECMAScript's
 * JSON.stringify does (JCS adopts exactly that serialization). Two parties that parse the same JSON get
 * the same bytes, which is what payloadSha256, receipts and Merkle leaves hash.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("canonical JSON has no NaN or Infinity");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
}
