import { afterEach, describe, expect, it } from "vitest";
import {
  FaultPoint,
  faultPoint,
  InjectedCrash,
  installFaultHook,
} from "../../../lambdas/shared/faultPoints.js";

describe("faultPoint", () => {
  let uninstall: (() => void) | undefined;
  afterEach(() => uninstall?.());

  it("does nothing when no hook is installed", () => {
    expect(() => faultPoint(FaultPoint.ProcessorAfterSink)).not.toThrow();
  });

  it("lets the installed hook crash the caller at the chosen hit, and stops after uninstall", () => {
    // Prepare
    let hits = 0;
    uninstall = installFaultHook((point, detail) => {
      if (point === FaultPoint.IngestorAfterPublish && ++hits === 2) throw new InjectedCrash(point, detail);
    });
    // Act / Assess
    expect(() => faultPoint(FaultPoint.IngestorAfterPublish, { chain: "l1" })).not.toThrow();
    expect(() => faultPoint(FaultPoint.IngestorAfterPublish, { chain: "l1" })).toThrow(InjectedCrash);
    uninstall();
    hits = 1;
    expect(() => faultPoint(FaultPoint.IngestorAfterPublish)).not.toThrow();
  });
});
