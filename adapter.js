'use strict'
/**
 * The Auth.js (v4/v5) face of the native adapter.
 *
 * It stays thin on purpose: it turns the native class into the plain object of own-property
 * functions that Auth.js expects (core wraps adapters with `Object.keys(adapter)` and calls each
 * method unbound), makes every method return a Promise, and copies the stable error code from
 * the message (`CODE: detail`) into `error.code`.
 */

const { setImmediate } = require('node:timers')
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

/**
 * Builds an Auth.js user from its columns, which the native side passes as arguments (a hot
 * read calls this function once instead of setting each property through N-API): empty
 * columns are left out, `emailVerified` is always present, extras are spread on top.
 */
function assembleUser(id, name, email, verified, image, extras) {
  const user = { id }
  if (name !== null) user.name = name
  if (email !== null) user.email = email
  user.emailVerified = verified === null ? null : new Date(verified)
  if (image !== null) user.image = image
  if (extras !== undefined) Object.assign(user, extras)
  return user
}

/** Builds `{ session, user }` from the columns of a session and its user. */
function assembleSessionAndUser(sessionToken, userId, expires, id, name, email, verified, image, extras) {
  return {
    session: assembleSession(sessionToken, userId, expires),
    user: assembleUser(id, name, email, verified, image, extras),
  }
}

/** Builds an Auth.js session from its columns. */
function assembleSession(sessionToken, userId, expires) {
  return { sessionToken, userId, expires: new Date(expires) }
}

/** Builds a verification token from its columns. */
function assembleVerificationToken(identifier, token, expires) {
  return { identifier, token, expires: new Date(expires) }
}

/** Assembles columns that arrived later as one array (PostgreSQL), or passes `null` on. */
const fromColumns = (assemble) => (row) => (row === null ? null : assemble(...row))

/** The identity, for results that need no reshaping. */
const same = (value) => value

/** True for a Promise (or any thenable) the native side returned. */
const isPending = (answer) => answer !== null && typeof answer === 'object' && typeof answer.then === 'function'

/**
 * Wraps a native call so it always returns a Promise and rejects instead of throwing. SQLite
 * reads answer synchronously, with the final value; PostgreSQL calls answer with a Promise,
 * whose value goes through `later` (if given). `before` (if given) runs before each call.
 */
function readWith(call, later = null, before = null) {
  const fail = (error) => Promise.reject(withCode(error))
  return (...args) => {
    try {
      if (before !== null) before()
      const answer = call(...args)
      if (!isPending(answer)) return Promise.resolve(answer)
      return later === null ? answer.then(undefined, fail) : answer.then(later, fail)
    } catch (error) {
      return fail(error)
    }
  }
}

/**
 * Counts the reads of one SQLite store issued in one turn of the event loop. From the second
 * such read on, the store may answer them from one shared snapshot (one read transaction for
 * all, instead of one each); the native side reuses it only while nothing, in this process or
 * another, has committed since it began, so every read still sees the latest committed state.
 * The snapshot ends with the turn (`setImmediate`, from `node:timers` so that fake timers in
 * test suites leave it alone), and a lone read pays for a counter only.
 *
 * @returns {() => void} the hook to run before each read
 */
function readRuns(store, native) {
  let reads = 0
  const end = () => {
    if (reads > 1) native.readsTogether(store, false)
    reads = 0
  }
  return () => {
    if (reads === 0) setImmediate(end)
    else if (reads === 1) native.readsTogether(store, true)
    reads++
  }
}

/**
 * The write path of one adapter. Writes called together are handed to the native side together:
 * - a write that arrived alone is marked `inline`: the native side runs it at once on this
 *   thread when its writer thread is idle (two thread hops cost more than the write) and
 *   returns the committed result;
 * - writes that arrived together are queued to the writer thread, which commits them in one
 *   transaction without blocking the event loop, and settles their Promises after COMMIT.
 * Either way a write's Promise resolves only once its transaction has committed. Its value
 * goes through `now` when the native side answered at once, through `later` when it answered
 * with a Promise (an assembled write's columns, see `fromColumns`).
 *
 * "Together" means in the same synchronous run of code while no write is with the writer
 * thread (the hand-over waits for a microtask), and in the same turn of the event loop while
 * some are (it waits for `setImmediate`): the writer thread answers one Promise per event-loop
 * callback, so the callers it wakes only meet again at the end of the turn.
 * `setImmediate` comes from `node:timers` and microtasks cannot be faked, so test suites with
 * fake timers cannot stall a write.
 *
 * @returns {(call: (inline: boolean, ...args: any[]) => unknown, now?: (value: any) => any, later?: (value: any) => any) => (...args: any[]) => Promise<any>}
 */
function writeQueue() {
  let turn = []
  /** Writes handed to the writer thread whose Promise has not settled yet. */
  let withWriter = 0
  const settled = () => {
    withWriter--
  }
  const flush = () => {
    const jobs = turn
    turn = []
    const alone = jobs.length === 1
    for (const job of jobs) job(alone)
  }
  const resolved = Promise.resolve()
  return (call, now = same, later = now) =>
    (...args) =>
      new Promise((resolve, reject) => {
        const fail = (error) => reject(withCode(error))
        const job = (inline) => {
          try {
            const answer = call(inline, ...args)
            if (isPending(answer)) {
              withWriter++
              answer.then(settled, settled)
              answer.then((value) => resolve(later(value)), fail)
            } else {
              resolve(now(answer))
            }
          } catch (error) {
            fail(error)
          }
        }
        if (turn.push(job) === 1) {
          if (withWriter === 0) resolved.then(flush)
          else setImmediate(flush)
        }
      })
}

/**
 * The write path of a store whose every write is already asynchronous (PostgreSQL, and a
 * replica, which writes to its hub first): each write goes straight to the native side, which
 * runs it on its own threads.
 *
 * @returns {(call: (inline: boolean, ...args: any[]) => unknown, now?: (value: any) => any, later?: (value: any) => any) => (...args: any[]) => Promise<any>}
 */
function directWrites() {
  return (call, now = same, later = now) =>
    readWith((...args) => {
      const answer = call(false, ...args)
      return isPending(answer) ? answer.then(later) : now(answer)
    })
}

/**
 * Creates an Auth.js adapter backed by an embedded SQLite file, or by PostgreSQL when the
 * config has a `url` (or `DATABASE_URL` holds one and no `filename` is given).
 *
 * @param {import('./index').RustAdapterConfig} [config]
 * @returns {import('./index').RustAdapterInstance}
 */
function RustAdapter(config) {
  return faceOf(openNative(config))
}

/** True for a `postgres://` or `postgresql://` URL. */
const isPostgresUrl = (value) => typeof value === 'string' && /^postgres(ql)?:\/\//i.test(value)

/**
 * The config with `DATABASE_URL` as its `url` when it names no database itself, as most
 * database libraries do. Only a PostgreSQL URL counts: another tool's `file:` URL leaves the
 * default SQLite file in use.
 */
function withDatabaseUrl(config) {
  if (config && typeof config === 'object' && 'hub' in config) {
    const error = new Error('INVALID_INPUT: config.hub belongs to RustClientDb (a local-first replica); RustAdapter takes filename or url')
    error.code = 'INVALID_INPUT'
    throw error
  }
  const bare = config === undefined || config === null
  if (!bare && (typeof config !== 'object' || 'filename' in config || 'database' in config || 'url' in config)) return config
  const url = process.env.DATABASE_URL
  return isPostgresUrl(url) ? { ...(bare ? {} : config), url } : config
}

/** Opens the native store; answers its handle. Errors carry their code. */
function openNative(config) {
  const { openStore } = loadNative()
  try {
    return openStore(withDatabaseUrl(config))
  } catch (error) {
    throw withCode(error)
  }
}

/** The Auth.js adapter object over one native store handle. */
function faceOf(store) {
  const native = loadNative()
  const sqlite = native.storeBackend(store) === 'sqlite'
  const write = sqlite ? writeQueue() : directWrites()
  const beforeRead = sqlite ? readRuns(store, native) : null
  const read = (call, later = null) => readWith(call, later, beforeRead)
  const toUser = fromColumns(assembleUser)
  /** A write whose result the native side builds with `assemble` (columns, if it answers later). */
  const assembledWrite = (call, assemble) => write(call, same, fromColumns(assemble))
  return {
    createUser: write((inline, user) => native.createUser(store, user, inline)),
    getUser: read((id) => native.getUser(store, id, assembleUser), toUser),
    getUserByEmail: read((email) => native.getUserByEmail(store, email, assembleUser), toUser),
    getUserByAccount: read(
      (key) => native.getUserByAccount(store, key, key?.provider, key?.providerAccountId, assembleUser),
      toUser,
    ),
    updateUser: write((inline, user) => native.updateUser(store, user, inline)),
    deleteUser: write((inline, userId) => native.deleteUser(store, userId, inline)),
    linkAccount: write((inline, account) => native.linkAccount(store, account, inline)),
    unlinkAccount: write(
      (inline, key) => native.unlinkAccount(store, key, inline),
      (row) => row ?? undefined,
    ),
    getAccount: read((providerAccountId, provider) => native.getAccount(store, providerAccountId, provider)),
    createSession: assembledWrite(
      (inline, session) =>
        native.createSession(store, session, session?.sessionToken, session?.userId, session?.expires, assembleSession, inline),
      assembleSession,
    ),
    getSessionAndUser: read(
      (sessionToken) => native.getSessionAndUser(store, sessionToken, assembleSessionAndUser),
      fromColumns(assembleSessionAndUser),
    ),
    updateSession: assembledWrite(
      (inline, session) =>
        native.updateSession(store, session, session?.sessionToken, session?.userId, session?.expires, assembleSession, inline),
      assembleSession,
    ),
    deleteSession: assembledWrite(
      (inline, sessionToken) => native.deleteSession(store, sessionToken, assembleSession, inline),
      assembleSession,
    ),
    createVerificationToken: assembledWrite(
      (inline, token) =>
        native.createVerificationToken(
          store,
          token,
          token?.identifier,
          token?.token,
          token?.expires,
          assembleVerificationToken,
          inline,
        ),
      assembleVerificationToken,
    ),
    useVerificationToken: assembledWrite(
      (inline, params) =>
        native.useVerificationToken(store, params, params?.identifier, params?.token, assembleVerificationToken, inline),
      assembleVerificationToken,
    ),
    createAuthenticator: write((inline, authenticator) => native.createAuthenticator(store, authenticator, inline)),
    getAuthenticator: read((credentialID) => native.getAuthenticator(store, credentialID)),
    listAuthenticatorsByUserId: read((userId) => native.listAuthenticatorsByUserId(store, userId)),
    updateAuthenticatorCounter: write((inline, credentialID, newCounter) =>
      native.updateAuthenticatorCounter(store, credentialID, newCounter, inline),
    ),
    prune: write((inline) => native.prune(store, inline)),
    close: write(() => native.close(store)),
  }
}

module.exports = { RustAdapter, openNative, faceOf, read: readWith, withCode, assembleUser, assembleSessionAndUser }
