// @ts-check
'use strict'
/**
 * Loads the native binding (the loader that `napi build` generates as `native.js` picks the
 * prebuilt package for this platform) and turns every way that fails into one clear error.
 *
 * `native.js` is reached through Node.js's own `require`, out of a bundler's sight: a bundler
 * (webpack, Turbopack, esbuild) cannot place the `.node` file it loads, and following it makes
 * the whole build fail with the bundler's own words ("Module parse failed: Unexpected
 * character", "non-ecmascript placeable asset"). Out of sight, a bundled copy of this package
 * builds, and its first `RustAdapter(...)` throws `NO_PREBUILT_BINARY` naming the setting that
 * keeps it out of the bundle (`serverExternalPackages` in Next.js).
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
    // Through Reflect.apply: a bundler that models `require` as a value (Turbopack follows
    // local functions' results) still sees no call of it with this path.
    cached = /** @type {typeof import('../native')} */ (Reflect.apply(nodeRequire(), undefined, [NATIVE]))
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
