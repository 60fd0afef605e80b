'use strict'
/**
 * The floor: the same adapter operations written directly as better-sqlite3 prepared
 * statements, with no ORM, on RustAdapter's schema shape (users/accounts/sessions/
 * verification_tokens, dates as integer milliseconds, FLOOR_SCHEMA in schema.js). It is what
 * a careful hand-written JavaScript adapter costs: one JOIN for getSessionAndUser,
 * DELETE … RETURNING for tokens, each method an `async` function returning the Auth.js shapes
 * (Dates as `Date`, empty optional columns left out, as RustAdapter returns them).
 *
 * Like RustAdapter (without a `secret`), it stores session tokens only as their hex SHA-256
 * and hashes the caller's token on every session call, so both do the same work.
 *
 * Only the methods the benchmark calls are implemented, plus getUser and updateUser, which
 * Auth.js requires of a database-session adapter (the HTTP part runs it under @auth/express).
 */

const { createHash, randomUUID } = require('node:crypto')

/** Epoch milliseconds of a DateInput (Date, ISO string or number). */
function toMs(value) {
  if (value instanceof Date) return value.getTime()
  if (typeof value === 'number') return value
  return Date.parse(value)
}

/** A user row (columns id, name, email, email_verified, image, extra) as an AdapterUser. */
function userOf(row) {
  const user = { id: row.id }
  if (row.name !== null) user.name = row.name
  if (row.email !== null) user.email = row.email
  user.emailVerified = row.email_verified === null ? null : new Date(row.email_verified)
  if (row.image !== null) user.image = row.image
  if (row.extra !== null) Object.assign(user, JSON.parse(row.extra))
  return user
}

/** The stored form of a session token (RustAdapter's, when no `secret` is configured). */
function tokenHash(sessionToken) {
  return createHash('sha256').update(sessionToken).digest('hex')
}

/** A session row (user_id, expires), labelled with the caller's token. */
function sessionOf(sessionToken, row) {
  return { sessionToken, userId: row.user_id, expires: new Date(row.expires) }
}

/** @param {import('better-sqlite3').Database} db an open connection on RustAdapter's schema */
function FloorAdapter(db) {
  const USER = 'u.id, u.name, u.email, u.email_verified, u.image, u.extra'
  const stmt = {
    insertUser: db.prepare(
      'INSERT INTO users (id, name, email, email_verified, image) VALUES (?, ?, ?, ?, ?)',
    ),
    userById: db.prepare(`SELECT ${USER} FROM users u WHERE u.id = ?`),
    userByEmail: db.prepare(`SELECT ${USER} FROM users u WHERE u.email = ?`),
    updateUser: db.prepare(
      'UPDATE users SET name = ?, email = ?, email_verified = ?, image = ? WHERE id = ?',
    ),
    userByAccount: db.prepare(
      `SELECT ${USER} FROM accounts a JOIN users u ON u.id = a.user_id
        WHERE a.provider = ? AND a.provider_account_id = ?`,
    ),
    insertAccount: db.prepare(
      `INSERT INTO accounts (provider, provider_account_id, user_id, type, access_token,
         refresh_token, expires_at, token_type, scope, id_token, session_state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertSession: db.prepare(
      'INSERT INTO sessions (session_token_hash, user_id, expires) VALUES (?, ?, ?)',
    ),
    sessionAndUser: db.prepare(
      `SELECT s.user_id, s.expires, ${USER}
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.session_token_hash = ?`,
    ),
    updateSession: db.prepare(
      `UPDATE sessions SET user_id = coalesce(?, user_id), expires = coalesce(?, expires)
        WHERE session_token_hash = ? RETURNING user_id, expires`,
    ),
    deleteSession: db.prepare(
      'DELETE FROM sessions WHERE session_token_hash = ? RETURNING user_id, expires',
    ),
    insertToken: db.prepare(
      'INSERT INTO verification_tokens (identifier, token, expires) VALUES (?, ?, ?)',
    ),
    useToken: db.prepare(
      `DELETE FROM verification_tokens WHERE identifier = ? AND token = ?
       RETURNING identifier, token, expires`,
    ),
  }
  const orNull = (v) => (v === undefined ? null : v)

  return {
    async createUser(user) {
      const id = user.id ?? randomUUID()
      const verified = user.emailVerified == null ? null : toMs(user.emailVerified)
      stmt.insertUser.run(id, orNull(user.name), orNull(user.email), verified, orNull(user.image))
      return { ...user, id, emailVerified: verified === null ? null : new Date(verified) }
    },
    async getUser(id) {
      const row = stmt.userById.get(id)
      return row === undefined ? null : userOf(row)
    },
    async updateUser(user) {
      const row = stmt.userById.get(user.id)
      if (row === undefined) throw new Error(`floor: no user ${user.id}`)
      const merged = { ...userOf(row), ...user }
      const verified = merged.emailVerified == null ? null : toMs(merged.emailVerified)
      stmt.updateUser.run(orNull(merged.name), orNull(merged.email), verified, orNull(merged.image), user.id)
      return { ...merged, emailVerified: verified === null ? null : new Date(verified) }
    },
    async getUserByEmail(email) {
      const row = stmt.userByEmail.get(email)
      return row === undefined ? null : userOf(row)
    },
    async getUserByAccount({ provider, providerAccountId }) {
      const row = stmt.userByAccount.get(provider, providerAccountId)
      return row === undefined ? null : userOf(row)
    },
    async linkAccount(a) {
      stmt.insertAccount.run(
        a.provider,
        a.providerAccountId,
        a.userId,
        a.type,
        orNull(a.access_token),
        orNull(a.refresh_token),
        orNull(a.expires_at),
        orNull(a.token_type),
        orNull(a.scope),
        orNull(a.id_token),
        orNull(a.session_state),
      )
      return a
    },
    async createSession({ sessionToken, userId, expires }) {
      const ms = toMs(expires)
      stmt.insertSession.run(tokenHash(sessionToken), userId, ms)
      return { sessionToken, userId, expires: new Date(ms) }
    },
    async getSessionAndUser(sessionToken) {
      const row = stmt.sessionAndUser.get(tokenHash(sessionToken))
      return row === undefined ? null : { session: sessionOf(sessionToken, row), user: userOf(row) }
    },
    async updateSession({ sessionToken, userId, expires }) {
      const ms = expires == null ? null : toMs(expires)
      const row = stmt.updateSession.get(orNull(userId), ms, tokenHash(sessionToken))
      return row === undefined ? null : sessionOf(sessionToken, row)
    },
    async deleteSession(sessionToken) {
      const row = stmt.deleteSession.get(tokenHash(sessionToken))
      return row === undefined ? null : sessionOf(sessionToken, row)
    },
    async createVerificationToken({ identifier, token, expires }) {
      const ms = toMs(expires)
      stmt.insertToken.run(identifier, token, ms)
      return { identifier, token, expires: new Date(ms) }
    },
    async useVerificationToken({ identifier, token }) {
      const row = stmt.useToken.get(identifier, token)
      return row === undefined ? null : { ...row, expires: new Date(row.expires) }
    },
  }
}

module.exports = { FloorAdapter, tokenHash }
