import { setTimeout as sleepFor } from "node:timers/promises";
import { PermanentError, SinkUnavailableError } from "../../lambdas/shared/errors.js";
import type { Sink, SinkRecord } from "../../lambdas/sink/Sink.js";

/** The sink refused rows as bad input (a schema change, say) until an operator fixes the cause. */
export class InjectedSinkRejection extends PermanentError {}

/** Live switches of the sink faults. */
export interface SinkFaultControl {
  /** Writes fail (retryable) while true: the store is down. */
  down: boolean;
  /** Each write waits this long first: the store is slow. */
  delayMs: number;
  /** Chance, per observation, that the store refuses its rows as invalid (decided once per observation). */
  reject: number;
  readonly injected: Record<string, number>;
}

export function createSinkFaultControl(): SinkFaultControl {
  return { down: false, delayMs: 0, reject: 0, injected: {} };
}

/**
 * Wraps a sink with an outage, slowness and rejection of chosen records. Rejection is decided once per
 * observation so that every copy of a refused record is refused alike (the processor dead-letters it;
 * a redrive after the fix must then apply it exactly once).
 */
export function createFaultySink(inner: Sink, control: SinkFaultControl, random: () => number): Sink {
  const rejected = new Map<string, boolean>();
  const count = (kind: string) => {
    control.injected[kind] = (control.injected[kind] ?? 0) + 1;
  };
  return {
    async write(records: readonly SinkRecord[]) {
      if (control.delayMs > 0) {
        count("sinkSlow");
        await sleepFor(control.delayMs);
      }
      if (control.down) {
        count("sinkDown");
        throw new SinkUnavailableError("injected: the sink is down");
      }
      if (control.reject > 0) {
        for (const r of records) {
          let refuse = rejected.get(r.observationId);
          if (refuse === undefined) {
            refuse = random() < control.reject;
            rejected.set(r.observationId, refuse);
            if (refuse) count("sinkReject");
          }
          if (refuse) {
            throw new InjectedSinkRejection(`injected: the sink refuses ${r.key}`, {
              context: { key: r.key },
            });
          }
        }
      }
      await inner.write(records);
    },
    health: () => inner.health(),
    close: () => inner.close(),
  };
}
