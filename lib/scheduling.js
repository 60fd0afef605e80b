// @ts-check
'use strict'
/**
 * Scheduling: when native calls run, which is the one thing that must live on the event loop.
 *
 * A store that groups calls (SQLite: it answers on this thread) is told which calls came
 * together:
 * - writes: each write is handed over with its `Arrival`. A write that arrived `'alone'` runs
 *   at once on this thread when the writer thread is idle (two thread hops cost more than the
 *   write) and answers with its committed result; writes that arrived `'together'` go to the
 *   writer thread, which commits them in one transaction without blocking the event loop.
 * - reads: the store may answer them from one shared snapshot for a short lease, as long as
 *   nothing has committed since it began (see `readLease`).
 * Other stores (PostgreSQL, replicas) run every call on their own threads: each call goes
 * straight through. Either way a write's Promise resolves only once it has committed.
 *
 * `setImmediate` and `setTimeout` come from `node:timers`, so test suites with fake timers cannot
 * stall them.
 */

const { setImmediate, setTimeout } = require('node:timers')
const { withCode } = require('./errors.js')

/** @typedef {import('../native').Arrival} Arrival */
/** @typedef {import('../native').Handle} Handle */
/** @typedef {typeof import('../native')} Native */

/**
 * A native write: takes its Arrival first, then the method's arguments.
 *
 * @typedef {(arrival: Arrival, ...args: any[]) => unknown} NativeWrite
 */

/**
 * Makes an adapter method from a native write: `now` shapes an answer given at once,
 * `later` one given through a Promise.
 *
 * @typedef {(call: NativeWrite, now?: (value: any) => any, later?: (value: any) => any) => (...args: any[]) => Promise<any>} WritePath
 */

/** @param {any} value */
const same = (value) => value

/**
 * True for a Promise (or any thenable) the native side returned.
 *
 * @param {unknown} answer
 * @returns {answer is PromiseLike<unknown>}
 */
const isPending = (answer) =>
  answer !== null && typeof answer === 'object' && typeof (/** @type {any} */ (answer).then) === 'function'

/**
 * Wraps a native call so it always returns a Promise and rejects (with a coded error)
 * instead of throwing. A value answered at once is resolved as it is; a Promise's value goes
 * through `later` (if given). `before` (if given) runs before each call.
 *
 * @param {(...args: any[]) => unknown} call
 * @param {((value: any) => any) | null} [later]
 * @param {(() => void) | null} [before]
 * @returns {(...args: any[]) => Promise<any>}
 */
function promised(call, later = null, before = null) {
  /** @param {unknown} error */
  const fail = (error) => Promise.reject(withCode(error))
  return (...args) => {
    try {
      if (before !== null) before()
      const answer = call(...args)
      if (!isPending(answer)) return Promise.resolve(answer)
      return later === null ? Promise.resolve(answer).then(undefined, fail) : Promise.resolve(answer).then(later, fail)
    } catch (error) {
      return fail(error)
    }
  }
}

/**
 * How long reads may keep sharing one snapshot after the first of them, in milliseconds.
 * Long enough that a server answering one request per event-loop turn pays for the lease
 * once per thousands of reads; short enough that a snapshot left open never holds back
 * another process's checkpoint for long.
 */
const SNAPSHOT_LEASE_MS = 10

/**
 * Lets the reads of one store share a snapshot for a short lease, across turns of the event
 * loop: a server's requests each arrive in their own turn, and a read that starts and ends
 * its own read transaction pays two lock calls and a file check for it. The native side
 * reuses the snapshot only while nothing, in this process or another, has committed since it
 * began (it compares the store's commit count and the file's WAL-index header before every
 * read), so every read still sees the latest committed state; a write ends it first. When the
 * lease runs out, the snapshot is let go, so no read lock is held while the adapter is idle.
 * The timer is unref'd: a pending lease never keeps the process alive.
 *
 * @param {Handle} store
 * @param {Native} native
 * @returns {() => void} the hook to run before each read
 */
function readLease(store, native) {
  let leased = false
  const end = () => {
    leased = false
    native.readsTogether(store, false)
  }
  return () => {
    if (leased) return
    leased = true
    native.readsTogether(store, true)
    setTimeout(end, SNAPSHOT_LEASE_MS).unref()
  }
}

/**
 * The write path of a store that groups calls. "Together" means in the same synchronous run
 * of code while no write is with the writer thread (the hand-over waits for a microtask), and
 * in the same turn of the event loop while some are (it waits for `setImmediate`): the writer
 * thread answers one Promise per event-loop callback, so the callers it wakes only meet again
 * at the end of the turn.
 *
 * @returns {WritePath}
 */
function groupedWrites() {
  /** @type {Array<(arrival: Arrival) => void>} */
  let turn = []
  /** Writes handed to the writer thread whose Promise has not settled yet. */
  let withWriter = 0
  const settled = () => {
    withWriter--
  }
  const flush = () => {
    const jobs = turn
    turn = []
    /** @type {Arrival} */
    const arrival = jobs.length === 1 ? 'alone' : 'together'
    for (const job of jobs) job(arrival)
  }
  const resolved = Promise.resolve()
  return (call, now = same, later = now) =>
    (...args) =>
      new Promise((resolve, reject) => {
        /** @param {unknown} error */
        const fail = (error) => reject(withCode(error))
        /** @param {Arrival} arrival */
        const job = (arrival) => {
          try {
            const answer = call(arrival, ...args)
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
 * replica, which writes to its hub first): each write goes straight to the native side.
 *
 * @returns {WritePath}
 */
function directWrites() {
  return (call, now = same, later = now) =>
    promised((...args) => {
      const answer = call('together', ...args)
      return isPending(answer) ? Promise.resolve(answer).then(later) : now(answer)
    })
}

/**
 * The read and write paths of one store.
 *
 * @param {Handle} store
 * @param {Native} native
 * @returns {{ read: (call: (...args: any[]) => unknown, later?: ((value: any) => any) | null) => (...args: any[]) => Promise<any>, write: WritePath }}
 */
function schedulerOf(store, native) {
  if (!native.storeGroupsCalls(store)) {
    return { read: (call, later = null) => promised(call, later), write: directWrites() }
  }
  const beforeRead = readLease(store, native)
  return { read: (call, later = null) => promised(call, later, beforeRead), write: groupedWrites() }
}

module.exports = { schedulerOf, promised, same }
