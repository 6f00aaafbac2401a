import { describe, expect, it } from "vitest";
import { createFaultInjector, FaultPoint, InjectedCrash } from "../../../lambdas/shared/faultPoints.js";

describe("createFaultInjector", () => {
  it("crashes the caller at the hits its decision picks, and recognises only its own crash", () => {
    // Prepare
    let hits = 0;
    const faults = createFaultInjector((point) => point === FaultPoint.IngestorAfterPublish && ++hits === 2);
    // Act / Assess
    expect(() => faults.hit(FaultPoint.IngestorAfterPublish, { chain: "l1" })).not.toThrow();
    expect(() => faults.hit(FaultPoint.ProcessorAfterSink)).not.toThrow();
    let thrown: unknown;
    try {
      faults.hit(FaultPoint.IngestorAfterPublish, { chain: "l1" });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InjectedCrash);
    expect(thrown).toMatchObject({ point: FaultPoint.IngestorAfterPublish, detail: { chain: "l1" } });
    expect(faults.isCrash(thrown)).toBe(true);
    expect(faults.isCrash(new Error("a real failure"))).toBe(false);
    expect(() => faults.hit(FaultPoint.IngestorAfterPublish)).not.toThrow();
  });
});
