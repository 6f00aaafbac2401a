import { readFile, rename, writeFile } from "node:fs/promises";

/**
 * A local stand-in for an AWS on/off flag: a small JSON file the local stack watches.
 * - the processor's event source mapping `Enabled` (`consumers.json`): `tidemark consumers pause`
 *   writes it; the local poller stops receiving (messages wait on the queue, exactly as with a
 *   disabled mapping on AWS) until it is resumed;
 * - the ingestor schedule's `State` (`ingestor.json`): `tidemark ingestor pause` writes it; the local
 *   schedule stops starting invocations until it is resumed.
 */
export interface LocalSwitchState {
  readonly enabled: boolean;
  /** ISO time of the last change. */
  readonly changedAt: string;
}

export async function readLocalSwitch(file: string): Promise<LocalSwitchState> {
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as Partial<LocalSwitchState>;
    return { enabled: parsed.enabled !== false, changedAt: String(parsed.changedAt ?? "") };
  } catch (error) {
    // No file yet: nobody paused the consumers, and a fresh stack starts with them enabled.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { enabled: true, changedAt: "" };
    throw error;
  }
}

export async function writeLocalSwitch(file: string, enabled: boolean): Promise<LocalSwitchState> {
  const state = { enabled, changedAt: new Date().toISOString() };
  // Write then rename: the watcher never reads a half-written file.
  await writeFile(`${file}.tmp`, JSON.stringify(state));
  await rename(`${file}.tmp`, file);
  return state;
}
