'use strict'
/**
 * The Auth.js (v4/v5) face of the native adapter.
 *
 * It stays thin on purpose: it turns the native class into the plain object of own-property
 * functions that Auth.js expects (core wraps adapters with `Object.keys(adapter)` and calls each
 * method unbound), makes every method return a Promise, and copies the stable error code from
 * the message (`CODE: detail`) into `error.code`.
 */

const { loadNative } = require('./load.js')

const CODE_PREFIX = /^([A-Z][A-Z_]+): /

/**
 * Turns a native error into an `Error` of this realm whose `code` is the stable code at the
 * start of its message (`CODE: detail`). Re-creating it here keeps `instanceof Error` true in
 * every realm that loads the package (Jest runs tests in a separate VM context).
 */
function withCode(error) {
  const message = error && typeof error.message === 'string' ? error.message : String(error)
  const match = CODE_PREFIX.exec(message)
  if (!match && error instanceof Error) return error
  const wrapped = new Error(message)
  if (match) wrapped.code = match[1]
  return wrapped
}

/** Wraps a synchronous native read so it returns a Promise and rejects instead of throwing. */
function read(method) {
  return (...args) => {
    try {
      return Promise.resolve(method(...args))
    } catch (error) {
      return Promise.reject(withCode(error))
    }
  }
}

/** Wraps a native write (which returns a Promise) so errors carry their code. */
function write(method) {
  return (...args) => {
    try {
      return method(...args).catch((error) => {
        throw withCode(error)
      })
    } catch (error) {
      return Promise.reject(withCode(error))
    }
  }
}

/**
 * Creates an Auth.js adapter backed by an embedded SQLite file.
 *
 * @param {import('./index').RustAdapterConfig} [config]
 * @returns {import('./index').RustAdapterInstance}
 */
function RustAdapter(config) {
  return faceOf(openNative(config))
}

/** Opens the native store; errors carry their code. */
function openNative(config) {
  const { NativeAdapter } = loadNative()
  try {
    return new NativeAdapter(config)
  } catch (error) {
    throw withCode(error)
  }
}

/** The Auth.js adapter object over one native store. */
function faceOf(native) {
  return {
    createUser: write((user) => native.createUser(user)),
    getUser: read((id) => native.getUser(id)),
    getUserByEmail: read((email) => native.getUserByEmail(email)),
    getUserByAccount: read((key) => native.getUserByAccount(key)),
    updateUser: write((user) => native.updateUser(user)),
    deleteUser: write((userId) => native.deleteUser(userId)),
    linkAccount: write((account) => native.linkAccount(account)),
    unlinkAccount: write((key) => native.unlinkAccount(key).then((row) => row ?? undefined)),
    getAccount: read((providerAccountId, provider) => native.getAccount(providerAccountId, provider)),
    createSession: write((session) => native.createSession(session)),
    getSessionAndUser: read((sessionToken) => native.getSessionAndUser(sessionToken)),
    updateSession: write((session) => native.updateSession(session)),
    deleteSession: write((sessionToken) => native.deleteSession(sessionToken)),
    createVerificationToken: write((token) => native.createVerificationToken(token)),
    useVerificationToken: write((params) => native.useVerificationToken(params)),
    createAuthenticator: write((authenticator) => native.createAuthenticator(authenticator)),
    getAuthenticator: read((credentialID) => native.getAuthenticator(credentialID)),
    listAuthenticatorsByUserId: read((userId) => native.listAuthenticatorsByUserId(userId)),
    updateAuthenticatorCounter: write((credentialID, newCounter) =>
      native.updateAuthenticatorCounter(credentialID, newCounter),
    ),
    prune: write(() => native.prune()),
    close: write(() => native.close()),
  }
}

module.exports = { RustAdapter, openNative, faceOf, read, write }
