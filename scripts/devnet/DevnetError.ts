import { PermanentError } from "../../lambdas/shared/errors.js";

/** The devnet story broke: a node did not do what the driver asked, or the driver was misused. */
export class DevnetError extends PermanentError {}
