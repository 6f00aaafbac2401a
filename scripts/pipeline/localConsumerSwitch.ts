import { readFile, rename, writeFile } from "node:fs/promises";

/**
 * The local stand-in for the processor's event source mapping `Enabled` flag: a small JSON file the
 * local stack watches. `tidemark consumers pause --local` writes it; the local poller stops receiving
 * (messages wait on the queue, exactly as with a disabled mapping on AWS) until it is resumed.
 */
export interface ConsumerSwitchState {
  readonly enabled: boolean;
  /** ISO time of the last change. */
  readonly changedAt: string;
}

export async function readConsumerSwitch(file: string): Promise<ConsumerSwitchState> {
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as Partial<ConsumerSwitchState>;
    return { enabled: parsed.enabled !== false, changedAt: String(parsed.changedAt ?? "") };
  } catch (error) {
    // No file yet: nobody paused the consumers, and a fresh stack starts with them enabled.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { enabled: true, changedAt: "" };
    throw error;
  }
}

export async function writeConsumerSwitch(file: string, enabled: boolean): Promise<ConsumerSwitchState> {
  const state = { enabled, changedAt: new Date().toISOString() };
  // Write then rename: the watcher never reads a half-written file.
  await writeFile(`${file}.tmp`, JSON.stringify(state));
  await rename(`${file}.tmp`, file);
  return state;
}
