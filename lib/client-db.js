// @ts-check
'use strict'
/**
 * `RustClientDb(config)`: a local-first replica. An embedded SQLite file answers Auth.js reads
 * in microseconds and is kept in sync with a PostgreSQL hub, the single source of truth.
 *
 * The handle follows the Client DB integration shape: `database` is the Auth.js adapter over
 * the replica; `pull`, `push`, `flush`, `live`, `device`, `schema` and `event` drive the sync.
 * The storage and sync work is native (see src/replica); this file only shapes the handle and
 * delivers events.
 */

const { loadNative } = require('./load.js')
const { faceOf } = require('./adapter.js')
const { promised } = require('./scheduling.js')
const { codedError, withCode } = require('./errors.js')

/**
 * The events a handle emits. `sync:live`, `sync:offline`, `unauthorized` and a
 * `device:register` that follows a `register()` made while the hub was away come from the
 * replica's sync task, as they happen.
 */
const EVENT_NAMES = [
  'device:register',
  'device:deregister',
  'sync:pull',
  'sync:push',
  'sync:live',
  'sync:offline',
  'unauthorized',
  'change',
]

/** Wraps a native call so it returns a Promise rejecting with a coded Error. */
const call = promised

/**
 * Opens a replica.
 *
 * @param {import('../index').RustClientDbConfig} config
 * @returns {import('../index').RustClientDbHandle}
 */
function RustClientDb(config) {
  const { NativeClientDb } = loadNative()
  let native
  try {
    native = new NativeClientDb(config)
  } catch (error) {
    throw withCode(error)
  }
  /** @type {Map<string, Set<(payload?: unknown) => void>>} */
  const listeners = new Map(EVENT_NAMES.map((name) => [name, new Set()]))
  /** @param {string} name */
  const listenersOf = (name) => /** @type {Set<(payload?: unknown) => void>} */ (listeners.get(name))
  const emit = (name, payload) => {
    for (const callback of listenersOf(name)) {
      try {
        callback(payload)
      } catch {
        // A listener's failure is its own; the sync goes on.
      }
    }
  }
  // The sync task's events (its payload is JSON text; `unauthorized` carries a coded error).
  native.onEvent((event) => {
    const { name, payload } = JSON.parse(event)
    emit(name, name === 'unauthorized' ? withCode(new Error(payload.message)) : payload)
  })
  const checkEvent = (name, callback) => {
    if (!listeners.has(name)) {
      throw codedError('INVALID_INPUT', `event name must be one of ${EVENT_NAMES.join(', ')} (got ${String(name)})`)
    }
    if (typeof callback !== 'function') {
      throw codedError('INVALID_INPUT', 'event callback must be a function')
    }
  }

  const pull = call(() => native.pull())
  const push = call(() => native.push())
  const register = call(() => native.register())
  const deregister = call(() => native.deregister())
  const validate = call((schema) => native.validateSchema(schema))
  const migrate = call((schema) => native.migrateSchema(schema))

  return {
    __brand: 'REPLOCAL_CLIENT_DB',
    database: faceOf(native.adapter()),
    close: call(() => native.close()),
    flush: call(() => native.flush()),
    async pull() {
      const changes = await pull()
      emit('sync:pull', { changes })
      if (changes > 0) emit('change', { changes })
    },
    async push() {
      const writes = await push()
      emit('sync:push', { writes })
    },
    live: call((endpoints) => native.live(endpoints)),
    device: {
      async register() {
        const registration = await register()
        if (registration === null) return undefined
        emit('device:register', registration)
        return registration
      },
      async deregister() {
        await deregister()
        emit('device:deregister', undefined)
      },
    },
    schema: {
      async validate(schema) {
        const differences = await validate(schema)
        if (differences.length > 0) {
          const error = codedError('SCHEMA_MISMATCH', `replica and hub differ from the declared schema: ${differences.join('; ')}`)
          Object.assign(error, { differences })
          throw error
        }
      },
      async migrate(schema) {
        await migrate(schema)
      },
    },
    event: {
      async subscribe(name, callback) {
        checkEvent(name, callback)
        listenersOf(name).add(callback)
      },
      async unsubscribe(name, callback) {
        checkEvent(name, callback)
        listenersOf(name).delete(callback)
      },
    },
  }
}

module.exports = { RustClientDb, EVENT_NAMES }
