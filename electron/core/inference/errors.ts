/**
 * Inference's own errors. They know nothing of transports: the API boundary (`api/dispatch.ts`)
 * maps them to statuses.
 */

/** A model bundle that cannot be loaded: the message names the file (and field) at fault. */
export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

/**
 * A request this model cannot run as asked (a task it has no prompt for, settings that contradict
 * each other); `field` names the request's field at fault, e.g. 'decoding.task'.
 */
export class InferenceError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'InferenceError';
  }
}
