'use strict'
/**
 * The command line across backends and from a PostgreSQL peer, run as processes: an SQLite
 * file exported and imported into PostgreSQL (and back) keeps its sessions signed in; a
 * database written by the real @auth/pg-adapter, or by the real @auth/prisma-adapter, is
 * imported with every session kept.
 */
const path = require('node:path')
const { randomUUID } = require('node:crypto')
const { RustAdapter, tempDir, tempFile, userFixture, accountFixture, sessionFixture, closeAfterAll, runCli: cli } = require('../helpers')
const { psql } = require('./pg')

const KEY = Buffer.alloc(32, 9).toString('base64')
const URL_ = process.env.AUTHJS_TEST_PG_URL
let schemas = 0
const freshSchema = () => `cli_move_${process.pid}_${++schemas}`


/** Writes two users with accounts and sessions through RustAdapter on `config`. */
async function populate(config) {
  const adapter = RustAdapter(config)
  const written = []
  for (const role of ['admin', 'member']) {
    const user = await adapter.createUser(userFixture({ role, since: new Date('2022-02-02T00:00:00Z') }))
    const account = await adapter.linkAccount(accountFixture(user.id, { tenant: 'acme' }))
    const sessions = [sessionFixture(user.id), sessionFixture(user.id)]
    for (const s of sessions) await adapter.createSession(s)
    written.push({ user, account, sessions })
  }
  await adapter.close()
  return written
}

/** Checks `config` holds `written`, every session still signed in. */
async function expectHolds(config, written) {
  const adapter = closeAfterAll(RustAdapter(config))
  for (const { user, account, sessions } of written) {
    expect(await adapter.getUser(user.id)).toEqual(user)
    expect(await adapter.getAccount(account.providerAccountId, account.provider)).toEqual(account)
    for (const s of sessions) expect((await adapter.getSessionAndUser(s.sessionToken)).user).toEqual(user)
  }
}

test('SQLite to PostgreSQL: export then import keeps every user, account and session', async () => {
  const from = { filename: tempFile(), secret: 'move-secret', encryptionKey: KEY }
  const written = await populate(from)
  const file = path.join(tempDir(), 'dump.jsonl')
  expect(cli(['export', '--to', file, '--filename', from.filename]).status).toBe(0)
  const to = { url: URL_, schema: freshSchema(), secret: 'move-secret', encryptionKey: KEY }
  const out = cli(['import', '--from', 'jsonl', '--source', file, '--url', to.url, '--schema', to.schema, '--json'])
  expect(out.stderr).toBe('')
  expect(out.status).toBe(0)
  expect(out.json.inserted).toMatchObject({ users: 2, accounts: 2, sessions: 4 })
  await expectHolds(to, written)
})

test('PostgreSQL to SQLite: export then import keeps every user, account and session', async () => {
  const from = { url: URL_, schema: freshSchema(), secret: 'move-secret', encryptionKey: KEY }
  const written = await populate(from)
  const file = path.join(tempDir(), 'dump.jsonl')
  expect(cli(['export', '--to', file, '--url', from.url, '--schema', from.schema]).status).toBe(0)
  const to = { filename: tempFile(), secret: 'move-secret', encryptionKey: KEY }
  const out = cli(['import', '--from', 'jsonl', '--source', file, '--filename', to.filename, '--json'])
  expect(out.status).toBe(0)
  await expectHolds(to, written)
})

/** The URL of the test server with `schema` first on the search path (as an app would set it). */
function withSearchPath(schema) {
  const url = new URL(URL_)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return url.toString()
}

test('pg: a database written by @auth/pg-adapter is imported with its types, every old session still signed in', async () => {
  const schema = freshSchema()
  // The schema @auth/pg-adapter documents, plus the app's extra columns.
  psql(`CREATE SCHEMA ${schema};
    SET search_path = ${schema};
    CREATE TABLE verification_token (identifier TEXT NOT NULL, expires TIMESTAMPTZ NOT NULL, token TEXT NOT NULL, PRIMARY KEY (identifier, token));
    CREATE TABLE accounts (id SERIAL, "userId" INTEGER NOT NULL, type VARCHAR(255) NOT NULL, provider VARCHAR(255) NOT NULL,
      "providerAccountId" VARCHAR(255) NOT NULL, refresh_token TEXT, access_token TEXT, expires_at BIGINT, id_token TEXT, scope TEXT,
      session_state TEXT, token_type TEXT, tenant TEXT, PRIMARY KEY (id));
    CREATE TABLE sessions (id SERIAL, "userId" INTEGER NOT NULL, expires TIMESTAMPTZ NOT NULL, "sessionToken" VARCHAR(255) NOT NULL, PRIMARY KEY (id));
    CREATE TABLE users (id SERIAL, name VARCHAR(255), email VARCHAR(255), "emailVerified" TIMESTAMPTZ, image TEXT,
      role TEXT, age INTEGER, "joinedAt" TIMESTAMPTZ, PRIMARY KEY (id));`)
  const { Pool } = require('pg')
  const PostgresAdapter = (await import('@auth/pg-adapter')).default
  const pool = new Pool({ connectionString: withSearchPath(schema) })
  const peer = PostgresAdapter(pool)
  const written = []
  for (let i = 0; i < 2; i++) {
    const created = await peer.createUser({ name: `User ${i}`, email: `u${i}-${randomUUID()}@example.com`, emailVerified: new Date(Date.UTC(2024, 1, 1 + i)), image: null })
    // The peer stores no extra properties itself: the app's columns are filled beside it.
    const joinedAt = new Date(Date.UTC(2021, 3, 4 + i))
    await pool.query('UPDATE users SET role = $1, age = $2, "joinedAt" = $3 WHERE id = $4', [`role-${i}`, 40 + i, joinedAt, created.id])
    const user = { ...created, id: String(created.id), role: `role-${i}`, age: 40 + i, joinedAt }
    const account = {
      userId: user.id,
      type: 'oauth',
      provider: 'github',
      providerAccountId: randomUUID(),
      access_token: `a-${randomUUID()}`,
      refresh_token: `r-${randomUUID()}`,
      expires_at: 1900000000,
      token_type: 'bearer',
      scope: 'read',
      id_token: `i-${randomUUID()}`,
      session_state: 'st',
    }
    await peer.linkAccount({ ...account, userId: created.id })
    await pool.query('UPDATE accounts SET tenant = $1 WHERE "providerAccountId" = $2', ['acme', account.providerAccountId])
    const sessions = []
    for (let s = 0; s < 3; s++) {
      const sessionToken = randomUUID()
      await peer.createSession({ sessionToken, userId: created.id, expires: new Date(Date.now() + (s + 1) * 86400000) })
      sessions.push({ sessionToken })
    }
    written.push({ user, account: { ...account, tenant: 'acme' }, sessions })
  }
  await peer.createVerificationToken({ identifier: 'x@example.com', token: 'tok', expires: new Date(Date.now() + 60000) })
  await pool.end()

  const to = { url: URL_, schema: freshSchema(), secret: 'app-secret', encryptionKey: KEY }
  const out = cli(['import', '--from', 'pg', '--source', withSearchPath(schema), '--url', to.url, '--schema', to.schema, '--secret', to.secret, '--encryption-key', KEY, '--json'])
  expect(out.stderr).toBe('')
  expect(out.status).toBe(0)
  expect(out.json.inserted).toEqual({ user: 2, account: 2, session: 6, verificationToken: 1 })
  expect(out.json.source).not.toMatch(/:[^/@]*@/) // no password in the report
  await expectHolds(to, written)
})

test('pg: pages of a PostgreSQL source into PostgreSQL, every row once; a session without its user is named, and kept out with --merge', async () => {
  const schema = freshSchema()
  const N = 12001
  psql(`CREATE SCHEMA ${schema};
    SET search_path = ${schema};
    CREATE TABLE verification_token (identifier TEXT NOT NULL, expires TIMESTAMPTZ NOT NULL, token TEXT NOT NULL, PRIMARY KEY (identifier, token));
    CREATE TABLE accounts (id SERIAL, "userId" INTEGER NOT NULL, type VARCHAR(255) NOT NULL, provider VARCHAR(255) NOT NULL,
      "providerAccountId" VARCHAR(255) NOT NULL, refresh_token TEXT, access_token TEXT, expires_at BIGINT, id_token TEXT, scope TEXT,
      session_state TEXT, token_type TEXT, PRIMARY KEY (id));
    CREATE TABLE sessions (id SERIAL, "userId" INTEGER NOT NULL, expires TIMESTAMPTZ NOT NULL, "sessionToken" VARCHAR(255) NOT NULL, PRIMARY KEY (id));
    CREATE TABLE users (id SERIAL, name VARCHAR(255), email VARCHAR(255), "emailVerified" TIMESTAMPTZ, image TEXT, PRIMARY KEY (id));
    INSERT INTO users (name, email, "emailVerified") SELECT 'User ' || i, 'u' || i || '@example.com', '2024-02-01T00:00:00Z' FROM generate_series(1, ${N}) i;
    INSERT INTO accounts ("userId", type, provider, "providerAccountId", access_token, expires_at) SELECT i, 'oauth', 'github', 'gh-' || i, 'a-' || i, 1900000000 FROM generate_series(1, ${N}) i;
    INSERT INTO sessions ("userId", expires, "sessionToken") SELECT i, now() + interval '1 day', 'token-' || i FROM generate_series(1, ${N}) i;
    INSERT INTO sessions ("userId", expires, "sessionToken") VALUES (999999, now() + interval '1 day', 'token-of-nobody');`)
  const to = { url: URL_, schema: freshSchema(), secret: 'app-secret' }
  const args = ['import', '--from', 'pg', '--source', withSearchPath(schema), '--url', to.url, '--schema', to.schema, '--secret', to.secret, '--json']
  const failed = cli(args)
  expect(failed.status).toBe(1)
  expect(failed.json.error.code).toBe('NOT_FOUND')
  expect(failed.json.error.message).toMatch(/sessions sessionToken hash "[0-9a-f]{64}": its user "999999" is not in the target/)
  expect(cli(['stats', '--json', '--url', to.url, '--schema', to.schema]).json.rows.users).toBe(0)
  const merged = cli([...args, '--merge'])
  expect(merged.stderr).toBe('')
  expect(merged.status).toBe(0)
  expect(merged.json.inserted).toEqual({ user: N, account: N, session: N, verificationToken: 0 })
  expect(merged.json.conflicts).toEqual([expect.stringMatching(/its user "999999" is not in the target$/)])
  const adapter = closeAfterAll(RustAdapter(to))
  for (const i of [1, 5000, 5001, N]) {
    const user = await adapter.getUser(String(i))
    expect(user).toEqual({ id: String(i), name: `User ${i}`, email: `u${i}@example.com`, emailVerified: new Date('2024-02-01T00:00:00Z'), image: null })
    expect((await adapter.getSessionAndUser(`token-${i}`)).user).toEqual(user)
    expect((await adapter.getAccount(`gh-${i}`, 'github')).access_token).toBe(`a-${i}`)
  }
})

test('prisma: a database written by @auth/prisma-adapter is imported with its types, every old session still signed in', async () => {
  // The real peer on Prisma 7's client, generated for this run (see __test__/prisma.js), and
  // the tables `prisma migrate dev` creates for the PostgreSQL schema of its docs.
  const prisma = require('../prisma')
  const { PrismaClient } = prisma.generatePrismaClient('postgresql')
  try {
    const schema = freshSchema()
    psql(`CREATE SCHEMA ${schema}; SET search_path = ${schema}; ${prisma.DDL.postgresql}`)
    const { PrismaPg } = require('@prisma/adapter-pg')
    const { PrismaAdapter } = await import('@auth/prisma-adapter')
    const client = new PrismaClient({ adapter: new PrismaPg({ connectionString: URL_ }, { schema }) })
    const source = await prisma.writeThroughPrisma(PrismaAdapter(client))
    await client.$disconnect()
    expect(psql(`SELECT count(*) FROM ${schema}."Session"`)).toEqual([['9']])

    const to = { url: URL_, schema: freshSchema(), secret: 'app-secret', encryptionKey: KEY }
    // Prisma's dates are `timestamp(3)` (no zone) in UTC; the import runs in a zone that is not
    // UTC, so a date read in the local zone would come back shifted.
    // The source URL names the schema as Prisma's own URLs do (`?schema=`).
    const prismaUrl = new URL(URL_)
    prismaUrl.searchParams.set('schema', schema)
    const args = ['import', '--from', 'prisma', '--source', prismaUrl.toString(), '--url', to.url, '--schema', to.schema, '--secret', to.secret, '--encryption-key', KEY, '--json']
    const out = cli(args, { TZ: 'America/New_York' })
    expect(out.stderr).toBe('')
    expect(out.status).toBe(0)
    expect(out.json.inserted).toEqual({ user: 3, account: 3, session: 9, verificationToken: 1, authenticator: 1 })
    const adapter = closeAfterAll(RustAdapter(to))
    for (const { user, account, tokens } of source.written) {
      const got = await adapter.getUser(user.id)
      expect(got).toEqual(user)
      for (const field of ['joinedAt', 'createdAt', 'updatedAt']) expect(Object.prototype.toString.call(got[field])).toBe('[object Date]')
      expect(typeof got.isStaff).toBe('boolean')
      expect(typeof got.age).toBe('number')
      expect(await adapter.getAccount(account.providerAccountId, account.provider)).toEqual(prisma.expectedAccount(account))
      for (const token of tokens) expect((await adapter.getSessionAndUser(token)).user).toEqual(user)
    }
    expect(await adapter.getAuthenticator(source.authenticator.credentialID)).toEqual(source.authenticator)
    expect(await adapter.useVerificationToken({ identifier: source.token.identifier, token: source.token.token })).toEqual(source.token)
  } finally {
    prisma.removeGenerated()
  }
}, 120000)

test('pg: a PostgreSQL source without the peer\'s tables is refused naming the table', () => {
  const schema = freshSchema()
  psql(`CREATE SCHEMA ${schema}`)
  const out = cli(['import', '--from', 'pg', '--source', withSearchPath(schema), '--filename', tempFile(), '--json'])
  expect(out.status).toBe(1)
  expect(out.json.error.code).toBe('SCHEMA_MISMATCH')
  expect(out.json.error.message).toMatch(/the table "users" \(user\) is missing/)
})

afterAll(() => {
  for (let i = 1; i <= schemas; i++) {
    try {
      psql(`SET client_min_messages = warning; DROP SCHEMA IF EXISTS cli_move_${process.pid}_${i} CASCADE`)
    } catch {}
  }
})
