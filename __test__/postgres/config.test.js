'use strict'
// RustAdapter({ url }) and the PostgreSQL options: where the tables go, which options belong to
// which backend, and clear errors when the server cannot be used.
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { RustAdapter, newAdapter, storeConfig, tempDir, userFixture } = require('../helpers')
const { psql } = require('./pg')

const url = () => process.env.AUTHJS_TEST_PG_URL

/** Asserts that `call()` throws (synchronously) an INVALID_INPUT error naming `field`. */
function refusesOption(call, field) {
  let error
  try {
    call()
  } catch (e) {
    error = e
  }
  expect(error).toBeInstanceOf(Error)
  expect(error.code).toBe('INVALID_INPUT')
  expect(error.message).toMatch(new RegExp(`^INVALID_INPUT: ${field.replace('.', '\\.')} `))
}

/** A URL with no server behind it (a port nothing listens on). */
const deadUrl = 'postgres://postgres@127.0.0.1:1/postgres'

describe('choosing the backend', () => {
  test('url and filename together are refused', () => {
    refusesOption(() => RustAdapter({ url: url(), filename: 'auth.sqlite' }), 'config.url')
  })

  test('a url that is not postgres:// is refused by name', () => {
    refusesOption(() => RustAdapter({ url: 'mysql://localhost/app' }), 'config.url')
  })

  test('SQLite-only options are refused with a url', () => {
    refusesOption(() => RustAdapter({ url: url(), cacheSize: 1024 }), 'config.cacheSize')
    refusesOption(() => RustAdapter({ url: url(), mmapSize: 1 << 28 }), 'config.mmapSize')
    refusesOption(() => RustAdapter({ url: url(), synchronous: 'normal' }), 'config.synchronous')
    refusesOption(() => RustAdapter({ url: url(), inlineWrites: false }), 'config.inlineWrites')
  })

  test('PostgreSQL-only options are refused with a file', () => {
    refusesOption(() => RustAdapter({ filename: ':memory:', schema: 'auth' }), 'config.schema')
    refusesOption(() => RustAdapter({ filename: ':memory:', poolSize: 4 }), 'config.poolSize')
  })

  test('schema and tablePrefix must be plain identifiers', () => {
    refusesOption(() => RustAdapter({ url: url(), schema: 'a"; DROP SCHEMA public; --' }), 'config.schema')
    refusesOption(() => RustAdapter({ url: url(), tablePrefix: 'my-app.' }), 'config.tablePrefix')
    refusesOption(() => RustAdapter({ url: url(), poolSize: 0 }), 'config.poolSize')
  })

  test('an unknown sslmode is refused by name', () => {
    refusesOption(() => RustAdapter({ url: `${url()}?sslmode=sometimes` }), 'config.url')
  })

  test('DATABASE_URL names the server when the config names no database', async () => {
    const schema = storeConfig().schema
    const saved = process.env.DATABASE_URL
    process.env.DATABASE_URL = url()
    let adapter
    try {
      adapter = RustAdapter({ schema })
    } finally {
      if (saved === undefined) delete process.env.DATABASE_URL
      else process.env.DATABASE_URL = saved
    }
    const user = await adapter.createUser(userFixture())
    await adapter.close()
    const other = newAdapter({ url: url(), schema })
    expect(await other.getUser(user.id)).toEqual(user)
  })

  test('a DATABASE_URL that is not PostgreSQL leaves the default SQLite file in use', () => {
    const dir = tempDir()
    const script = `
      const { RustAdapter } = require(${JSON.stringify(path.resolve(__dirname, '../..'))})
      const a = RustAdapter()
      a.createUser({ id: 'u1' }).then(() => a.close()).then(() => console.log('ok'), (e) => { console.error(e); process.exit(1) })`
    const out = execFileSync(process.execPath, ['-e', script], {
      cwd: dir,
      env: { ...process.env, DATABASE_URL: 'file:./dev.db' },
      encoding: 'utf8',
    })
    expect(out.trim()).toBe('ok')
    expect(require('node:fs').existsSync(path.join(dir, 'auth.sqlite'))).toBe(true)
  })
})

describe('where the tables live', () => {
  test('the tables are created in the configured schema, each name starting with tablePrefix', async () => {
    const { schema } = storeConfig()
    const adapter = newAdapter({ url: url(), schema, tablePrefix: 'authjs_' })
    await adapter.getUser('anyone')
    const tables = psql(`SELECT tablename FROM pg_tables WHERE schemaname = '${schema}' ORDER BY 1`).map((r) => r[0])
    expect(tables).toEqual([
      'authjs_accounts',
      'authjs_authenticators',
      'authjs_schema_migrations',
      'authjs_sessions',
      'authjs_users',
      'authjs_verification_tokens',
    ])
  })

  test('two prefixes in one schema are two separate stores', async () => {
    const { schema } = storeConfig()
    const a = newAdapter({ url: url(), schema, tablePrefix: 'a_' })
    const b = newAdapter({ url: url(), schema, tablePrefix: 'b_' })
    const user = await a.createUser(userFixture())
    expect(await b.getUser(user.id)).toBeNull()
    expect(await b.createUser(user)).toEqual(user)
  })

  test('tables of the app beside ours are left alone', async () => {
    const { schema } = storeConfig()
    psql(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".users (id int primary key, note text); INSERT INTO "${schema}".users VALUES (1, 'theirs')`)
    const adapter = newAdapter({ url: url(), schema, tablePrefix: 'auth_' })
    await adapter.createUser(userFixture())
    expect(psql(`SELECT id, note FROM "${schema}".users`)).toEqual([['1', 'theirs']])
  })

  test('dates are epoch milliseconds and extras jsonb, as documented', async () => {
    const adapter = newAdapter()
    await adapter.createUser(userFixture({ id: 'u1', emailVerified: new Date(1234), plan: 'pro' }))
    const schema = adapter.config.schema
    expect(psql(`SELECT email_verified, extra->>'plan', pg_typeof(extra) FROM "${schema}".users`)).toEqual([['1234', 'pro', 'jsonb']])
  })

  test('a schema written by a newer version is refused with SCHEMA_TOO_NEW and left unchanged', async () => {
    const adapter = newAdapter()
    await adapter.getUser('x')
    const schema = adapter.config.schema
    psql(`INSERT INTO "${schema}".schema_migrations (version) VALUES (99)`)
    const newer = newAdapter({ url: url(), schema })
    await expect(newer.getUser('x')).rejects.toMatchObject({ code: 'SCHEMA_TOO_NEW' })
    expect(psql(`SELECT max(version) FROM "${schema}".schema_migrations`)).toEqual([['99']])
  })
})

describe('a schema of version 1, before sessions had ids and times', () => {
  const sha256 = (text) => require('node:crypto').createHash('sha256').update(text).digest('hex')

  /** A schema as version 1 left it, with a user and two sessions. */
  async function version1Schema() {
    const adapter = newAdapter()
    await adapter.createUser(userFixture({ id: 'v1-user' }))
    const schema = adapter.config.schema
    psql(`ALTER TABLE "${schema}".sessions DROP COLUMN id, DROP COLUMN created_at, DROP COLUMN last_active_at,
            DROP COLUMN user_agent, DROP COLUMN ip_address;
          DELETE FROM "${schema}".schema_migrations WHERE version = 2;
          INSERT INTO "${schema}".sessions VALUES ('${sha256('v1-token-a')}', 'v1-user', 4102444800000),
                                                  ('${sha256('v1-token-b')}', 'v1-user', 4102444800000);`)
    return schema
  }

  test('its sessions keep working and are listed after the upgrade', async () => {
    const schema = await version1Schema()
    const adapter = newAdapter({ url: url(), schema })
    expect((await adapter.getSessionAndUser('v1-token-a')).user.id).toBe('v1-user')
    const listed = await adapter.listSessions('v1-user', { current: 'v1-token-b' })
    expect(listed).toHaveLength(2)
    expect(new Set(listed.map((s) => s.id)).size).toBe(2)
    expect(listed.map((s) => s.createdAt)).toEqual([null, null])
    expect(listed.filter((s) => s.current)).toHaveLength(1)
    expect(psql(`SELECT max(version) FROM "${schema}".schema_migrations`)).toEqual([['2']])
  })
})

describe('when the server cannot be used', () => {
  test('no server at the address: calls fail with DB_UNAVAILABLE within busyTimeout', async () => {
    const adapter = newAdapter({ url: deadUrl, busyTimeout: 1000 })
    const started = Date.now()
    await expect(adapter.getUser('x')).rejects.toMatchObject({ code: 'DB_UNAVAILABLE' })
    await expect(adapter.createUser(userFixture())).rejects.toMatchObject({ code: 'DB_UNAVAILABLE' })
    expect(Date.now() - started).toBeLessThan(5000)
  })

  test('a wrong password or user is DB_UNAVAILABLE and the message does not echo the password', async () => {
    const bad = url().replace('postgres://postgres@', 'postgres://no_such_role:hunter2@')
    const adapter = newAdapter({ url: bad, busyTimeout: 2000 })
    const error = await adapter.getUser('x').catch((e) => e)
    expect(error.code).toBe('DB_UNAVAILABLE')
    expect(error.message).not.toContain('hunter2')
  })

  test('sslmode=require against a server without TLS fails with DB_UNAVAILABLE; disable and prefer connect', async () => {
    const required = newAdapter({ url: `${url()}?sslmode=require`, busyTimeout: 2000 })
    await expect(required.getUser('x')).rejects.toMatchObject({ code: 'DB_UNAVAILABLE' })
    const plain = newAdapter({ ...storeConfig(), url: `${url()}?sslmode=disable` })
    expect(await plain.getUser('x')).toBeNull()
    const preferred = newAdapter({ ...storeConfig(), url: `${url()}?sslmode=prefer` })
    expect(await preferred.getUser('x')).toBeNull()
  })

  test('after close(), calls fail with CLOSED and close() resolves', async () => {
    const adapter = newAdapter()
    await adapter.getUser('x')
    await adapter.close()
    await expect(adapter.getUser('x')).rejects.toMatchObject({ code: 'CLOSED' })
    await expect(adapter.createUser(userFixture())).rejects.toMatchObject({ code: 'CLOSED' })
  })

  test('close() lets calls in progress finish', async () => {
    const adapter = newAdapter()
    const users = Array.from({ length: 20 }, () => userFixture())
    const writes = users.map((user) => adapter.createUser(user))
    await adapter.close()
    expect(await Promise.all(writes)).toEqual(users)
    const again = newAdapter({ url: url(), schema: adapter.config.schema })
    for (const user of users) expect(await again.getUser(user.id)).toEqual(user)
  })
})
