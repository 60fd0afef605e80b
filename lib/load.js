// @ts-check
'use strict'
/**
 * Loads the native binding (the loader that `napi build` generates as `native.js` picks the
 * prebuilt package for this platform) and turns a missing binary into one clear error.
 */

const { codedError } = require('./errors.js')

/** @type {typeof import('../native') | undefined} */
let cached

/** @returns {typeof import('../native')} */
function loadNative() {
  if (cached) return cached
  try {
    cached = require('../native.js')
  } catch (cause) {
    const platform = `${process.platform}-${process.arch}`
    throw codedError(
      'NO_PREBUILT_BINARY',
      `authjs-rust-adapter: no prebuilt binary for ${platform} could be loaded. ` +
        'Reinstall with optional dependencies enabled (npm install --include=optional), ' +
        'or build it from source with a Rust toolchain (`npm run build` in a clone of the repository) ' +
        'and set NAPI_RS_NATIVE_LIBRARY_PATH to the built .node file. ' +
        `Underlying error: ${cause instanceof Error ? cause.message.split('\n')[0] : cause}`,
      { cause },
    )
  }
  return cached
}

module.exports = { loadNative }
