// @ts-check
'use strict'
/**
 * Errors: every error the package raises is a `RustAdapterError` with a stable `code`. The
 * native side raises its codes as a message prefix (`CODE: detail`); `withCode` turns such an
 * error into a `RustAdapterError` of this realm (Jest runs tests in a separate VM context, and
 * `instanceof` must hold there too). The codes are listed in `index.d.ts` and `docs/errors.md`.
 */

/** @typedef {import('../index').RustAdapterErrorCode} RustAdapterErrorCode */

const CODE_PREFIX = /^([A-Z][A-Z_]+): /

/**
 * The codes only the JavaScript face raises; every other code comes from the native side
 * (`errorCodes()` lists them).
 *
 * @type {readonly RustAdapterErrorCode[]}
 */
const FACE_CODES = ['NO_PREBUILT_BINARY', 'NODE_RUNTIME_REQUIRED', 'SCHEMA_MISMATCH', 'TARGET_NOT_EMPTY']

/** An adapter error: `code` is one of `RustAdapterErrorCode`; the message starts with it. */
class RustAdapterError extends Error {
  /**
   * @param {RustAdapterErrorCode} code
   * @param {string} message the whole message, `CODE: detail`
   * @param {ErrorOptions} [options]
   */
  constructor(code, message, options) {
    super(message, options)
    this.name = 'RustAdapterError'
    /** @type {RustAdapterErrorCode} */
    this.code = code
  }
}

/**
 * A new coded error: `codedError('INVALID_INPUT', 'config.hub is …')` reads
 * `INVALID_INPUT: config.hub is …`.
 *
 * @param {RustAdapterErrorCode} code
 * @param {string} detail what went wrong, naming the field or file
 * @param {ErrorOptions} [options]
 * @returns {RustAdapterError}
 */
function codedError(code, detail, options) {
  return new RustAdapterError(code, `${code}: ${detail}`, options)
}

/**
 * An error the native side threw, as a `RustAdapterError` whose `code` is the stable code at
 * the start of its message. An error with no code is passed on as it is.
 *
 * @param {unknown} error
 * @returns {Error}
 */
function withCode(error) {
  if (error instanceof RustAdapterError) return error
  // (A native error is an `Error` of the realm that loaded the binary, which need not be this
  // one: its message is read as a property, not through `instanceof`.)
  const message = hasMessage(error) ? error.message : String(error)
  const match = CODE_PREFIX.exec(message)
  if (match) return new RustAdapterError(/** @type {RustAdapterErrorCode} */ (match[1]), message)
  return error instanceof Error ? error : new Error(message)
}

/**
 * A native call's answer (a value now or a Promise), awaited, its error coded: for the calls
 * the command line makes outside the adapter's own scheduling.
 *
 * @template T
 * @param {() => T | Promise<T>} call
 * @returns {Promise<T>}
 */
async function awaitCoded(call) {
  try {
    return await call()
  } catch (error) {
    throw withCode(error)
  }
}

/**
 * @param {unknown} error
 * @returns {error is { message: string }}
 */
const hasMessage = (error) =>
  typeof error === 'object' && error !== null && typeof (/** @type {any} */ (error).message) === 'string'

module.exports = { RustAdapterError, codedError, withCode, awaitCoded, FACE_CODES }
