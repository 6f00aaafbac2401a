/**
 * Counts the writes of a store that has one writer (this process): the version a cache of query answers is
 * keyed on. Every write changes it when it starts; while one is in flight there is no version, because its
 * commit may land in the middle of a query.
 */
export interface WriteGeneration {
  /** Runs a write, counted. */
  track<T>(write: () => Promise<T>): Promise<T>;
  /** The number of writes started, or undefined while one is in flight. */
  current(): string | undefined;
}

export function createWriteGeneration(): WriteGeneration {
  let started = 0;
  let inFlight = 0;
  return {
    async track(write) {
      started++;
      inFlight++;
      try {
        return await write();
      } finally {
        inFlight--;
      }
    },
    current: () => (inFlight > 0 ? undefined : String(started)),
  };
}
