'use strict'
/**
 * docs/schema/postgres.sql is the schema a new PostgreSQL database gets: a schema that
 * RustAdapter({ url, schema }) migrated and a schema into which the documented SQL was
 * applied (with psql, as the other PostgreSQL suites look at the server) must have the same
 * catalog: relations, columns with types, NOT NULL, defaults and identity, primary, unique
 * and foreign keys, indexes, triggers, functions and the recorded migration versions.
 *
 * The catalog is read with each schema as the `search_path`, and the schema's name is taken
 * out of the definitions, so the two schemas compare name for name.
 */
const fs = require('node:fs')
const path = require('node:path')

const { RustAdapter } = require('../../index.js')
const { storeConfig } = require('../helpers')
const { psql, psqlAt } = require('./pg')

const DOCUMENTED = path.join(__dirname, '..', '..', 'docs', 'schema', 'postgres.sql')

/**
 * Runs `query` (one SELECT yielding one json value) with `schema` as the search_path. Some
 * definitions (pg_get_indexdef) name the schema even so; it is taken out of them.
 */
function json(schema, query) {
  const text = psqlAt(process.env.AUTHJS_TEST_PG_URL, `SET search_path TO "${schema}"; ${query}`)
  return JSON.parse(text.replaceAll(`"${schema}".`, '').replaceAll(`${schema}.`, ''))
}

/** The rows of `select` (a SELECT over the schema's catalog) as one JSON array, in `order`. */
const rows = (schema, select, order) =>
  json(schema, `SELECT coalesce(json_agg(r ORDER BY ${order}), '[]') FROM (${select}) r`)

/** Tables, indexes, sequences and views of the schema, with their kind. */
const relations = (schema) =>
  rows(
    schema,
    `SELECT c.relname AS name, c.relkind AS kind, c.relpersistence AS persistence
       FROM pg_class c WHERE c.relnamespace = '"${schema}"'::regnamespace`,
    'name',
  )

/** Every column of every table: type, NOT NULL, default, identity and generation. */
const columns = (schema) =>
  rows(
    schema,
    `SELECT c.relname AS "table", a.attnum AS position, a.attname AS name,
            format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
            pg_get_expr(d.adbin, d.adrelid) AS "default", a.attidentity AS identity,
            a.attgenerated AS generated
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE c.relnamespace = '"${schema}"'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
        AND a.attnum > 0 AND NOT a.attisdropped`,
    '"table", position',
  )

/** Primary keys, unique rules, foreign keys and checks, as PostgreSQL prints them. */
const constraints = (schema) =>
  rows(
    schema,
    `SELECT conrelid::regclass::text AS "table", conname AS name, contype AS kind,
            pg_get_constraintdef(oid) AS definition
       FROM pg_constraint WHERE connamespace = '"${schema}"'::regnamespace`,
    '"table", name',
  )

/** Indexes with their definitions (columns, method, uniqueness). */
const indexes = (schema) =>
  rows(
    schema,
    `SELECT tablename AS "table", indexname AS name, indexdef AS definition
       FROM pg_indexes WHERE schemaname = '${schema}'`,
    '"table", name',
  )

/** Triggers of the schema's tables (PostgreSQL's own foreign-key triggers left out). */
const triggers = (schema) =>
  rows(
    schema,
    `SELECT t.tgrelid::regclass::text AS "table", t.tgname AS name, pg_get_triggerdef(t.oid) AS definition
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
      WHERE c.relnamespace = '"${schema}"'::regnamespace AND NOT t.tgisinternal`,
    '"table", name',
  )

/** Functions and procedures of the schema, with their full definitions. */
const functions = (schema) =>
  rows(
    schema,
    `SELECT p.proname AS name, pg_get_function_identity_arguments(p.oid) AS arguments,
            pg_get_functiondef(p.oid) AS definition
       FROM pg_proc p WHERE p.pronamespace = '"${schema}"'::regnamespace`,
    'name, arguments',
  )

/** The migration versions the schema records as applied. */
const versions = (schema) => rows(schema, 'SELECT version FROM schema_migrations', 'version').map((r) => r.version)

let migrated
let documented

beforeAll(async () => {
  migrated = storeConfig().schema
  documented = storeConfig().schema
  // One call: the first call connects and runs the migrations.
  const adapter = RustAdapter({ url: process.env.AUTHJS_TEST_PG_URL, schema: migrated, sweepInterval: 0 })
  await adapter.getUser('nobody')
  await adapter.close()
  psql(`CREATE SCHEMA "${documented}"; SET search_path TO "${documented}";\n${fs.readFileSync(DOCUMENTED, 'utf8')}`)
})

afterAll(() => {
  for (const schema of [migrated, documented]) {
    if (schema) psql(`SET client_min_messages TO warning; DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  }
})

test('the documented SQL creates the same tables, indexes and sequences, by name, as the migrations', () => {
  expect(relations(documented)).toEqual(relations(migrated))
  expect(relations(migrated).length).toBeGreaterThan(0)
})

test('every documented table has the migrated columns, with their types, NOT NULL, defaults and identity', () => {
  expect(columns(documented)).toEqual(columns(migrated))
})

test('the documented primary, unique and foreign keys are the migrated ones, ON DELETE rules included', () => {
  expect(constraints(documented)).toEqual(constraints(migrated))
})

test('the documented indexes are the migrated ones, column for column', () => {
  expect(indexes(documented)).toEqual(indexes(migrated))
})

test('the documented triggers and functions are those the migrations create (none until a replica connects)', () => {
  expect(triggers(documented)).toEqual(triggers(migrated))
  expect(functions(documented)).toEqual(functions(migrated))
})

test('the documented schema_migrations rows are the versions a new schema records', () => {
  expect(versions(documented)).toEqual(versions(migrated))
  expect(versions(migrated).length).toBeGreaterThan(0)
})
