'use strict'
/**
 * docs/schema/sqlite.sql is the schema a new SQLite file gets: a file freshly created by
 * RustAdapter and an in-memory database into which the documented SQL was executed must have
 * the same tables, columns, keys, indexes, triggers, views and `PRAGMA user_version`.
 *
 * Structure is compared through SQLite's own pragmas, never the SQL text, so layout,
 * comments and spelling (`REFERENCES users(id)` vs `REFERENCES users (id)`) do not matter.
 * Both databases are read by the same SQLite (better-sqlite3).
 */
const fs = require('node:fs')
const path = require('node:path')
const Database = require('better-sqlite3')

const { RustAdapter } = require('../index.js')
const { tempFile } = require('./helpers')

const DOCUMENTED = path.join(__dirname, '..', 'docs', 'schema', 'sqlite.sql')

/** Collapses whitespace, so SQL bodies compare by content. */
const squash = (sql) => (sql ?? '').replace(/\s+/g, ' ').trim()

/** The user objects of `db` (SQLite's own `sqlite_%` objects left out), by type then name. */
function objects(db) {
  return db
    .prepare("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name")
    .all()
}

function tableNames(db) {
  return objects(db)
    .filter((o) => o.type === 'table')
    .map((o) => o.name)
}

/** Each table's columns as `pragma table_xinfo` reports them (hidden = generated). */
function columns(db) {
  return Object.fromEntries(
    tableNames(db).map((t) => [
      t,
      db.pragma(`table_xinfo("${t}")`).map(({ cid, name, type, notnull, dflt_value, pk, hidden }) => ({
        cid,
        name,
        type,
        notnull,
        dflt_value,
        pk,
        hidden,
      })),
    ]),
  )
}

/** Each table's kind: rowid or WITHOUT ROWID, STRICT or not. */
function tableKinds(db) {
  return Object.fromEntries(
    tableNames(db).map((t) => {
      const [{ type, wr, strict }] = db.pragma(`table_list("${t}")`)
      return [t, { type, withoutRowid: wr, strict }]
    }),
  )
}

/** Each table's foreign keys. */
function foreignKeys(db) {
  return Object.fromEntries(
    tableNames(db).map((t) => [
      t,
      db
        .pragma(`foreign_key_list("${t}")`)
        .map(({ seq, table, from, to, on_update, on_delete, match }) => ({ seq, table, from, to, on_update, on_delete, match }))
        .sort((a, b) => `${a.from}/${a.seq}`.localeCompare(`${b.from}/${b.seq}`)),
    ]),
  )
}

/**
 * Each table's indexes with their key columns, uniqueness and origin (`c` CREATE INDEX,
 * `u` UNIQUE, `pk` PRIMARY KEY). Indexes SQLite made for a constraint are named
 * `sqlite_autoindex_...` after the table's history; they are identified by origin and
 * columns instead.
 */
function indexes(db) {
  return Object.fromEntries(
    tableNames(db).map((t) => [
      t,
      db
        .pragma(`index_list("${t}")`)
        .map(({ name, unique, origin, partial }) => ({
          name: name.startsWith('sqlite_autoindex_') ? `(${origin})` : name,
          unique,
          origin,
          partial,
          columns: db
            .pragma(`index_xinfo("${name}")`)
            .filter((c) => c.key)
            .map((c) => `${c.name}${c.desc ? ' DESC' : ''} ${c.coll}`),
        }))
        .sort((a, b) => `${a.name} ${a.columns}`.localeCompare(`${b.name} ${b.columns}`)),
    ]),
  )
}

/** Triggers and views with their SQL (whitespace collapsed). */
function triggersAndViews(db) {
  return db
    .prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('trigger', 'view') ORDER BY type, name")
    .all()
    .map((o) => ({ ...o, sql: squash(o.sql) }))
}

let migrated
let documented

beforeAll(async () => {
  const filename = tempFile('schema.sqlite')
  const adapter = RustAdapter({ filename, sweepInterval: 0 })
  await adapter.getUser('nobody') // the first call creates and migrates the file
  await adapter.close()
  migrated = new Database(filename, { readonly: true, fileMustExist: true })
  documented = new Database(':memory:')
  documented.exec(fs.readFileSync(DOCUMENTED, 'utf8'))
})

afterAll(() => {
  migrated?.close()
  documented?.close()
})

test('the documented SQL creates the same tables and indexes, by name, as a new file holds', () => {
  expect(objects(documented)).toEqual(objects(migrated))
})

test('every documented table has the columns of the new file, with their types, NOT NULL, defaults and primary-key positions', () => {
  expect(columns(documented)).toEqual(columns(migrated))
})

test('every documented table is the same kind of table (WITHOUT ROWID, STRICT) as in the new file', () => {
  expect(tableKinds(documented)).toEqual(tableKinds(migrated))
})

test('the documented foreign keys reference the same columns with the same ON DELETE rules', () => {
  expect(foreignKeys(documented)).toEqual(foreignKeys(migrated))
})

test('the documented indexes and unique rules cover the same columns as in the new file', () => {
  expect(indexes(documented)).toEqual(indexes(migrated))
})

test('the documented triggers and views are those of the new file (none today)', () => {
  expect(triggersAndViews(documented)).toEqual(triggersAndViews(migrated))
})

test('the documented schema version is the one a new file records in PRAGMA user_version', () => {
  expect(documented.pragma('user_version', { simple: true })).toBe(migrated.pragma('user_version', { simple: true }))
  expect(migrated.pragma('user_version', { simple: true })).toBeGreaterThan(0)
})
