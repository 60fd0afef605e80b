'use strict'
/**
 * The null adapter of the HTTP part: the Auth.js methods a database-session app needs, on
 * JavaScript Maps in the server's own memory. It answers getSessionAndUser with one Map lookup
 * and two small fresh objects (as every real adapter builds new objects per call), so the same
 * Express app on it measures what a request costs without any adapter work; the difference to
 * a real adapter is that adapter's share of the request (docs/performance.md).
 *
 * Not an adapter to use: nothing persists, and only what the bench and Auth.js's session route
 * call is complete.
 */

const { randomUUID } = require('node:crypto')

function MemoryAdapter() {
  const users = new Map() // id -> user
  const byEmail = new Map() // email -> id
  const byAccount = new Map() // provider \0 providerAccountId -> id
  const sessions = new Map() // sessionToken -> { userId, expires (ms) }

  const userCopy = (u) => (u === undefined ? null : { ...u })
  return {
    async createUser(user) {
      const stored = { ...user, id: user.id ?? randomUUID() }
      users.set(stored.id, stored)
      if (stored.email != null) byEmail.set(stored.email, stored.id)
      return { ...stored }
    },
    async getUser(id) {
      return userCopy(users.get(id))
    },
    async getUserByEmail(email) {
      return userCopy(users.get(byEmail.get(email)))
    },
    async getUserByAccount({ provider, providerAccountId }) {
      return userCopy(users.get(byAccount.get(`${provider}\0${providerAccountId}`)))
    },
    async updateUser(user) {
      const stored = users.get(user.id)
      if (stored === undefined) throw new Error(`memory adapter: no user ${user.id}`)
      Object.assign(stored, user)
      return { ...stored }
    },
    async linkAccount(account) {
      byAccount.set(`${account.provider}\0${account.providerAccountId}`, account.userId)
      return account
    },
    async createSession({ sessionToken, userId, expires }) {
      sessions.set(sessionToken, { userId, expires: expires.getTime() })
      return { sessionToken, userId, expires: new Date(expires.getTime()) }
    },
    async getSessionAndUser(sessionToken) {
      const s = sessions.get(sessionToken)
      if (s === undefined) return null
      const user = users.get(s.userId)
      if (user === undefined) return null
      return { session: { sessionToken, userId: s.userId, expires: new Date(s.expires) }, user: { ...user } }
    },
    async updateSession({ sessionToken, userId, expires }) {
      const s = sessions.get(sessionToken)
      if (s === undefined) return null
      if (userId != null) s.userId = userId
      if (expires != null) s.expires = expires.getTime()
      return { sessionToken, userId: s.userId, expires: new Date(s.expires) }
    },
    async deleteSession(sessionToken) {
      const s = sessions.get(sessionToken)
      if (s === undefined) return null
      sessions.delete(sessionToken)
      return { sessionToken, userId: s.userId, expires: new Date(s.expires) }
    },
  }
}

module.exports = { MemoryAdapter }
