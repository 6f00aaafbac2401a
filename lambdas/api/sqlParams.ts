import type { QueryParam } from "../sink/SqlQueryable.js";

/** Collects bound values while a statement is assembled; `add` returns the `$n` placeholder of the value. */
export interface SqlParams {
  add(value: QueryParam): string;
  readonly values: QueryParam[];
}

export function createSqlParams(): SqlParams {
  const values: QueryParam[] = [];
  return {
    values,
    add(value) {
      values.push(value);
      return `$${values.length}`;
    },
  };
}
