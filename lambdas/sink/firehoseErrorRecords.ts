import { gunzipSync } from "node:zlib";
import { decodeFirehoseRow } from "./decodeFirehoseRow.js";

/** Where Firehose writes what it could not deliver to Iceberg, in the sink bucket (CDK and replay share it). */
export const FIREHOSE_ERROR_PREFIX = "firehose-errors/";
/** Where `tidemark sink replay` moves an error object once its rows were accepted again. */
export const FIREHOSE_REPLAYED_PREFIX = "firehose-errors-replayed/";

/** What one error object holds: the original JSON rows, and every line that could not be read back. */
export interface FirehoseErrorObject {
  /** The rows as the sink encoded them (one JSON line each), ready to put again. */
  readonly rows: readonly string[];
  /** Firehose's reasons for the failed delivery, de-duplicated (errorCode: errorMessage). */
  readonly reasons: readonly string[];
  /** Lines that are not an error record carrying a Tidemark row: 1-based line and why. */
  readonly unreadable: readonly { readonly line: number; readonly reason: string }[];
}

/**
 * Reads one object Firehose wrote under the error prefix: JSON lines (gzipped when the stream's S3
 * configuration compresses) of `{errorCode, errorMessage, rawData, …}`, `rawData` being the base64
 * of the record as put. Each record is checked to be a row of a known table with its columns.
 */
export function readFirehoseErrorObject(body: Uint8Array): FirehoseErrorObject {
  const bytes = body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : Buffer.from(body);
  const rows: string[] = [];
  const reasons = new Set<string>();
  const unreadable: { line: number; reason: string }[] = [];
  bytes
    .toString("utf8")
    .split("\n")
    .forEach((text, i) => {
      if (text.trim() === "") return;
      try {
        const record = JSON.parse(text) as { rawData?: unknown; errorCode?: unknown; errorMessage?: unknown };
        if (typeof record.rawData !== "string") throw new Error("no rawData");
        const row = Buffer.from(record.rawData, "base64").toString("utf8").trimEnd();
        decodeFirehoseRow(row);
        rows.push(row);
        reasons.add(`${String(record.errorCode ?? "?")}: ${String(record.errorMessage ?? "")}`.slice(0, 300));
      } catch (error) {
        unreadable.push({ line: i + 1, reason: error instanceof Error ? error.message : String(error) });
      }
    });
  return { rows, reasons: [...reasons], unreadable };
}
