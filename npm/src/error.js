// The error class every promise of the SDK rejects with (its own module, so config.js and
// sdk.js share it without importing each other).

/** The error every promise of the SDK rejects with. */
export class KlinkCallSdkError extends Error {
  /**
   * @param {string} code one of the documented codes
   * @param {string} message what went wrong and what to do
   */
  constructor(code, message) {
    super(message);
    this.name = 'KlinkCallSdkError';
    this.code = code;
  }
}
