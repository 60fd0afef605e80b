// @ts-check
'use strict'
/**
 * Database sessions for sign-ins Auth.js makes no session for itself (the Credentials
 * provider): `createSessionFor(userId)` creates one the way Auth.js would and answers the
 * cookie value and its expiry. The recipe that wires it into next-auth v5 is in
 * docs/sessions.md.
 */

const { codedError } = require('./errors.js')

/** Auth.js's default session lifetime: 30 days, in seconds. */
const DEFAULT_MAX_AGE = 30 * 24 * 60 * 60

/**
 * @param {(session: { sessionToken: string, userId: string, expires: Date }) => Promise<unknown>} createSession
 * @param {unknown} userId
 * @param {unknown} [options] `{ maxAge?: seconds }`
 * @returns {Promise<{ sessionToken: string, expires: Date }>}
 */
async function sessionFor(createSession, userId, options) {
  let maxAge = DEFAULT_MAX_AGE
  if (options !== undefined) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw codedError('INVALID_INPUT', 'options must be an object')
    }
    for (const key of Object.keys(options)) {
      if (key !== 'maxAge') throw codedError('INVALID_INPUT', `options.${key} is not a known option (expected maxAge)`)
    }
    const given = /** @type {{ maxAge?: unknown }} */ (options).maxAge
    if (given !== undefined) {
      if (typeof given !== 'number' || !Number.isFinite(given) || given <= 0) {
        throw codedError('INVALID_INPUT', 'options.maxAge must be a positive number of seconds')
      }
      maxAge = given
    }
  }
  if (typeof userId !== 'string' || userId === '') {
    throw codedError('INVALID_INPUT', `userId must be a non-empty string (got ${userId === null ? 'null' : typeof userId})`)
  }
  // node:crypto is required here, not at the top: loading it costs a cold start about 5 ms
  // (OpenSSL's set-up), and most apps never call createSessionFor.
  const { randomUUID } = require('node:crypto')
  const session = { sessionToken: randomUUID(), userId, expires: new Date(Date.now() + maxAge * 1000) }
  await createSession(session)
  return { sessionToken: session.sessionToken, expires: session.expires }
}

module.exports = { sessionFor }
