'use strict'
/**
 * The four contenders, each opened on its own SQLite file in WAL mode with the same
 * `synchronous` setting. `open()` resolves to `{ adapter, close }` where `adapter` has the
 * Auth.js methods the workloads call.
 */

const path = require('node:path')
const { FLOOR_SCHEMA, DRIZZLE_SCHEMA, KYSELY_SCHEMA, openBetterSqlite } = require('./schema.js')

/** The package root: RustAdapter is loaded from there by path (the release build). */
const ROOT = path.resolve(__dirname, '..', '..')

const CONTENDERS = {
  /** authjs-rust-adapter: creates (or opens) its own schema. */
  rust: {
    label: 'RustAdapter',
    async open(filename, { synchronous }) {
      const { RustAdapter } = require(ROOT)
      const adapter = RustAdapter({ filename, synchronous })
      return { adapter, close: () => adapter.close() }
    },
  },

  /** @auth/drizzle-adapter with drizzle-orm on better-sqlite3, on the schema of its docs. */
  drizzle: {
    label: 'drizzle-adapter',
    async open(filename, { synchronous, fresh }) {
      const Database = require('better-sqlite3')
      const { drizzle } = await import('drizzle-orm/better-sqlite3')
      const { DrizzleAdapter } = await import('@auth/drizzle-adapter')
      const schema = await import('./drizzle-schema.mjs')
      const sqlite = openBetterSqlite(Database, filename, { synchronous })
      if (fresh) sqlite.exec(DRIZZLE_SCHEMA)
      const adapter = DrizzleAdapter(drizzle({ client: sqlite }), {
        usersTable: schema.users,
        accountsTable: schema.accounts,
        sessionsTable: schema.sessions,
        verificationTokensTable: schema.verificationTokens,
      })
      return { adapter, close: async () => sqlite.close() }
    },
  },

  /** @auth/kysely-adapter with Kysely's SqliteDialect on better-sqlite3. */
  kysely: {
    label: 'kysely-adapter',
    async open(filename, { synchronous, fresh }) {
      const Database = require('better-sqlite3')
      const { Kysely, SqliteDialect } = await import('kysely')
      const { KyselyAdapter } = await import('@auth/kysely-adapter')
      const sqlite = openBetterSqlite(Database, filename, { synchronous })
      if (fresh) sqlite.exec(KYSELY_SCHEMA)
      const db = new Kysely({ dialect: new SqliteDialect({ database: sqlite }) })
      return { adapter: KyselyAdapter(db), close: () => db.destroy() }
    },
  },

  /** Hand-written better-sqlite3 statements on RustAdapter's schema shape (floor.js). */
  floor: {
    label: 'floor (raw better-sqlite3)',
    async open(filename, { synchronous, fresh }) {
      const Database = require('better-sqlite3')
      const { FloorAdapter } = require('./floor.js')
      const sqlite = openBetterSqlite(Database, filename, { synchronous, secureDelete: true })
      if (fresh) sqlite.exec(FLOOR_SCHEMA)
      return { adapter: FloorAdapter(sqlite), close: async () => sqlite.close() }
    },
  },
}

module.exports = { CONTENDERS, ROOT }
