'use strict'
/**
 * The contenders. The default run's four are each opened on their own SQLite file in WAL mode
 * with the same `synchronous` setting. `open()` resolves to `{ adapter, close }` where
 * `adapter` has the Auth.js methods the workloads call.
 *
 * `--backend postgres` runs three others: RustAdapter on PostgreSQL and the node-postgres
 * floor, each in its own fresh schema (`url` and `schema` in open's options), and RustAdapter
 * on SQLite exactly as `rust` is opened, for the cost of one backend against the other.
 */

const path = require('node:path')
const { FLOOR_SCHEMA, DRIZZLE_SCHEMA, KYSELY_SCHEMA, openBetterSqlite, openNodeSqlite } = require('./schema.js')

/** The package root: RustAdapter is loaded from there by path (the release build). */
const ROOT = path.resolve(__dirname, '..', '..')

const CONTENDERS = {
  /** authjs-rust-adapter: creates (or opens) its own schema. */
  rust: {
    label: 'RustAdapter',
    async open(filename, { synchronous }) {
      const { RustAdapter } = require(ROOT)
      const adapter = RustAdapter({ filename, synchronous })
      await adapter.getUser('bench-open') // the file opens on the first call: not a timed one
      return { adapter, close: () => adapter.close() }
    },
  },

  /**
   * RustAdapter with the opt-in memory map (`mmapSize`, 1 GiB): read in the scale part only,
   * beside the default `rust`, to show what the option does for a file far larger than the
   * page cache. The targets are judged on the default.
   */
  'rust-mmap': {
    label: 'RustAdapter, mmapSize 1 GiB',
    async open(filename, { synchronous }) {
      const { RustAdapter } = require(ROOT)
      const adapter = RustAdapter({ filename, synchronous, mmapSize: 2 ** 30 })
      await adapter.getUser('bench-open') // the file opens on the first call: not a timed one
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

  /**
   * The same floor adapter (floor.js: same statements, schema, indexes, token hashing and
   * checks) on Node.js's built-in `node:sqlite` instead of better-sqlite3: what a user of Node 22.5+
   * can now write with no dependency at all. Not on Node 20 (run.js leaves it out and says so).
   */
  nsqlite: {
    label: 'floor (raw node:sqlite)',
    async open(filename, { synchronous, fresh }) {
      const { FloorAdapter } = require('./floor.js')
      const sqlite = openNodeSqlite(filename, { synchronous })
      if (fresh) sqlite.exec(FLOOR_SCHEMA)
      return { adapter: FloorAdapter(sqlite), close: async () => sqlite.close() }
    },
  },

  /**
   * No database: the Auth.js methods on JavaScript Maps (memory.js). Only the HTTP part runs
   * it, as the reference for "what share of a request the adapter is": the same app with an
   * adapter that costs next to nothing.
   */
  memory: {
    label: 'null adapter (JavaScript Maps, no database)',
    async open() {
      const { MemoryAdapter } = require('./memory.js')
      return { adapter: MemoryAdapter(), close: async () => {} }
    },
  },

  /** authjs-rust-adapter on PostgreSQL, in its own schema (created by its migrations). */
  'rust-postgres': {
    label: 'RustAdapter (PostgreSQL)',
    async open(_filename, { url, schema }) {
      const { RustAdapter } = require(ROOT)
      const adapter = RustAdapter({ url, schema, sweepInterval: 0 })
      // The first call connects and creates the schema: made here, before any clock runs (the
      // pg floor creates its tables in open() too).
      if ((await adapter.getUserByEmail('nobody@bench.invalid')) !== null) throw new Error(`schema ${schema} is not empty`)
      return { adapter, close: () => adapter.close() }
    },
  },

  /** authjs-rust-adapter on SQLite, opened exactly as `rust` (the postgres run's reference). */
  'rust-sqlite': {
    label: 'RustAdapter (SQLite)',
    open: (filename, options) => CONTENDERS.rust.open(filename, options),
  },

  /** Hand-written node-postgres statements on RustAdapter's PostgreSQL schema (pg-floor.js). */
  'pg-floor': {
    label: 'pg-floor (raw node-postgres)',
    async open(_filename, { url, schema, fresh }) {
      const { PgFloorAdapter, pgFloorSchema, openPgFloorPool } = require('./pg-floor.js')
      const pool = openPgFloorPool(url)
      if (fresh) await pool.query(pgFloorSchema(schema))
      return { adapter: PgFloorAdapter(pool, schema), close: () => pool.end() }
    },
  },
}

module.exports = { CONTENDERS, ROOT }
