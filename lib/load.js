// @ts-check
'use strict'
/**
 * Loads the native binding (the loader that `napi build` generates as `native.js` picks the
 * prebuilt package for this platform) and turns every way that fails into one clear error.
 *
 * On Node.js, `native.js` is reached by a literal `require`, so that output file tracing (Next.js's
 * standalone output) carries it and the `.node` file. Under webpack it is reached out of the
 * bundler's sight: a bundler cannot place the `.node` file, and following it makes the whole
 * build fail with the bundler's own words ("Module parse failed: Unexpected character"). Out
 * of sight, a bundled copy builds, and its first `RustAdapter(...)` throws `NO_PREBUILT_BINARY`
 * naming the setting that keeps it out of the bundle (`serverExternalPackages` in Next.js).
 */

const { codedError } = require('./errors.js')
const { isNodeRuntime, nodeRuntimeRequired } = require('./edge.js')

/* global __non_webpack_require__, __webpack_require__ */
/**
 * Node.js's `require` for this module. Under webpack, `__non_webpack_require__` is it: webpack
 * settles `typeof __webpack_require__` at build time and skips the branch it rules out, so the
 * build neither follows `native.js` nor warns (checked with webpack 5.113 and esbuild 0.28:
 * the bundle builds, and its first `RustAdapter()` throws the error below).
 *
 * @returns {NodeJS.Require}
 */
function nodeRequire() {
  // @ts-ignore -- defined by webpack only
  if (typeof __webpack_require__ === 'function') {
    // @ts-ignore -- defined by webpack only
    return __non_webpack_require__
  } else {
    return require
  }
}

/** The binding's path from this file. */
const NATIVE = '../native.js'

/**
 * Loads `native.js`. On Node.js, through the literal `require('../native.js')`: output file
 * tracers follow it (Next.js's `output: "standalone"`, Turbopack's and @vercel/nft's traces of
 * an external package), and that is how a standalone or serverless build gets `native.js` and
 * the `.node` binary it requires; hidden, they leave both out and the deployed server fails.
 * Under webpack, which settles `typeof __webpack_require__` at build time and drops the other
 * branch, through `Reflect.apply`, out of the bundler's sight, so a bundled copy still builds
 * and names serverExternalPackages at run time. (Turbopack and esbuild, bundling the package
 * by mistake, follow the literal and fail the build instead, naming the `.node` file.)
 *
 * @returns {typeof import('../native')}
 */
function requireNative() {
  // @ts-ignore -- defined by webpack only
  if (typeof __webpack_require__ === 'function') {
    return /** @type {typeof import('../native')} */ (Reflect.apply(nodeRequire(), undefined, [NATIVE]))
  } else {
    return require('../native.js')
  }
}

/** @type {typeof import('../native') | undefined} */
let cached

/**
 * True when this file runs inside a bundle rather than from the installed package.
 *
 * @param {unknown} cause why loading `native.js` failed
 */
function bundled(cause) {
  // @ts-ignore -- defined by webpack (and Turbopack's webpack-compatible runtime) only
  if (typeof __webpack_require__ === 'function') return true
  // Installed, `native.js` sits beside `lib/`: not finding it means this file was moved.
  const first = cause instanceof Error ? cause.message.split('\n')[0] : String(cause)
  return (/** @type {any} */ (cause)?.code === 'MODULE_NOT_FOUND' || /Cannot find module/.test(first)) && first.includes(NATIVE)
}

/** @returns {typeof import('../native')} */
function loadNative() {
  if (cached) return cached
  if (!isNodeRuntime()) throw nodeRuntimeRequired('RustAdapter(...)')
  try {
    cached = requireNative()
  } catch (cause) {
    const underlying = cause instanceof Error ? cause.message.split('\n')[0] : String(cause)
    if (bundled(cause)) {
      throw codedError(
        'NO_PREBUILT_BINARY',
        'authjs-rust-adapter was bundled (by webpack, Turbopack or another bundler), and a bundle cannot hold its native binary. ' +
          'Keep the package out of the bundle: in Next.js, add serverExternalPackages: ["authjs-rust-adapter"] to next.config ' +
          '(Next.js 14: experimental.serverComponentsExternalPackages); with another bundler, mark authjs-rust-adapter as external. ' +
          `Underlying error: ${underlying}`,
        { cause },
      )
    }
    const platform = `${process.platform}-${process.arch}`
    throw codedError(
      'NO_PREBUILT_BINARY',
      `authjs-rust-adapter: no prebuilt binary for ${platform} could be loaded. ` +
        'Reinstall with optional dependencies enabled (npm install --include=optional), ' +
        'or build it from source with a Rust toolchain (`npm run build` in a clone of the repository) ' +
        'and set NAPI_RS_NATIVE_LIBRARY_PATH to the built .node file. ' +
        `Underlying error: ${underlying}`,
      { cause },
    )
  }
  return cached
}

module.exports = { loadNative }
