// @ts-check
'use strict'
/**
 * The request a session is created from. Auth.js never gives `createSession` the request, so
 * an app that wants a user's devices to show where they signed in runs its Auth.js handler
 * inside `withRequest(request, fn)` (or the Express middleware); `createSession` then records
 * the request's user agent and, only when the app opts in, the client's address. The context
 * lives in an `AsyncLocalStorage`, so it follows the handler through every `await`.
 */

const { AsyncLocalStorage } = require('node:async_hooks')
const { codedError } = require('./errors.js')

/**
 * @typedef {{ userAgent?: string, ipAddress?: string }} SessionOrigin
 * @typedef {import('../index').RequestContextOptions} RequestContextOptions
 */

/** @type {AsyncLocalStorage<SessionOrigin>} */
const storage = new AsyncLocalStorage()

/** Longest user agent kept (longer ones are cut: they identify a browser well before that). */
const MAX_USER_AGENT = 512

/**
 * A header of a Web `Request` (`headers.get`), a Node.js `IncomingMessage` or a plain object.
 *
 * @param {any} request
 * @param {string} name lower case
 * @returns {string | undefined}
 */
function header(request, name) {
  const headers = request?.headers
  if (!headers) return undefined
  const value = typeof headers.get === 'function' ? headers.get(name) : headers[name]
  if (Array.isArray(value)) return value[0]
  return typeof value === 'string' ? value : undefined
}

/**
 * An IPv4 address with its last octet zeroed, an IPv6 address kept to its first 48 bits: the
 * network, not the machine.
 *
 * @param {string} address
 */
function truncate(address) {
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/i.exec(address)
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0`
  if (address.includes(':')) {
    const groups = address.split('::')[0].split(':').filter(Boolean).slice(0, 3)
    return `${groups.join(':')}::`
  }
  return address
}

/**
 * The client's address: the socket's peer, or with `trustProxy` the left-most
 * `X-Forwarded-For` entry (the proxy's report of the client), falling back to the socket.
 *
 * @param {any} request
 * @param {RequestContextOptions} options
 * @returns {string | undefined}
 */
function clientAddress(request, options) {
  if (options.trustProxy) {
    const forwarded = header(request, 'x-forwarded-for')?.split(',')[0]?.trim()
    if (forwarded) return forwarded
    const real = header(request, 'x-real-ip')?.trim()
    if (real) return real
  }
  const socket = request?.socket ?? request?.connection
  return typeof socket?.remoteAddress === 'string' ? socket.remoteAddress : undefined
}

/**
 * Checks the options of `withRequest` and `expressMiddleware`.
 *
 * @param {unknown} options
 * @returns {RequestContextOptions}
 */
function checkOptions(options) {
  if (options === undefined) return {}
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw codedError('INVALID_INPUT', `options must be an object (got ${options === null ? 'null' : typeof options})`)
  }
  const known = ['captureIp', 'trustProxy']
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw codedError('INVALID_INPUT', `options.${key} is not a known option (expected ${known.join(', ')})`)
  }
  const { captureIp, trustProxy } = /** @type {any} */ (options)
  if (!(captureIp === undefined || typeof captureIp === 'boolean' || captureIp === 'truncated')) {
    throw codedError('INVALID_INPUT', 'options.captureIp must be true, false or "truncated"')
  }
  if (!(trustProxy === undefined || typeof trustProxy === 'boolean')) {
    throw codedError('INVALID_INPUT', 'options.trustProxy must be a boolean')
  }
  return { captureIp, trustProxy }
}

/**
 * What `createSession` records of `request`.
 *
 * @param {unknown} request
 * @param {RequestContextOptions} options
 * @returns {SessionOrigin}
 */
function originOf(request, options) {
  /** @type {SessionOrigin} */
  const origin = {}
  const userAgent = header(request, 'user-agent')
  if (userAgent) origin.userAgent = userAgent.slice(0, MAX_USER_AGENT)
  if (options.captureIp) {
    const address = clientAddress(request, options)
    if (address) origin.ipAddress = options.captureIp === 'truncated' ? truncate(address) : address
  }
  return origin
}

/**
 * Runs `fn` with `request` as the context of the sessions it creates.
 *
 * @template T
 * @param {unknown} request a Web `Request` or a Node.js `IncomingMessage`
 * @param {() => T} fn
 * @param {RequestContextOptions} [options]
 * @returns {T}
 */
function withRequest(request, fn, options) {
  if (typeof fn !== 'function') throw codedError('INVALID_INPUT', 'fn must be a function')
  return storage.run(originOf(request, checkOptions(options)), fn)
}

/**
 * Express (or Connect) middleware: every request's handlers run with it as the context.
 *
 * @param {RequestContextOptions} [options]
 * @returns {(req: any, res: any, next: (error?: unknown) => void) => void}
 */
function expressMiddleware(options) {
  const checked = checkOptions(options)
  return (req, _res, next) => storage.run(originOf(req, checked), next)
}

/** The context of the code running now, if any. */
const currentOrigin = () => storage.getStore()

module.exports = { withRequest, expressMiddleware, currentOrigin, truncate }
