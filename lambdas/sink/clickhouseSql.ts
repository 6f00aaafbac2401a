import { PermanentError } from "../shared/errors.js";
import type { ColumnValue } from "./rows.js";
import type { QueryParam } from "./SqlQueryable.js";

/**
 * SQL text helpers for ClickHouse 18.16 and later. That version has no query
 * parameters, so values become literals here, escaped by ClickHouse's rules
 * (backslash escapes inside single quotes). Rows travel as TabSeparated text,
 * which every version reads and writes exactly: JSON formats print Decimal as
 * a bare number that JSON.parse would round.
 */

/** A ClickHouse literal for one value. */
export function sqlLiteral(value: QueryParam): string {
  if (value === null) return "NULL";
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new PermanentError(`cannot bind ${value} as a SQL literal`);
    return String(value);
  }
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/**
 * Replaces `$1`, `$2`, … with literals of `params`, outside quoted strings and
 * identifiers, so the SQL the DuckDB sink takes with parameters runs here too.
 */
export function bindParams(sql: string, params: readonly QueryParam[]): string {
  let out = "";
  let quote: string | undefined;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i] as string;
    if (quote !== undefined) {
      out += c;
      if (c === "\\") {
        out += sql[i + 1] ?? "";
        i++;
      } else if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"' || c === "`") {
      quote = c;
      out += c;
      continue;
    }
    const m = c === "$" ? /^\$(\d+)/.exec(sql.slice(i)) : null;
    if (m === null) {
      out += c;
      continue;
    }
    const index = Number(m[1]) - 1;
    if (index < 0 || index >= params.length) {
      throw new PermanentError(`query uses $${index + 1} but ${params.length} parameter(s) were given`);
    }
    out += sqlLiteral(params[index] as QueryParam);
    i += (m[0] as string).length - 1;
  }
  return out;
}

/** TabSeparated escaping of one value (`\N` is NULL). */
export function tsvValue(value: ColumnValue): string {
  if (value === null) return "\\N";
  if (typeof value !== "string") return value.toString();
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r",
  );
}

const UNESCAPE: Readonly<Record<string, string>> = {
  b: "\b",
  f: "\f",
  r: "\r",
  n: "\n",
  t: "\t",
  "0": "\0",
  "'": "'",
  "\\": "\\",
};

function unescapeTsv(field: string): string {
  return field.replace(/\\(.)/g, (_, c: string) => UNESCAPE[c] ?? c);
}

/**
 * Rows of a `FORMAT TabSeparatedWithNamesAndTypes` answer as objects. Like the
 * DuckDB sink: 64-bit and wider integers (and Decimal(P, 0)) become bigint,
 * smaller integers and floats numbers, NULL null, everything else strings.
 */
export function parseTsvWithNamesAndTypes(text: string): Record<string, unknown>[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  if (lines.length < 2) return [];
  const names = (lines[0] as string).split("\t").map(unescapeTsv);
  const decoders = (lines[1] as string).split("\t").map((t) => decoderOf(unescapeTsv(t)));
  const rows: Record<string, unknown>[] = [];
  for (const line of lines.slice(2)) {
    const fields = line.split("\t");
    const row: Record<string, unknown> = {};
    names.forEach((name, i) => {
      row[name] = (decoders[i] as Decoder)(fields[i] ?? "");
    });
    rows.push(row);
  }
  return rows;
}

type Decoder = (field: string) => unknown;

function decoderOf(type: string): Decoder {
  const nullable = /^Nullable\((.*)\)$/.exec(type);
  if (nullable) {
    const inner = decoderOf(nullable[1] as string);
    return (f) => (f === "\\N" ? null : inner(f));
  }
  const lowCardinality = /^LowCardinality\((.*)\)$/.exec(type);
  if (lowCardinality) return decoderOf(lowCardinality[1] as string);
  if (/^U?Int(8|16|32)$/.test(type)) return Number;
  if (/^Float(32|64)$/.test(type)) return parseFloatField;
  if (/^U?Int(64|128|256)$/.test(type) || /^Decimal(32|64|128|256)?\(\d+,\s*0\)$/.test(type)) return BigInt;
  if (type.startsWith("Decimal")) return Number;
  return unescapeTsv;
}

function parseFloatField(f: string): number {
  if (f === "nan" || f === "-nan") return Number.NaN;
  if (f === "inf" || f === "+inf") return Number.POSITIVE_INFINITY;
  if (f === "-inf") return Number.NEGATIVE_INFINITY;
  return Number(f);
}
