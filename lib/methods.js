// @ts-check
'use strict'
/**
 * The names of the adapter's methods, the one list of them: the Edge face (`lib/edge.js`)
 * builds its rejecting methods from it and the Jest kit (`jest/index.js`) checks adapters
 * against it. `lib/adapter.js`'s method table holds the same names with their code; a test
 * (`__test__/edge.test.js`) checks the two agree. No dependencies: it must load anywhere.
 */

/** The 19 methods of the `@auth/core/adapters` Adapter interface, in the interface's order. */
const AUTHJS_METHODS = Object.freeze([
  'createUser',
  'getUser',
  'getUserByEmail',
  'getUserByAccount',
  'updateUser',
  'deleteUser',
  'linkAccount',
  'unlinkAccount',
  'getAccount',
  'createSession',
  'getSessionAndUser',
  'updateSession',
  'deleteSession',
  'createVerificationToken',
  'useVerificationToken',
  'createAuthenticator',
  'getAuthenticator',
  'listAuthenticatorsByUserId',
  'updateAuthenticatorCounter',
])

/** This adapter's own methods beside them (documented in `index.d.ts`). */
const OWN_METHODS = Object.freeze([
  'prune',
  'listSessions',
  'revokeSession',
  'revokeUserSessions',
  'createSessionFor',
  'withRequest',
  'expressMiddleware',
  'close',
])

module.exports = { AUTHJS_METHODS, OWN_METHODS }
