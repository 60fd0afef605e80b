// @ts-check
'use strict'
/**
 * Arguments of the hot writes, read on this side. `createUser` and `linkAccount` hand the
 * native side the known properties of their argument one by one (a property read here costs
 * a fraction of one through N-API, which interns the key on every call), and say whether the
 * argument may carry properties beyond them (app-defined extras), so that the native side
 * enumerates its keys only when it may. The native side still checks every value, and the
 * lists of known properties come from it, so the two sides cannot disagree on them.
 */

/** @typedef {typeof import('../native')} Native */

/** @type {{ user: Set<string>, account: Set<string> } | null} */
let known = null

/**
 * The known properties of a user and of an account, as the native side lists them.
 *
 * @param {Native} native
 */
function knownKeys(native) {
  if (known === null) {
    const keys = native.inputKeys()
    known = { user: new Set(keys.user), account: new Set(keys.account) }
  }
  return known
}

/**
 * False only when `value` is an object whose every enumerable property (own or inherited,
 * so never fewer than the native side would see) is a known one. Anything else, including
 * a value that is not an object at all, is left to the native side to read and check.
 *
 * @param {unknown} value
 * @param {Set<string>} keys
 * @returns {boolean}
 */
function extrasPossible(value, keys) {
  if (value === null || typeof value !== 'object') return true
  for (const key in value) if (!keys.has(key)) return true
  return false
}

module.exports = { knownKeys, extrasPossible }
