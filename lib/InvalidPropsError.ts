/**
 * Props that cannot produce a working deployment, found at synth time. It lists every
 * problem at once, so one `cdk synth` shows all that must change rather than the first.
 */
export class InvalidPropsError extends Error {
  constructor(
    readonly construct: string,
    readonly problems: readonly string[],
  ) {
    super(`${construct}: invalid props:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "InvalidPropsError";
  }
}

/** Throws one InvalidPropsError when any problem was found; does nothing otherwise. */
export const throwIfInvalid = (construct: string, problems: readonly string[]): void => {
  if (problems.length > 0) throw new InvalidPropsError(construct, problems);
};
