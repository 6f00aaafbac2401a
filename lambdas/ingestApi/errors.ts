import { TidemarkError } from "../shared/errors.js";

/** An anchoring transaction failed or the registry holds another root for the same range. */
export class AnchorError extends TidemarkError {
  constructor(
    message: string,
    readonly retryable: boolean,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, options);
  }
}
