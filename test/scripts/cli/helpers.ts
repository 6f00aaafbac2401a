import { Writable } from "node:stream";
import type { CliIo } from "../../../scripts/cli/cliSupport.js";

export interface CapturedIo extends CliIo {
  out(): string;
  err(): string;
}

/** An io whose stdout and stderr are captured as text. */
export function captureIo(env: Record<string, string | undefined> = {}, cwd = process.cwd()): CapturedIo {
  const chunks = { out: [] as string[], err: [] as string[] };
  const sink = (into: string[]) =>
    new Writable({
      write(chunk, _enc, done) {
        into.push(String(chunk));
        done();
      },
    });
  return {
    stdout: sink(chunks.out),
    stderr: sink(chunks.err),
    env,
    cwd,
    out: () => chunks.out.join(""),
    err: () => chunks.err.join(""),
  };
}
