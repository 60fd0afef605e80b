'use strict'
// Storage: creating, migrating, refusing and sharing SQLite files; in-memory databases;
// configuration checks; and what close() guarantees.
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { randomUUID } = require('node:crypto')
const {
  RustAdapter,
  tempDir,
  tempFile,
  newAdapter,
  userFixture,
  accountFixture,
  sessionFixture,
  verificationTokenFixture,
  authenticatorFixture,
  inspect,
  VERSION_1_DDL,
  VERSION_2_DDL,
  VERSION_4_DDL,
  openAndClose,
  rejectionOf,
} = require('./helpers')

const PACKAGE_DIR = path.join(__dirname, '..')
const LATEST_VERSION = 6
const TABLES = ['users', 'accounts', 'sessions', 'verification_tokens', 'authenticators']

const V1 = {
  userId: 'v1-user',
  email: 'old@v1.example',
  emailVerified: 1700000000123,
  sessionToken: 'v1-plain-session-token',
  sessionExpires: 4102444800000, // 2100-01-01
  provider: 'github',
  providerAccountId: 'gh-1234',
}

/** Builds a file exactly as version 1 of the library left it, with one user, account and session. */
async function makeVersion1File(filename = tempFile()) {
  const db = await inspect(filename)
  db.exec(VERSION_1_DDL)
  db.exec(
    `INSERT INTO users (id, name, email, email_verified, image, extra)
       VALUES ('${V1.userId}', 'Old Timer', '${V1.email}', ${V1.emailVerified}, NULL, '{"role":"admin"}');
     INSERT INTO accounts (provider, provider_account_id, user_id, type, access_token, expires_at, token_type, scope)
       VALUES ('${V1.provider}', '${V1.providerAccountId}', '${V1.userId}', 'oauth', 'old-access', 1700000000, 'bearer', 'user');
     INSERT INTO sessions (session_token, user_id, expires)
       VALUES ('${V1.sessionToken}', '${V1.userId}', ${V1.sessionExpires});`,
  )
  db.save()
  db.close()
  return filename
}

/** Reads a pragma / query from a closed file with sql.js. */
async function readClosed(filename, sql) {
  const db = await inspect(filename)
  try {
    return db.all(sql)
  } finally {
    db.close()
  }
}

async function userVersion(filename) {
  return (await readClosed(filename, 'PRAGMA user_version'))[0].user_version
}

/** Catches what `fn` throws synchronously (fails the test if it does not throw). */
function thrownBy(fn) {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to throw synchronously')
}


describe('a new file', () => {
  test('the first call creates the file', async () => {
    const filename = tempFile()
    expect(fs.existsSync(filename)).toBe(false)
    const adapter = RustAdapter({ filename })
    try {
      await adapter.getUser('nobody')
      expect(fs.existsSync(filename)).toBe(true)
    } finally {
      await adapter.close()
    }
  })

  test('the new file holds every table', async () => {
    const filename = tempFile()
    await openAndClose({ filename })
    const rows = await readClosed(filename, "SELECT name FROM sqlite_master WHERE type = 'table'")
    expect(rows.map((r) => r.name)).toEqual(expect.arrayContaining(TABLES))
  })

  test('the new file holds the user_id indexes', async () => {
    const filename = tempFile()
    await openAndClose({ filename })
    const rows = await readClosed(filename, "SELECT name FROM sqlite_master WHERE type = 'index'")
    expect(rows.map((r) => r.name)).toEqual(
      expect.arrayContaining(['accounts_user_id_idx', 'sessions_user_id_idx', 'authenticators_user_id_idx']),
    )
  })

  test(`the new file is at the latest schema version (user_version ${LATEST_VERSION})`, async () => {
    const filename = tempFile()
    await openAndClose({ filename })
    expect(await userVersion(filename)).toBe(LATEST_VERSION)
  })

  test('the new file is in WAL mode (journal_mode and header bytes 18-19)', async () => {
    const filename = tempFile()
    await openAndClose({ filename })
    expect((await readClosed(filename, 'PRAGMA journal_mode'))[0].journal_mode).toBe('wal')
    const header = fs.readFileSync(filename).subarray(0, 100)
    expect([header[18], header[19]]).toEqual([2, 2])
  })

  test('close() checkpoints and removes the -wal and -shm files', async () => {
    const filename = tempFile()
    const adapter = RustAdapter({ filename })
    await adapter.createUser(userFixture())
    await adapter.close()
    expect(fs.readdirSync(path.dirname(filename))).toEqual([path.basename(filename)])
  })

  test('filename defaults to auth.sqlite in the working directory', () => {
    const cwd = tempDir()
    const script = `
      const { RustAdapter } = require(${JSON.stringify(PACKAGE_DIR)})
      const adapter = RustAdapter()
      adapter.createUser({ id: 'default-file-user' })
        .then(() => adapter.close())
        .then(() => process.stdout.write('done'))
        .catch((e) => { process.stderr.write(String(e && e.message)); process.exit(1) })
    `
    const out = execFileSync(process.execPath, ['-e', script], { cwd, timeout: 10_000, encoding: 'utf8' })
    expect(out).toBe('done')
    expect(fs.existsSync(path.join(cwd, 'auth.sqlite'))).toBe(true)
  })

  test('the default auth.sqlite file holds what was written through it', async () => {
    const cwd = tempDir()
    const script = `
      const { RustAdapter } = require(${JSON.stringify(PACKAGE_DIR)})
      const adapter = RustAdapter()
      adapter.createUser({ id: 'default-file-user', email: 'default@file.test' })
        .then(() => adapter.close())
        .catch((e) => { process.stderr.write(String(e && e.message)); process.exit(1) })
    `
    execFileSync(process.execPath, ['-e', script], { cwd, timeout: 10_000 })
    const rows = await readClosed(path.join(cwd, 'auth.sqlite'), 'SELECT id, email FROM users')
    expect(rows).toEqual([{ id: 'default-file-user', email: 'default@file.test' }])
  })
})

describe('data persists across close and reopen', () => {
  test('a user is still there after close and reopen', async () => {
    const filename = tempFile()
    const first = RustAdapter({ filename })
    const user = await first.createUser(userFixture({ role: 'admin' }))
    await first.close()
    const second = newAdapter({ filename })
    expect(await second.getUser(user.id)).toEqual(user)
  })

  test('an account is still there after close and reopen', async () => {
    const filename = tempFile()
    const first = RustAdapter({ filename })
    const user = await first.createUser(userFixture())
    const account = await first.linkAccount(accountFixture(user.id))
    await first.close()
    const second = newAdapter({ filename })
    expect(await second.getAccount(account.providerAccountId, account.provider)).toEqual(account)
    expect((await second.getUserByAccount(account)).id).toBe(user.id)
  })

  test('a session is still there after close and reopen', async () => {
    const filename = tempFile()
    const first = RustAdapter({ filename })
    const user = await first.createUser(userFixture())
    const session = await first.createSession(sessionFixture(user.id))
    await first.close()
    const second = newAdapter({ filename })
    const found = await second.getSessionAndUser(session.sessionToken)
    expect(found.session.sessionToken).toBe(session.sessionToken)
    expect(found.session.expires.getTime()).toBe(session.expires.getTime())
    expect(found.user.id).toBe(user.id)
  })

  test('a verification token is still there after close and reopen', async () => {
    const filename = tempFile()
    const first = RustAdapter({ filename })
    const token = verificationTokenFixture()
    await first.createVerificationToken(token)
    await first.close()
    const second = newAdapter({ filename })
    const used = await second.useVerificationToken({ identifier: token.identifier, token: token.token })
    expect(used.token).toBe(token.token)
    expect(used.expires.getTime()).toBe(token.expires.getTime())
  })

  test('an authenticator is still there after close and reopen', async () => {
    const filename = tempFile()
    const first = RustAdapter({ filename })
    const user = await first.createUser(userFixture())
    const account = await first.linkAccount(accountFixture(user.id, { type: 'webauthn', provider: 'passkey' }))
    const authenticator = await first.createAuthenticator(authenticatorFixture(user.id, account.providerAccountId))
    await first.close()
    const second = newAdapter({ filename })
    expect(await second.getAuthenticator(authenticator.credentialID)).toEqual(authenticator)
  })
})

describe('":memory:"', () => {
  test('an in-memory adapter stores and reads back a user', async () => {
    const adapter = newAdapter({ filename: ':memory:' })
    const user = await adapter.createUser(userFixture())
    expect(await adapter.getUser(user.id)).toEqual(user)
  })

  test('an in-memory adapter creates no file named ":memory:"', async () => {
    const cwd = process.cwd()
    const adapter = newAdapter({ filename: ':memory:' })
    await adapter.createUser(userFixture())
    expect(fs.existsSync(path.join(cwd, ':memory:'))).toBe(false)
  })

  test('two in-memory adapters do not share data', async () => {
    const a = newAdapter({ filename: ':memory:' })
    const b = newAdapter({ filename: ':memory:' })
    const user = await a.createUser(userFixture())
    expect(await b.getUser(user.id)).toBeNull()
    // The same email is free in the other database.
    const twin = await b.createUser(userFixture({ email: user.email }))
    expect(twin.email).toBe(user.email)
  })
})

describe('migrations', () => {
  test('an existing empty (0-byte) file is given the whole schema', async () => {
    const filename = tempFile()
    fs.writeFileSync(filename, Buffer.alloc(0))
    const adapter = RustAdapter({ filename })
    const user = await adapter.createUser(userFixture())
    expect((await adapter.getUser(user.id)).id).toBe(user.id)
    await adapter.close()
    expect(await userVersion(filename)).toBe(LATEST_VERSION)
  })

  test('a version-1 user is readable after the upgrade', async () => {
    const filename = await makeVersion1File()
    const adapter = newAdapter({ filename })
    const user = await adapter.getUser(V1.userId)
    expect(user).toMatchObject({ id: V1.userId, name: 'Old Timer', email: V1.email, role: 'admin' })
    expect(user.emailVerified.getTime()).toBe(V1.emailVerified)
    expect(user.image).toBeNull()
  })

  test('a version-1 account is readable after the upgrade', async () => {
    const filename = await makeVersion1File()
    const adapter = newAdapter({ filename })
    expect(await adapter.getAccount(V1.providerAccountId, V1.provider)).toEqual({
      userId: V1.userId,
      type: 'oauth',
      provider: V1.provider,
      providerAccountId: V1.providerAccountId,
      access_token: 'old-access',
      expires_at: 1700000000,
      token_type: 'bearer',
      scope: 'user',
    })
    const user = await adapter.getUserByAccount({ provider: V1.provider, providerAccountId: V1.providerAccountId })
    expect(user.id).toBe(V1.userId)
  })

  test('a version-1 session still works with its plain token after the upgrade', async () => {
    const filename = await makeVersion1File()
    const adapter = newAdapter({ filename })
    const found = await adapter.getSessionAndUser(V1.sessionToken)
    expect(found).not.toBeNull()
    expect(found.session.sessionToken).toBe(V1.sessionToken)
    expect(found.session.userId).toBe(V1.userId)
    expect(found.session.expires.getTime()).toBe(V1.sessionExpires)
    expect(found.user.id).toBe(V1.userId)
  })

  test('authenticators work on a file upgraded from version 1', async () => {
    const filename = await makeVersion1File()
    const adapter = newAdapter({ filename })
    const authenticator = authenticatorFixture(V1.userId, V1.providerAccountId)
    expect(await adapter.createAuthenticator(authenticator)).toEqual(authenticator)
    expect(await adapter.listAuthenticatorsByUserId(V1.userId)).toEqual([authenticator])
  })

  test(`a version-1 file is at user_version ${LATEST_VERSION} after it was opened and closed`, async () => {
    const filename = await makeVersion1File()
    await openAndClose({ filename })
    expect(await userVersion(filename)).toBe(LATEST_VERSION)
  })

  test('a version-1 file keeps the row counts it had after the upgrade', async () => {
    const filename = await makeVersion1File()
    await openAndClose({ filename })
    const counts = await readClosed(
      filename,
      `SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM accounts) AS accounts,
              (SELECT count(*) FROM sessions) AS sessions, (SELECT count(*) FROM authenticators) AS authenticators`,
    )
    expect(counts[0]).toEqual({ users: 1, accounts: 1, sessions: 1, authenticators: 0 })
  })

  test('a version-2 file keeps its authenticators and sessions after the upgrade', async () => {
    const filename = tempFile()
    const db = await inspect(filename)
    db.exec(VERSION_1_DDL)
    db.exec(VERSION_2_DDL)
    db.exec(`INSERT INTO users (id, email) VALUES ('v2-user', 'v2@example.test');
      INSERT INTO sessions (session_token, user_id, expires) VALUES ('v2-plain-token', 'v2-user', 4102444800000);
      INSERT INTO authenticators VALUES ('v2-cred', 'v2-user', 'v2-pa', 'v2-key', 7, 'singleDevice', 1, 'usb');`)
    db.save()
    db.close()
    const adapter = newAdapter({ filename })
    expect((await adapter.getSessionAndUser('v2-plain-token')).user.id).toBe('v2-user')
    expect(await adapter.getAuthenticator('v2-cred')).toEqual({
      credentialID: 'v2-cred',
      userId: 'v2-user',
      providerAccountId: 'v2-pa',
      credentialPublicKey: 'v2-key',
      counter: 7,
      credentialDeviceType: 'singleDevice',
      credentialBackedUp: true,
      transports: 'usb',
    })
  })
})

describe('a file of version 4, before sessions had ids and times', () => {
  const sha256 = (text) => require('node:crypto').createHash('sha256').update(text).digest('hex')
  const FAR = 4102444800000

  async function makeVersion4File() {
    const filename = tempFile()
    const db = await inspect(filename)
    db.exec(VERSION_1_DDL)
    db.exec(VERSION_2_DDL)
    db.exec(VERSION_4_DDL)
    db.exec(`INSERT INTO users (id, email) VALUES ('v4-user', 'v4@example.test');
      INSERT INTO sessions VALUES ('${sha256('v4-token-a')}', 'v4-user', ${FAR});
      INSERT INTO sessions VALUES ('${sha256('v4-token-b')}', 'v4-user', ${FAR});`)
    db.save()
    db.close()
    return filename
  }

  test('its sessions keep working after the upgrade', async () => {
    const adapter = newAdapter({ filename: await makeVersion4File() })
    expect((await adapter.getSessionAndUser('v4-token-a')).user.id).toBe('v4-user')
    expect((await adapter.getSessionAndUser('v4-token-b')).user.id).toBe('v4-user')
  })

  test('its sessions are listed with distinct public ids and unknown creation times', async () => {
    const adapter = newAdapter({ filename: await makeVersion4File() })
    const listed = await adapter.listSessions('v4-user', { current: 'v4-token-a' })
    expect(listed).toHaveLength(2)
    expect(new Set(listed.map((s) => s.id)).size).toBe(2)
    expect(listed.map((s) => s.createdAt)).toEqual([null, null])
    expect(listed.filter((s) => s.current)).toHaveLength(1)
  })

  test('one of its sessions can be revoked by its public id', async () => {
    const adapter = newAdapter({ filename: await makeVersion4File() })
    const current = (await adapter.listSessions('v4-user', { current: 'v4-token-b' })).find((s) => s.current)
    await adapter.revokeSession('v4-user', current.id)
    expect(await adapter.getSessionAndUser('v4-token-b')).toBeNull()
    expect(await adapter.getSessionAndUser('v4-token-a')).not.toBeNull()
  })

  test(`the upgrade records version ${LATEST_VERSION}`, async () => {
    const filename = await makeVersion4File()
    await openAndClose({ filename })
    expect(await userVersion(filename)).toBe(LATEST_VERSION)
  })

  test('the upgrade drops the expiry indexes that every session and token write paid for (version 6)', async () => {
    const filename = await makeVersion4File()
    await openAndClose({ filename })
    const indexes = await readClosed(filename, "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%expires%'")
    expect(indexes).toEqual([])
  })
})

describe('a file from a newer version of the library', () => {
  const TOO_NEW = LATEST_VERSION + 1

  async function makeTooNewFile() {
    const filename = tempFile()
    const db = await inspect(filename)
    // A file of ours (its tables) that a newer version wrote (a column this one does not know).
    db.exec(`CREATE TABLE users (id TEXT PRIMARY KEY NOT NULL, future_column TEXT);
      CREATE TABLE accounts (provider TEXT, provider_account_id TEXT);
      CREATE TABLE sessions (session_token_hash TEXT PRIMARY KEY NOT NULL);
      CREATE TABLE verification_tokens (identifier TEXT, token TEXT);
      INSERT INTO users VALUES ('from-the-future', 'x');
      PRAGMA user_version = ${TOO_NEW};`)
    db.save()
    db.close()
    return filename
  }

  test('the first call rejects with SCHEMA_TOO_NEW (RustAdapter itself does not open the file)', async () => {
    const filename = await makeTooNewFile()
    const adapter = RustAdapter({ filename })
    const error = await rejectionOf(adapter.getUser('from-the-future'))
    expect(error).toBeInstanceOf(Error)
    expect(error.code).toBe('SCHEMA_TOO_NEW')
    expect(error.message).toMatch(/^SCHEMA_TOO_NEW: /)
    expect(error.message).toContain(String(TOO_NEW))
  })

  test('the refused file is left byte-for-byte unchanged', async () => {
    const filename = await makeTooNewFile()
    const before = fs.readFileSync(filename)
    await rejectionOf(RustAdapter({ filename }).getUser('from-the-future'))
    expect(fs.readFileSync(filename).equals(before)).toBe(true)
  })

  test('refusing the file creates no -wal, -shm or -journal file', async () => {
    const filename = await makeTooNewFile()
    await rejectionOf(RustAdapter({ filename }).getUser('from-the-future'))
    expect(fs.readdirSync(path.dirname(filename))).toEqual([path.basename(filename)])
  })
})

describe('several adapters on one file', () => {
  // Adapters with the same options share one store (see 'one store per file' below); a
  // different cacheSize gives the second its own connections, so these tests see two
  // connections on one file, as two processes would.
  test('a second adapter reads a user the first one created', async () => {
    const filename = tempFile()
    const a = newAdapter({ filename })
    const b = newAdapter({ filename, cacheSize: 4096 })
    const user = await a.createUser(userFixture())
    expect(await b.getUser(user.id)).toEqual(user)
  })

  test('the first adapter reads a session the second one created', async () => {
    const filename = tempFile()
    const a = newAdapter({ filename })
    const b = newAdapter({ filename, cacheSize: 4096 })
    const user = await a.createUser(userFixture())
    const session = await b.createSession(sessionFixture(user.id))
    expect((await a.getSessionAndUser(session.sessionToken)).user.id).toBe(user.id)
  })

  test('a verification token used through one adapter is gone for the other', async () => {
    const filename = tempFile()
    const a = newAdapter({ filename })
    const b = newAdapter({ filename, cacheSize: 4096 })
    const token = verificationTokenFixture()
    await a.createVerificationToken(token)
    expect(await b.useVerificationToken(token)).not.toBeNull()
    expect(await a.useVerificationToken(token)).toBeNull()
  })

  test('a user deleted through one adapter is gone for the other', async () => {
    const filename = tempFile()
    const a = newAdapter({ filename })
    const b = newAdapter({ filename, cacheSize: 4096 })
    const user = await a.createUser(userFixture())
    expect(await b.getUser(user.id)).not.toBeNull()
    await b.deleteUser(user.id)
    expect(await a.getUser(user.id)).toBeNull()
  })
})

describe('foreign keys', () => {
  test('createSession for an unknown user rejects with NOT_FOUND naming session.userId', async () => {
    const adapter = newAdapter()
    const error = await adapter.createSession(sessionFixture('no-such-user')).catch((e) => e)
    expect(error).toBeInstanceOf(Error)
    expect(error.code).toBe('NOT_FOUND')
    expect(error.message).toContain('session.userId')
  })

  test('a session refused for an unknown user is not stored', async () => {
    const adapter = newAdapter()
    const session = sessionFixture('no-such-user')
    await adapter.createSession(session).catch(() => {})
    expect(await adapter.getSessionAndUser(session.sessionToken)).toBeNull()
  })

  test('linkAccount for an unknown user rejects with NOT_FOUND naming account.userId', async () => {
    const adapter = newAdapter()
    const account = accountFixture('no-such-user')
    const error = await adapter.linkAccount(account).catch((e) => e)
    expect(error.code).toBe('NOT_FOUND')
    expect(error.message).toContain('account.userId')
    expect(await adapter.getAccount(account.providerAccountId, account.provider)).toBeNull()
  })

  test('createAuthenticator for an unknown user rejects with NOT_FOUND naming authenticator.userId', async () => {
    const adapter = newAdapter()
    const authenticator = authenticatorFixture('no-such-user', 'pa')
    const error = await adapter.createAuthenticator(authenticator).catch((e) => e)
    expect(error.code).toBe('NOT_FOUND')
    expect(error.message).toContain('authenticator.userId')
    expect(await adapter.getAuthenticator(authenticator.credentialID)).toBeNull()
  })
})

describe('close()', () => {
  const calls = [
    ['createUser', () => [userFixture()]],
    ['getUser', () => ['some-id']],
    ['getUserByEmail', () => ['someone@example.com']],
    ['getUserByAccount', () => [{ provider: 'github', providerAccountId: '1' }]],
    ['updateUser', () => [{ id: 'some-id', name: 'x' }]],
    ['deleteUser', () => ['some-id']],
    ['linkAccount', () => [accountFixture('some-id')]],
    ['unlinkAccount', () => [{ provider: 'github', providerAccountId: '1' }]],
    ['getAccount', () => ['1', 'github']],
    ['createSession', () => [sessionFixture('some-id')]],
    ['getSessionAndUser', () => ['token']],
    ['updateSession', () => [{ sessionToken: 'token', expires: new Date() }]],
    ['deleteSession', () => ['token']],
    ['createVerificationToken', () => [verificationTokenFixture()]],
    ['useVerificationToken', () => [{ identifier: 'a@b.c', token: 't' }]],
    ['createAuthenticator', () => [authenticatorFixture('some-id', 'pa')]],
    ['getAuthenticator', () => ['cred']],
    ['listAuthenticatorsByUserId', () => ['some-id']],
    ['updateAuthenticatorCounter', () => ['cred', 1]],
  ]

  test.each(calls)('%s after close() rejects with CLOSED', async (method, args) => {
    const adapter = newAdapter()
    await adapter.close()
    const result = adapter[method](...args())
    expect(result).toBeInstanceOf(Promise)
    const error = await result.catch((e) => e)
    expect(error).toBeInstanceOf(Error)
    expect(error.code).toBe('CLOSED')
    expect(error.message).toMatch(/^CLOSED: /)
  })

  test('close() on an in-memory adapter also makes later calls reject with CLOSED', async () => {
    const adapter = newAdapter({ filename: ':memory:' })
    await adapter.close()
    await expect(adapter.getUser('x')).rejects.toMatchObject({ code: 'CLOSED' })
  })

  test('calling close() twice resolves both times', async () => {
    const adapter = newAdapter()
    await expect(adapter.close()).resolves.toBeUndefined()
    await expect(adapter.close()).resolves.toBeUndefined()
  })

  test('two concurrent close() calls both resolve', async () => {
    const adapter = newAdapter()
    await adapter.createUser(userFixture())
    await expect(Promise.all([adapter.close(), adapter.close()])).resolves.toEqual([undefined, undefined])
  })

  test('writes queued before close() are all committed', async () => {
    const filename = tempFile()
    const adapter = RustAdapter({ filename })
    const users = Array.from({ length: 50 }, () => userFixture())
    const pending = users.map((u) => adapter.createUser(u))
    await adapter.close()
    const settled = await Promise.allSettled(pending)
    expect(settled.filter((s) => s.status === 'rejected')).toEqual([])
    const reopened = newAdapter({ filename })
    const missing = []
    for (const u of users) if ((await reopened.getUser(u.id)) === null) missing.push(u.id)
    expect(missing).toEqual([])
  })

  test('a process whose writes were refused after close() still exits on its own', () => {
    const cwd = tempDir()
    const script = `
      const { RustAdapter } = require(${JSON.stringify(PACKAGE_DIR)})
      const adapter = RustAdapter({ filename: 'closed.sqlite' })
      adapter.close().then(() => Promise.allSettled([
        adapter.createUser({ id: 'alone' }),
        Promise.all([adapter.deleteSession('a'), adapter.deleteSession('b')]),
      ])).then((settled) => process.stdout.write(settled.map((s) => s.reason.code).join(',')))
    `
    const out = execFileSync(process.execPath, ['-e', script], { cwd, timeout: 10_000, encoding: 'utf8' })
    expect(out).toBe('CLOSED,CLOSED')
  })
})

describe('configuration', () => {
  test.each([{ key: 'bogus' }, { key: 'fileName' }, { key: 'busy_timeout' }, { key: 'journalMode' }])(
    'an unknown config key $key throws INVALID_INPUT naming config.$key',
    ({ key }) => {
      const error = thrownBy(() => RustAdapter({ filename: ':memory:', [key]: 1 }))
      expect(error).toBeInstanceOf(Error)
      expect(error.code).toBe('INVALID_INPUT')
      expect(error.message).toMatch(new RegExp(`^INVALID_INPUT: config\\.${key}\\b`))
    },
  )

  test.each([
    { key: 'filename', value: 42 },
    { key: 'filename', value: true },
    { key: 'filename', value: '' },
    { key: 'busyTimeout', value: '5000' },
    { key: 'busyTimeout', value: -1 },
    { key: 'busyTimeout', value: 1.5 },
    { key: 'busyTimeout', value: NaN },
    { key: 'cacheSize', value: 'big' },
    { key: 'cacheSize', value: 0 },
    { key: 'mmapSize', value: '1GB' },
    { key: 'mmapSize', value: -1 },
    { key: 'mmapSize', value: 2 ** 31 },
    { key: 'synchronous', value: 'sometimes' },
    { key: 'synchronous', value: true },
    { key: 'secret', value: 123 },
    { key: 'sweepInterval', value: '1000' },
    { key: 'sweepInterval', value: Infinity },
    { key: 'encryptionKey', value: 5 },
    { key: 'inlineWrites', value: 'no' },
    { key: 'inlineWrites', value: 0 },
  ])('config.$key = $value throws INVALID_INPUT naming config.$key', ({ key, value }) => {
    const config = key === 'filename' ? { [key]: value } : { filename: ':memory:', [key]: value }
    const error = thrownBy(() => RustAdapter(config))
    expect(error).toBeInstanceOf(Error)
    expect(error.code).toBe('INVALID_INPUT')
    expect(error.message).toMatch(new RegExp(`^INVALID_INPUT: config\\.${key}\\b`))
  })

  test.each([['a string', 'auth.sqlite'], ['a number', 7], ['an array', []]])(
    'a config that is %s throws INVALID_INPUT naming config',
    (_, config) => {
      const error = thrownBy(() => RustAdapter(config))
      expect(error.code).toBe('INVALID_INPUT')
      expect(error.message).toMatch(/^INVALID_INPUT: config\b/)
    },
  )

  test('valid non-default options are accepted', async () => {
    const adapter = newAdapter({ busyTimeout: 100, cacheSize: 1024, synchronous: 'normal', sweepInterval: 0 })
    const user = await adapter.createUser(userFixture())
    expect((await adapter.getUser(user.id)).id).toBe(user.id)
  })

  test('with mmapSize, what is written is read back through the map, also after reopening', async () => {
    const filename = tempFile()
    const adapter = RustAdapter({ filename, mmapSize: 256 * 1024 * 1024, sweepInterval: 0 })
    const user = await adapter.createUser(userFixture())
    const expires = new Date(Date.now() + 3_600_000)
    await adapter.createSession({ sessionToken: 'mapped', userId: user.id, expires })
    expect((await adapter.getSessionAndUser('mapped')).user.id).toBe(user.id)
    await adapter.close()
    const reopened = newAdapter({ filename, mmapSize: 256 * 1024 * 1024 })
    expect(await reopened.getSessionAndUser('mapped')).toEqual({
      session: { sessionToken: 'mapped', userId: user.id, expires },
      user: await reopened.getUser(user.id),
    })
  })

  test('with inlineWrites: false, writes alone and together are all committed', async () => {
    const filename = tempFile()
    const adapter = RustAdapter({ filename, inlineWrites: false, sweepInterval: 0 })
    const alone = await adapter.createUser(userFixture())
    const together = await Promise.all([adapter.createUser(userFixture()), adapter.createUser(userFixture())])
    await adapter.close()
    const reopened = newAdapter({ filename })
    for (const user of [alone, ...together]) expect((await reopened.getUser(user.id)).id).toBe(user.id)
  })

  test('RustAdapter() on a file in a directory that does not exist creates nothing and does not throw', () => {
    const missingDir = path.join(tempDir(), `missing-${randomUUID()}`)
    RustAdapter({ filename: path.join(missingDir, 'auth.sqlite') })
    expect(fs.existsSync(missingDir)).toBe(false)
  })

  test('RustAdapter() creates no file until its first call', async () => {
    const filename = tempFile()
    const adapter = newAdapter({ filename })
    expect(fs.readdirSync(path.dirname(filename))).toEqual([])
    await adapter.getUser('nobody')
    expect(fs.existsSync(filename)).toBe(true)
  })

  test('the first call on a file in a directory that does not exist rejects with DB_UNAVAILABLE naming config.filename', async () => {
    const missingDir = path.join(tempDir(), `missing-${randomUUID()}`)
    const adapter = RustAdapter({ filename: path.join(missingDir, 'auth.sqlite') })
    const error = await rejectionOf(adapter.getUser('nobody'))
    expect(error).toBeInstanceOf(Error)
    expect(error.code).toBe('DB_UNAVAILABLE')
    expect(error.message).toContain('config.filename')
    expect(fs.existsSync(missingDir)).toBe(false)
  })

  test('a failed open is retried by the next call: once the directory exists, the adapter works', async () => {
    const missingDir = path.join(tempDir(), `later-${randomUUID()}`)
    const adapter = newAdapter({ filename: path.join(missingDir, 'auth.sqlite') })
    expect((await rejectionOf(adapter.createUser(userFixture()))).code).toBe('DB_UNAVAILABLE')
    expect((await rejectionOf(adapter.getUser('nobody'))).code).toBe('DB_UNAVAILABLE')
    fs.mkdirSync(missingDir)
    const user = await adapter.createUser(userFixture())
    expect(await adapter.getUser(user.id)).toEqual(user)
  })

  test('a filename that is a directory: the first call rejects with a code naming config.filename', async () => {
    const error = await rejectionOf(RustAdapter({ filename: tempDir() }).getUser('nobody'))
    expect(error).toBeInstanceOf(Error)
    expect(typeof error.code).toBe('string')
    expect(error.message.startsWith(`${error.code}: `)).toBe(true)
    expect(error.message).toContain('config.filename')
  })

  test('close() of an adapter that never opened its file resolves and creates nothing', async () => {
    const filename = tempFile()
    const adapter = RustAdapter({ filename })
    await adapter.close()
    expect(fs.existsSync(filename)).toBe(false)
    expect((await rejectionOf(adapter.getUser('nobody'))).code).toBe('CLOSED')
  })
})
