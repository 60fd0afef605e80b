// @ts-check
'use strict'
/**
 * `RustAdapter(config)`: the Auth.js (v4/v5) adapter, a plain object of own-property
 * functions (Auth.js wraps adapters with `Object.keys(adapter)` and calls each method
 * unbound), every method returning a Promise. This file is the method table; scheduling,
 * assembly, errors and loading each live in their own module beside it.
 */

const { loadNative } = require('./load.js')
const { withCode } = require('./errors.js')
const { schedulerOf, same } = require('./scheduling.js')
const { withDatabaseUrl } = require('./config.js')
const { withRequest, expressMiddleware, currentOrigin } = require('./request-context.js')
const { sessionFor } = require('./credentials.js')
const {
  assembleUser,
  assembleSession,
  assembleSessionAndUser,
  assembleVerificationToken,
  assembleAccount,
  fromColumns,
} = require('./assemble.js')
const { knownKeys, extrasPossible } = require('./fields.js')

/** @typedef {import('../native').Handle} Handle */

/**
 * Creates an Auth.js adapter backed by an embedded SQLite file, or by PostgreSQL when the
 * config has a `url` (or `DATABASE_URL` holds one and no `filename` is given). The config is
 * checked now (a bad option throws); the SQLite file is opened by the first call, and
 * adapters on one file in one thread share one store (see `src/node/opening.rs`).
 *
 * @param {import('./config').AdapterConfig} [config]
 * @returns {import('../index').RustAdapterInstance}
 */
function RustAdapter(config) {
  return faceOf(openNative(config))
}

/**
 * The native store's handle for `config` (checked now, opened on first use). Errors carry
 * their code.
 *
 * @param {import('./config').AdapterConfig} [config]
 * @returns {Handle}
 */
function openNative(config) {
  const { openStore } = loadNative()
  try {
    return openStore(withDatabaseUrl(config))
  } catch (error) {
    throw withCode(error)
  }
}

/**
 * The Auth.js adapter object over one native store handle.
 *
 * @param {Handle} store
 * @returns {import('../index').RustAdapterInstance}
 */
function faceOf(store) {
  const native = loadNative()
  const { read, write } = schedulerOf(store, native)
  const keys = knownKeys(native)
  const toUser = fromColumns(assembleUser)
  /**
   * A write whose result the native side builds with `assemble` (its columns, if it answers
   * later).
   *
   * @param {import('./scheduling').NativeWrite} call
   * @param {(...columns: any[]) => unknown} assemble
   */
  const assembledWrite = (call, assemble) => write(call, same, fromColumns(assemble))
  const createSession = assembledWrite(
    (arrival, session, origin) =>
      native.createSession(store, session, session?.sessionToken, session?.userId, session?.expires, origin, assembleSession, arrival),
    assembleSession,
  )
  return {
    createUser: assembledWrite(
      (arrival, user) =>
        native.createUser(
          store,
          user,
          user?.id,
          user?.name,
          user?.email,
          user?.emailVerified,
          user?.image,
          extrasPossible(user, keys.user),
          assembleUser,
          arrival,
        ),
      assembleUser,
    ),
    getUser: read((id) => native.getUser(store, id, assembleUser), toUser),
    getUserByEmail: read((email) => native.getUserByEmail(store, email, assembleUser), toUser),
    getUserByAccount: read(
      (key) => native.getUserByAccount(store, key, key?.provider, key?.providerAccountId, assembleUser),
      toUser,
    ),
    updateUser: assembledWrite((arrival, user) => native.updateUser(store, user, assembleUser, arrival), assembleUser),
    deleteUser: assembledWrite((arrival, userId) => native.deleteUser(store, userId, assembleUser, arrival), assembleUser),
    linkAccount: assembledWrite(
      (arrival, account) =>
        native.linkAccount(
          store,
          account,
          account?.userId,
          account?.type,
          account?.provider,
          account?.providerAccountId,
          account?.access_token,
          account?.refresh_token,
          account?.expires_at,
          account?.token_type,
          account?.scope,
          account?.id_token,
          account?.session_state,
          extrasPossible(account, keys.account),
          assembleAccount,
          arrival,
        ),
      assembleAccount,
    ),
    unlinkAccount: write(
      (arrival, key) => native.unlinkAccount(store, key, arrival),
      (row) => row ?? undefined,
    ),
    getAccount: read((providerAccountId, provider) => native.getAccount(store, providerAccountId, provider)),
    // The request context is read when Auth.js calls, not when the write is handed over.
    createSession: (session) => createSession(session, currentOrigin()),
    getSessionAndUser: read(
      (sessionToken) => native.getSessionAndUser(store, sessionToken, assembleSessionAndUser),
      fromColumns(assembleSessionAndUser),
    ),
    updateSession: assembledWrite(
      (arrival, session) =>
        native.updateSession(store, session, session?.sessionToken, session?.userId, session?.expires, assembleSession, arrival),
      assembleSession,
    ),
    deleteSession: assembledWrite(
      (arrival, sessionToken) => native.deleteSession(store, sessionToken, assembleSession, arrival),
      assembleSession,
    ),
    createVerificationToken: assembledWrite(
      (arrival, token) =>
        native.createVerificationToken(store, token, token?.identifier, token?.token, token?.expires, assembleVerificationToken, arrival),
      assembleVerificationToken,
    ),
    useVerificationToken: assembledWrite(
      (arrival, params) =>
        native.useVerificationToken(store, params, params?.identifier, params?.token, assembleVerificationToken, arrival),
      assembleVerificationToken,
    ),
    createAuthenticator: write((arrival, authenticator) => native.createAuthenticator(store, authenticator, arrival)),
    getAuthenticator: read((credentialID) => native.getAuthenticator(store, credentialID)),
    listAuthenticatorsByUserId: read((userId) => native.listAuthenticatorsByUserId(store, userId)),
    updateAuthenticatorCounter: write((arrival, credentialID, newCounter) =>
      native.updateAuthenticatorCounter(store, credentialID, newCounter, arrival),
    ),
    prune: write((arrival) => native.prune(store, arrival)),
    // Session management (beyond the Auth.js interface): see docs/sessions.md.
    listSessions: read((userId, options) => native.listSessions(store, userId, options)),
    revokeSession: write((arrival, userId, id) => native.revokeSession(store, userId, id, arrival)),
    revokeUserSessions: write((arrival, userIds, options) => native.revokeUserSessions(store, userIds, options, arrival)),
    createSessionFor: (userId, options) => sessionFor((session) => createSession(session, currentOrigin()), userId, options),
    withRequest,
    expressMiddleware,
    close: write(() => native.close(store)),
  }
}

module.exports = { RustAdapter, openNative, faceOf }
