'use strict'
/**
 * Loads the native binding (the loader that `napi build` generates as `native.js` picks the
 * prebuilt package for this platform) and turns a missing binary into one clear error.
 */

let cached

function loadNative() {
  if (cached) return cached
  try {
    cached = require('./native.js')
  } catch (cause) {
    const platform = `${process.platform}-${process.arch}`
    const error = new Error(
      `authjs-rust-adapter: no prebuilt binary for ${platform} could be loaded. ` +
        'Reinstall with optional dependencies enabled (npm install --include=optional), ' +
        'or build it from source with a Rust toolchain (`npm run build` in a clone of the repository) ' +
        'and set NAPI_RS_NATIVE_LIBRARY_PATH to the built .node file. ' +
        `Underlying error: ${cause && cause.message ? cause.message.split('\n')[0] : cause}`,
      { cause },
    )
    error.code = 'NO_PREBUILT_BINARY'
    throw error
  }
  return cached
}

module.exports = { loadNative }
