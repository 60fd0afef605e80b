// @ts-check
'use strict'
/**
 * Result assembly: the objects Auth.js receives, built from the columns the native side hands
 * over. A hot call passes its assembler to the native side, which calls it once with the
 * columns (cheaper than setting each property through N-API); a call answered later (on
 * PostgreSQL) resolves to the same columns as an array, assembled here.
 *
 * The column order of each assembler is the one place that order is written down on this
 * side; `src/node/output.rs` (`Columns`) writes the same order on the native side.
 */

/** @typedef {import('../index').RustAdapterUser} AdapterUser */
/** @typedef {import('../index').RustAdapterSession} AdapterSession */
/** @typedef {import('../index').RustAdapterVerificationToken} VerificationToken */
/** @typedef {import('../index').RustAdapterAccount} AdapterAccount */

/**
 * An Auth.js user from its columns: `name`, `email` and `image` are present keys, `null`
 * when empty (as the SQL peers return them, and as `AdapterUser` types them);
 * `emailVerified` is a Date or `null`; extras are spread on top. The one place a user
 * object is built: every method that returns a user passes this function to the native
 * side.
 *
 * @param {string} id
 * @param {string | null} name
 * @param {string | null} email
 * @param {number | null} verified epoch milliseconds
 * @param {string | null} image
 * @param {Record<string, unknown>} [extras]
 * @returns {AdapterUser}
 */
function assembleUser(id, name, email, verified, image, extras) {
  const user = /** @type {AdapterUser} */ ({
    id,
    name,
    email,
    emailVerified: verified === null ? null : new Date(verified),
    image,
  })
  if (extras !== undefined) Object.assign(user, extras)
  return user
}

/**
 * An Auth.js session from its columns.
 *
 * @param {string} sessionToken
 * @param {string} userId
 * @param {number} expires epoch milliseconds
 * @returns {AdapterSession}
 */
function assembleSession(sessionToken, userId, expires) {
  return { sessionToken, userId, expires: new Date(expires) }
}

/**
 * `{ session, user }` from the columns of a session and its user.
 *
 * @param {string} sessionToken
 * @param {string} userId
 * @param {number} expires
 * @param {string} id
 * @param {string | null} name
 * @param {string | null} email
 * @param {number | null} verified
 * @param {string | null} image
 * @param {Record<string, unknown>} [extras]
 * @returns {{ session: AdapterSession, user: AdapterUser }}
 */
function assembleSessionAndUser(sessionToken, userId, expires, id, name, email, verified, image, extras) {
  return {
    session: assembleSession(sessionToken, userId, expires),
    user: assembleUser(id, name, email, verified, image, extras),
  }
}

/**
 * A verification token from its columns.
 *
 * @param {string} identifier
 * @param {string} token
 * @param {number} expires
 * @returns {VerificationToken}
 */
function assembleVerificationToken(identifier, token, expires) {
  return { identifier, token, expires: new Date(expires) }
}

/**
 * A linked account from its columns: the four required properties, each optional one only
 * when it holds a value (as it was given), then the provider's extra properties.
 *
 * @param {string} userId
 * @param {AdapterAccount['type']} type
 * @param {string} provider
 * @param {string} providerAccountId
 * @param {string | null} accessToken
 * @param {string | null} refreshToken
 * @param {number | null} expiresAt seconds since the epoch
 * @param {string | null} tokenType
 * @param {string | null} scope
 * @param {string | null} idToken
 * @param {string | null} sessionState
 * @param {Record<string, unknown>} [extras]
 * @returns {AdapterAccount}
 */
function assembleAccount(
  userId,
  type,
  provider,
  providerAccountId,
  accessToken,
  refreshToken,
  expiresAt,
  tokenType,
  scope,
  idToken,
  sessionState,
  extras,
) {
  /** @type {AdapterAccount} */
  const account = { userId, type, provider, providerAccountId }
  if (accessToken !== null) account.access_token = accessToken
  if (refreshToken !== null) account.refresh_token = refreshToken
  if (expiresAt !== null) account.expires_at = expiresAt
  if (tokenType !== null) account.token_type = /** @type {any} */ (tokenType)
  if (scope !== null) account.scope = scope
  if (idToken !== null) account.id_token = idToken
  if (sessionState !== null) account.session_state = /** @type {any} */ (sessionState)
  if (extras !== undefined) Object.assign(account, extras)
  return account
}

/**
 * Assembles columns that arrived later as one array, or passes `null` on.
 *
 * @template T
 * @param {(...columns: any[]) => T} assemble
 * @returns {(row: unknown) => T | null}
 */
const fromColumns = (assemble) => (row) => (row === null ? null : assemble(.../** @type {unknown[]} */ (row)))

module.exports = {
  assembleUser,
  assembleSession,
  assembleSessionAndUser,
  assembleVerificationToken,
  assembleAccount,
  fromColumns,
}
