'use strict'
/**
 * The command line, run as a process (`node bin/authjs-rust-adapter.js ...`) on the backend
 * under test: stats, check, migrate, prune, export, import --from jsonl, rotate-key, their
 * exit codes and their refusals. Imports from the peers are in cli-peers.test.mjs.
 */
const fs = require('node:fs')
const path = require('node:path')
const {
  newAdapter,
  storeConfig,
  tempDir,
  userFixture,
  accountFixture,
  sessionFixture,
  verificationTokenFixture,
  authenticatorFixture,
  sqliteTest,
  RustAdapter,
  closeAfterAll,
  runCli,
} = require('./helpers')

const cli = runCli
const KEY_OLD = Buffer.alloc(32, 1).toString('base64')
const KEY_NEW = Buffer.alloc(32, 2).toString('base64')


/** The command-line options naming the database of `config`. */
function target(config) {
  const args = config.filename ? ['--filename', config.filename] : ['--url', config.url, '--schema', config.schema]
  if (config.secret) args.push('--secret', config.secret)
  for (const key of [config.encryptionKey ?? []].flat()) args.push('--encryption-key', key)
  return args
}

/** A database with two users, accounts with extras, sessions, a token and an authenticator. */
async function populated(extra = {}) {
  const adapter = newAdapter(storeConfig({ secret: 's3cret', encryptionKey: KEY_OLD, ...extra }))
  const users = []
  for (const role of ['admin', 'member']) {
    const user = await adapter.createUser(userFixture({ role, age: 41, joined: new Date('2024-05-01T10:00:00Z') }))
    const account = await adapter.linkAccount(accountFixture(user.id, { provider: role === 'admin' ? 'github' : 'google', tenant: 'acme' }))
    const sessions = [sessionFixture(user.id), sessionFixture(user.id)]
    for (const s of sessions) await adapter.createSession(s)
    users.push({ user, account, sessions })
  }
  await adapter.createSession(sessionFixture(users[0].user.id, { expires: new Date(Date.now() - 1000) }))
  const token = await adapter.createVerificationToken(verificationTokenFixture())
  const authenticator = await adapter.createAuthenticator(authenticatorFixture(users[0].user.id, users[0].account.providerAccountId))
  await adapter.close()
  return { config: adapter.config, users, token, authenticator }
}

test('every command has help, and help exits 0', () => {
  for (const command of ['stats', 'check', 'migrate', 'prune', 'export', 'import', 'rotate-key']) {
    const out = cli([command, '--help'])
    expect(out.status).toBe(0)
    expect(out.stdout).toContain(`Usage: authjs-rust-adapter ${command}`)
    expect(out.stdout).toContain('--filename')
    expect(out.stdout).toContain('--json')
  }
})

test('a bad usage exits 2, a failure 1 with a coded message', () => {
  expect(cli(['import', '--from', 'mongo', '--source', 'x', '--filename', 'y']).status).toBe(2)
  expect(cli(['no-such-command']).status).toBe(2)
  const failed = cli(['stats', '--json'])
  expect(failed.status).toBe(1)
  expect(failed.json.error.code).toBe('INVALID_INPUT')
  expect(failed.stderr).toMatch(/--filename/)
})

test('stats counts rows, live and expired sessions, accounts per provider and the schema version', async () => {
  const { config } = await populated()
  const out = cli(['stats', '--json', ...target(config)])
  expect(out.status).toBe(0)
  expect(out.json.rows).toEqual({ users: 2, accounts: 2, sessions: 5, verification_tokens: 1, authenticators: 1 })
  expect(out.json.sessions).toEqual({ live: 4, expired: 1 })
  expect(out.json.accountsByProvider).toEqual({ github: 1, google: 1 })
  expect(out.json.schemaVersion).toBe(out.json.latestSchemaVersion)
  expect(out.json.sizeBytes).toBeGreaterThan(0)
})

test('check passes on a sound database', async () => {
  const { config } = await populated()
  const out = cli(['check', '--json', ...target(config)])
  expect(out.status).toBe(0)
  expect(out.json).toMatchObject({ ok: true, problems: [] })
})

sqliteTest('check exits 3 naming a row whose user is gone', async () => {
  const { config } = await populated()
  const Database = require('better-sqlite3')
  const db = new Database(config.filename)
  db.pragma('foreign_keys = OFF')
  db.prepare('DELETE FROM users WHERE id = (SELECT user_id FROM accounts LIMIT 1)').run()
  db.close()
  const out = cli(['check', '--json', ...target(config)])
  expect(out.status).toBe(3)
  expect(out.json.ok).toBe(false)
  expect(out.json.problems.join('\n')).toMatch(/foreign key: accounts/)
})

test('migrate brings a new database to the latest schema version', () => {
  const config = storeConfig()
  const out = cli(['migrate', '--json', ...target(config)])
  expect(out.status).toBe(0)
  const stats = cli(['stats', '--json', ...target(config)]).json
  expect(out.json.schemaVersion).toBe(stats.latestSchemaVersion)
})

test('prune deletes expired sessions and tokens and says how many', async () => {
  const { config } = await populated()
  const out = cli(['prune', '--json', ...target(config)])
  expect(out.status).toBe(0)
  expect(out.json).toMatchObject({ sessions: 1, verificationTokens: 0 })
  expect(cli(['stats', '--json', ...target(config)]).json.sessions).toEqual({ live: 4, expired: 0 })
})

test('export then import into an empty database keeps users, accounts and every session', async () => {
  const source = await populated()
  const file = path.join(tempDir(), 'dump.jsonl')
  const exported = cli(['export', '--to', file, '--json', ...target(source.config)])
  expect(exported.status).toBe(0)
  expect(exported.json.rows.sessions).toBe(5)
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n')
  expect(JSON.parse(lines[0])).toMatchObject({ format: 'authjs-rust-adapter-export', version: 1 })
  // Nothing usable is in the file: session tokens are hashes, OAuth tokens sealed.
  const text = fs.readFileSync(file, 'utf8')
  for (const { account, sessions } of source.users) {
    expect(text).not.toContain(account.access_token)
    for (const s of sessions) expect(text).not.toContain(s.sessionToken)
  }

  const to = storeConfig({ secret: 's3cret', encryptionKey: KEY_OLD })
  const imported = cli(['import', '--from', 'jsonl', '--source', file, '--json', ...target(to)])
  expect(imported.stderr).toBe('')
  expect(imported.status).toBe(0)
  expect(imported.json.inserted).toEqual({ users: 2, accounts: 2, sessions: 5, verification_tokens: 1, authenticators: 1 })
  const adapter = closeAfterAll(RustAdapter(to))
  for (const { user, account, sessions } of source.users) {
    expect(await adapter.getUser(user.id)).toEqual(user)
    expect(await adapter.getAccount(account.providerAccountId, account.provider)).toEqual(account)
    for (const s of sessions) expect((await adapter.getSessionAndUser(s.sessionToken)).user).toEqual(user)
  }
  expect(await adapter.getAuthenticator(source.authenticator.credentialID)).toEqual(source.authenticator)
  expect(await adapter.useVerificationToken(source.token)).toEqual(source.token)
})

test('import refuses a database that holds rows; --merge imports nothing twice and reports each conflict', async () => {
  const source = await populated()
  const file = path.join(tempDir(), 'dump.jsonl')
  expect(cli(['export', '--to', file, ...target(source.config)]).status).toBe(0)
  const refused = cli(['import', '--from', 'jsonl', '--source', file, '--json', ...target(source.config)])
  expect(refused.status).toBe(1)
  expect(refused.json.error.code).toBe('TARGET_NOT_EMPTY')
  const merged = cli(['import', '--from', 'jsonl', '--source', file, '--merge', '--json', ...target(source.config)])
  expect(merged.status).toBe(0)
  expect(merged.json.inserted).toEqual({ users: 0, accounts: 0, sessions: 0, verification_tokens: 0, authenticators: 0 })
  expect(merged.json.conflicts).toHaveLength(11)
  expect(merged.json.conflicts[0]).toMatch(/^users id ".*": already in the target/)
})

test('a failed import leaves the target as it was', async () => {
  const source = await populated()
  const file = path.join(tempDir(), 'dump.jsonl')
  expect(cli(['export', '--to', file, ...target(source.config)]).status).toBe(0)
  // A row whose user the file does not hold fails the import after users were written.
  fs.appendFileSync(file, `${JSON.stringify({ model: 'authenticators', credential_id: 'c', user_id: 'nobody', provider_account_id: 'p', credential_public_key: 'k', counter: 1, credential_device_type: 'platform', credential_backed_up: false })}\n`)
  const to = storeConfig({ secret: 's3cret' })
  const out = cli(['import', '--from', 'jsonl', '--source', file, '--json', ...target(to)])
  expect(out.status).toBe(1)
  expect(out.json.error.code).toBe('NOT_FOUND')
  expect(out.json.error.message).toMatch(/authenticators credential_id "c": its user "nobody" is not in the target/)
  expect(cli(['stats', '--json', ...target(to)]).json.rows.users).toBe(0)
})

test('--dry-run reads and checks everything and writes nothing', async () => {
  const source = await populated()
  const file = path.join(tempDir(), 'dump.jsonl')
  expect(cli(['export', '--to', file, ...target(source.config)]).status).toBe(0)
  const to = storeConfig({ secret: 's3cret' })
  const out = cli(['import', '--from', 'jsonl', '--source', file, '--dry-run', '--json', ...target(to)])
  expect(out.status).toBe(0)
  expect(out.json.wouldWrite).toEqual({ users: 2, accounts: 2, sessions: 5, verification_tokens: 1, authenticators: 1 })
  expect(cli(['stats', '--json', ...target(to)]).json.rows.users).toBe(0)
})

test('an export hashed with a secret is refused without one, before anything is written', async () => {
  const source = await populated()
  const file = path.join(tempDir(), 'dump.jsonl')
  expect(cli(['export', '--to', file, ...target(source.config)]).status).toBe(0)
  const to = storeConfig()
  const out = cli(['import', '--from', 'jsonl', '--source', file, '--json', ...target(to)])
  expect(out.status).toBe(1)
  expect(out.json.error.code).toBe('INVALID_INPUT')
  expect(out.json.error.message).toMatch(/give the same --secret/)
  expect(cli(['stats', '--json', ...target(to)]).json.rows.users).toBe(0)
})

test('an unreadable or foreign file is refused with a message naming it', () => {
  const to = storeConfig()
  const missing = path.join(tempDir(), 'missing.jsonl')
  const out = cli(['import', '--from', 'jsonl', '--source', missing, '--json', ...target(to)])
  expect(out.status).toBe(1)
  expect(out.json.error.message).toContain(missing)
  const foreign = path.join(tempDir(), 'foreign.jsonl')
  fs.writeFileSync(foreign, '{"hello":"world"}\n')
  const wrong = cli(['import', '--from', 'jsonl', '--source', foreign, '--json', ...target(to)])
  expect(wrong.status).toBe(1)
  expect(wrong.json.error.message).toMatch(/line 1 is not an authjs-rust-adapter-export header/)
})

test('rotate-key re-seals every OAuth token under the newest key, so the old key can go', async () => {
  const { config, users } = await populated()
  const rotated = cli(['rotate-key', '--json', ...target({ ...config, encryptionKey: [KEY_NEW, KEY_OLD] })])
  expect(rotated.status).toBe(0)
  expect(rotated.json).toEqual({ resealed: 2 })
  const again = cli(['rotate-key', '--json', ...target({ ...config, encryptionKey: [KEY_NEW, KEY_OLD] })])
  expect(again.json).toEqual({ resealed: 0 })
  const adapter = closeAfterAll(RustAdapter({ ...config, encryptionKey: KEY_NEW }))
  const { account } = users[0]
  expect(await adapter.getAccount(account.providerAccountId, account.provider)).toEqual(account)
})

test('rotate-key with a wrong key or none fails with a coded error and changes nothing', async () => {
  const { config, users } = await populated()
  const wrong = cli(['rotate-key', '--json', ...target({ ...config, encryptionKey: KEY_NEW })])
  expect(wrong.status).toBe(1)
  expect(wrong.json.error.code).toBe('DECRYPT_FAILED')
  const none = cli(['rotate-key', '--json', ...target({ ...config, encryptionKey: undefined })])
  expect(none.status).toBe(1)
  expect(none.json.error.code).toBe('INVALID_INPUT')
  const adapter = closeAfterAll(RustAdapter(config))
  const { account } = users[1]
  expect(await adapter.getAccount(account.providerAccountId, account.provider)).toEqual(account)
})
