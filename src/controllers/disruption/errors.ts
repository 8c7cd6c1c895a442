/** Typed failures of the disruption and interruption controllers. */

/** Executing a disruption step failed (tainting, launching replacements, deleting); `cause` says why. */
export class DisruptionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DisruptionError';
  }
}
