'use strict'
/**
 * The PostgreSQL floor: floor.js's operations written directly on node-postgres (`pg`), with
 * no ORM, on RustAdapter's PostgreSQL schema (src/store/postgres/sql.rs, migration 1: dates as
 * `bigint` epoch milliseconds, extra properties as `jsonb`, sessions keyed by
 * `session_token_hash`). It is what a careful hand-written JavaScript adapter on PostgreSQL
 * costs, with the same choices as floor.js: one JOIN for getSessionAndUser,
 * DELETE … RETURNING for tokens and session deletes, UPDATE … RETURNING for session updates,
 * each method an `async` function returning the Auth.js shapes (Dates as `Date`, empty
 * optional columns left out, as RustAdapter returns them).
 *
 * Where floor.js has one better-sqlite3 connection, this one has a `pg.Pool` of RustAdapter's
 * default size (10 connections, kept open like RustAdapter's pool keeps them), and every
 * statement is a named prepared statement (`{ name, text, values }`: parsed and planned once
 * per connection, as RustAdapter prepares each statement once per connection). Like RustAdapter
 * without a `secret`, it stores session tokens only as their hex SHA-256 and hashes the
 * caller's token on every session call.
 *
 * Only the methods the benchmark calls are implemented.
 */

const { randomUUID } = require('node:crypto')
const { tokenHash } = require('./floor.js')

/** RustAdapter's default `poolSize` (DEFAULT_POOL_SIZE in src/config.rs). */
const POOL_SIZE = 10

/** A quoted identifier (schema names here are letters, digits and `_`). */
const quote = (identifier) => `"${identifier.replace(/"/g, '""')}"`

/**
 * The DDL of RustAdapter's PostgreSQL migration 1, in `schema` (created here). Same tables,
 * columns, keys and indexes; only the migrations bookkeeping table is left out.
 */
function pgFloorSchema(schema) {
  const t = (table) => `${quote(schema)}.${quote(table)}`
  return `
    CREATE SCHEMA ${quote(schema)};
    CREATE TABLE ${t('users')} (
        id             text PRIMARY KEY,
        name           text,
        email          text UNIQUE,
        email_verified bigint,
        image          text,
        extra          jsonb
    );
    CREATE TABLE ${t('accounts')} (
        provider            text NOT NULL,
        provider_account_id text NOT NULL,
        user_id             text NOT NULL REFERENCES ${t('users')} (id) ON DELETE CASCADE,
        type                text NOT NULL,
        access_token        text,
        refresh_token       text,
        expires_at          double precision,
        token_type          text,
        scope               text,
        id_token            text,
        session_state       text,
        extra               jsonb,
        PRIMARY KEY (provider, provider_account_id)
    );
    CREATE INDEX ON ${t('accounts')} (user_id);
    CREATE TABLE ${t('sessions')} (
        session_token_hash text PRIMARY KEY,
        user_id            text NOT NULL REFERENCES ${t('users')} (id) ON DELETE CASCADE,
        expires            bigint NOT NULL
    );
    CREATE INDEX ON ${t('sessions')} (user_id);
    CREATE INDEX ON ${t('sessions')} (expires);
    CREATE TABLE ${t('verification_tokens')} (
        identifier text NOT NULL,
        token      text NOT NULL,
        expires    bigint NOT NULL,
        PRIMARY KEY (identifier, token)
    );
    CREATE INDEX ON ${t('verification_tokens')} (expires);
    CREATE TABLE ${t('authenticators')} (
        credential_id          text PRIMARY KEY,
        user_id                text NOT NULL REFERENCES ${t('users')} (id) ON DELETE CASCADE,
        provider_account_id    text NOT NULL,
        credential_public_key  text NOT NULL,
        counter                bigint NOT NULL,
        credential_device_type text NOT NULL,
        credential_backed_up   boolean NOT NULL,
        transports             text,
        created_seq            bigint GENERATED ALWAYS AS IDENTITY
    );
    CREATE INDEX ON ${t('authenticators')} (user_id, created_seq);
  `
}

/** Epoch milliseconds of a DateInput (Date, ISO string or number). */
function toMs(value) {
  if (value instanceof Date) return value.getTime()
  if (typeof value === 'number') return value
  return Date.parse(value)
}

/**
 * A user row (columns id, name, email, email_verified, image, extra) as an AdapterUser.
 * node-postgres hands `bigint` columns over as strings; epoch milliseconds fit a Number.
 */
function userOf(row) {
  const user = { id: row.id }
  if (row.name !== null) user.name = row.name
  if (row.email !== null) user.email = row.email
  user.emailVerified = row.email_verified === null ? null : new Date(Number(row.email_verified))
  if (row.image !== null) user.image = row.image
  if (row.extra !== null) Object.assign(user, JSON.parse(row.extra))
  return user
}

/** A session row (user_id, expires), labelled with the caller's token. */
function sessionOf(sessionToken, row) {
  return { sessionToken, userId: row.user_id, expires: new Date(Number(row.expires)) }
}

/**
 * @param {import('pg').Pool} pool a pool on a database where `schema` holds pgFloorSchema's tables
 * @param {string} schema
 */
function PgFloorAdapter(pool, schema) {
  const t = (table) => `${quote(schema)}.${quote(table)}`
  const USER = 'u.id, u.name, u.email, u.email_verified, u.image, u.extra::text AS extra'
  const texts = {
    insertUser: `INSERT INTO ${t('users')} (id, name, email, email_verified, image) VALUES ($1, $2, $3, $4, $5)`,
    userByEmail: `SELECT ${USER} FROM ${t('users')} u WHERE u.email = $1`,
    userByAccount: `SELECT ${USER} FROM ${t('accounts')} a JOIN ${t('users')} u ON u.id = a.user_id
       WHERE a.provider = $1 AND a.provider_account_id = $2`,
    insertAccount: `INSERT INTO ${t('accounts')} (provider, provider_account_id, user_id, type, access_token,
         refresh_token, expires_at, token_type, scope, id_token, session_state)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    insertSession: `INSERT INTO ${t('sessions')} (session_token_hash, user_id, expires) VALUES ($1, $2, $3)`,
    sessionAndUser: `SELECT s.user_id, s.expires, ${USER}
         FROM ${t('sessions')} s JOIN ${t('users')} u ON u.id = s.user_id
        WHERE s.session_token_hash = $1`,
    updateSession: `UPDATE ${t('sessions')} SET user_id = coalesce($2, user_id), expires = coalesce($3, expires)
        WHERE session_token_hash = $1 RETURNING user_id, expires`,
    deleteSession: `DELETE FROM ${t('sessions')} WHERE session_token_hash = $1 RETURNING user_id, expires`,
    insertToken: `INSERT INTO ${t('verification_tokens')} (identifier, token, expires) VALUES ($1, $2, $3)`,
    useToken: `DELETE FROM ${t('verification_tokens')} WHERE identifier = $1 AND token = $2
       RETURNING identifier, token, expires`,
  }
  // Named statements: each connection of the pool prepares a name on its first use of it.
  const query = (name, values) => pool.query({ name: `floor_${name}`, text: texts[name], values })
  /** The single row a statement returned, or undefined. */
  const one = async (name, values) => (await query(name, values)).rows[0]
  const orNull = (v) => (v === undefined ? null : v)

  return {
    async createUser(user) {
      const id = user.id ?? randomUUID()
      const verified = user.emailVerified == null ? null : toMs(user.emailVerified)
      await query('insertUser', [id, orNull(user.name), orNull(user.email), verified, orNull(user.image)])
      return { ...user, id, emailVerified: verified === null ? null : new Date(verified) }
    },
    async getUserByEmail(email) {
      const row = await one('userByEmail', [email])
      return row === undefined ? null : userOf(row)
    },
    async getUserByAccount({ provider, providerAccountId }) {
      const row = await one('userByAccount', [provider, providerAccountId])
      return row === undefined ? null : userOf(row)
    },
    async linkAccount(a) {
      await query('insertAccount', [
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
      ])
      return a
    },
    async createSession({ sessionToken, userId, expires }) {
      const ms = toMs(expires)
      await query('insertSession', [tokenHash(sessionToken), userId, ms])
      return { sessionToken, userId, expires: new Date(ms) }
    },
    async getSessionAndUser(sessionToken) {
      const row = await one('sessionAndUser', [tokenHash(sessionToken)])
      return row === undefined ? null : { session: sessionOf(sessionToken, row), user: userOf(row) }
    },
    async updateSession({ sessionToken, userId, expires }) {
      const ms = expires == null ? null : toMs(expires)
      const row = await one('updateSession', [tokenHash(sessionToken), orNull(userId), ms])
      return row === undefined ? null : sessionOf(sessionToken, row)
    },
    async deleteSession(sessionToken) {
      const row = await one('deleteSession', [tokenHash(sessionToken)])
      return row === undefined ? null : sessionOf(sessionToken, row)
    },
    async createVerificationToken({ identifier, token, expires }) {
      const ms = toMs(expires)
      await query('insertToken', [identifier, token, ms])
      return { identifier, token, expires: new Date(ms) }
    },
    async useVerificationToken({ identifier, token }) {
      const row = await one('useToken', [identifier, token])
      return row === undefined ? null : { ...row, expires: new Date(Number(row.expires)) }
    },
  }
}

/**
 * A pool like RustAdapter's: at most POOL_SIZE connections, opened on demand and then kept
 * (RustAdapter's pool never closes idle connections; pg's default would after 10 s).
 */
function openPgFloorPool(url) {
  const pg = require('pg')
  return new pg.Pool({ connectionString: url, max: POOL_SIZE, idleTimeoutMillis: 0 })
}

module.exports = { PgFloorAdapter, pgFloorSchema, openPgFloorPool, POOL_SIZE, quote }
