// @ts-check
'use strict'
/**
 * The package where Node.js is not: Edge middleware, Cloudflare-style workers, browser
 * bundles. The adapter runs a native binary, which only Node.js can load; but an app whose
 * `auth.ts` is shared with its Edge middleware (JWT sessions, or `auth.config.ts` not split
 * off yet) must still be able to import it. So importing succeeds here and so does
 * `RustAdapter(config)`; each method rejects with `NODE_RUNTIME_REQUIRED`, which says how to
 * keep the adapter out of the Edge runtime.
 *
 * package.json's `edge-light`, `worker` and `browser` export conditions point here, and
 * `index.js` answers with this face when it finds itself outside Node.js. This module needs
 * no Node.js built-in and loads no binary: it must evaluate anywhere.
 */

const { RustAdapterError, codedError } = require('./errors.js')
const { AUTHJS_METHODS, OWN_METHODS } = require('./methods.js')

/** The methods of `RustAdapter(...)` (`lib/adapter.js`; a test checks both agree). */
const ADAPTER_METHODS = [...AUTHJS_METHODS, ...OWN_METHODS]

/**
 * True when this code runs on Node.js (not in an Edge runtime, whose `process` is a partial
 * stand-in, nor in a browser or worker).
 */
function isNodeRuntime() {
  if (typeof (/** @type {any} */ (globalThis).EdgeRuntime) === 'string') return false
  const proc = /** @type {any} */ (globalThis).process
  return typeof proc === 'object' && proc !== null && typeof proc.versions?.node === 'string'
}

/**
 * The error every call outside Node.js rejects with.
 *
 * @param {string} what the function called, e.g. `RustAdapter().getUser`
 */
function nodeRuntimeRequired(what) {
  return codedError(
    'NODE_RUNTIME_REQUIRED',
    `${what} was called outside Node.js (in an Edge runtime, a worker or a browser). ` +
      'authjs-rust-adapter runs a native binary and needs the Node.js runtime. ' +
      'Keep the adapter out of Edge code: put the options shared with middleware in auth.config.ts ' +
      '(providers, pages, callbacks; no adapter) and use NextAuth(authConfig) in middleware.ts, ' +
      'and NextAuth({ ...authConfig, adapter: RustAdapter(...) }) in auth.ts, which only Node.js code imports. ' +
      "Or run the middleware on Node.js: export const config = { runtime: 'nodejs' } (Next.js 15.5+), " +
      'or proxy.ts (Next.js 16).',
  )
}

/**
 * An object with `names` as methods that each reject with `NODE_RUNTIME_REQUIRED`.
 *
 * @param {string} owner how the object was made, e.g. `RustAdapter()`
 * @param {readonly string[]} names
 * @returns {Record<string, (...args: unknown[]) => Promise<never>>}
 */
function rejecting(owner, names) {
  /** @type {Record<string, (...args: unknown[]) => Promise<never>>} */
  const face = {}
  for (const name of names) face[name] = () => Promise.reject(nodeRuntimeRequired(`${owner}.${name}`))
  return face
}

/**
 * `RustAdapter(config)` outside Node.js: an adapter whose every method rejects with
 * `NODE_RUNTIME_REQUIRED`. The config is not read (nothing here could check it).
 *
 * @param {unknown} [_config]
 * @returns {import('../index').RustAdapterInstance}
 */
function RustAdapter(_config) {
  return /** @type {any} */ (rejecting('RustAdapter()', ADAPTER_METHODS))
}

/**
 * `LegacyAdapter(config)` outside Node.js.
 *
 * @param {unknown} [_config]
 * @returns {import('../index').LegacyAdapterFactory}
 */
function LegacyAdapter(_config) {
  return /** @type {any} */ (rejecting('LegacyAdapter()', ['close', 'getAdapter']))
}

/**
 * `RustClientDb(config)` outside Node.js: the handle's shape, every call rejecting.
 *
 * @param {unknown} [_config]
 * @returns {import('../index').RustClientDbHandle}
 */
function RustClientDb(_config) {
  const owner = 'RustClientDb()'
  return /** @type {any} */ ({
    __brand: 'REPLOCAL_CLIENT_DB',
    database: rejecting(`${owner}.database`, ADAPTER_METHODS),
    ...rejecting(owner, ['close', 'flush', 'pull', 'push', 'live']),
    device: rejecting(`${owner}.device`, ['register', 'deregister']),
    schema: rejecting(`${owner}.schema`, ['validate', 'migrate']),
    event: rejecting(`${owner}.event`, ['subscribe', 'unsubscribe']),
  })
}

module.exports = {
  RustAdapter,
  LegacyAdapter,
  RustClientDb,
  ReplocalClientDb: RustClientDb,
  RustAdapterError,
  default: RustAdapter,
  isNodeRuntime,
  nodeRuntimeRequired,
  ADAPTER_METHODS,
}
