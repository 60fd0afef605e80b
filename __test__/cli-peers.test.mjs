// `import --from <peer>` with the real peer packages: the source database is written by the
// peer's own adapter methods (users and accounts with extra columns, several sessions per user,
// verification tokens, authenticators), `import` runs as a process, and the rows are read back
// through RustAdapter: every user and account deep-equal with their types, and every old
// session token still signed in.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import Database from 'better-sqlite3'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import { sqliteTable, text, integer, primaryKey } from 'drizzle-orm/sqlite-core'
import { DrizzleAdapter } from '@auth/drizzle-adapter'
import { RustAdapter } from 'authjs-rust-adapter'
import helpers from './helpers.js'
import peerFixtures from './peer-fixtures.js'
import prisma from './prisma.js'

const { runCli: cli } = helpers
const { userExtras, peerUser, peerAccount, peerAuthenticator } = peerFixtures

const KEY = Buffer.alloc(32, 7).toString('base64')
const dirs = []
const open = []
afterAll(async () => {
  for (const a of open) await a.close().catch(() => {})
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
})
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'authjs-cli-peers-'))
  dirs.push(d)
  return d
}


// @auth/drizzle-adapter's default SQLite tables, the user and account with extra columns.
const users = sqliteTable('user', {
  id: text('id').primaryKey(),
  name: text('name'),
  email: text('email').unique(),
  emailVerified: integer('emailVerified', { mode: 'timestamp_ms' }),
  image: text('image'),
  role: text('role'),
  age: integer('age'),
  isStaff: integer('isStaff', { mode: 'boolean' }),
  joinedAt: integer('joinedAt', { mode: 'timestamp_ms' }),
})
const accounts = sqliteTable(
  'account',
  {
    userId: text('userId').notNull().references(() => users.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    provider: text('provider').notNull(),
    providerAccountId: text('providerAccountId').notNull(),
    refresh_token: text('refresh_token'),
    access_token: text('access_token'),
    expires_at: integer('expires_at'),
    token_type: text('token_type'),
    scope: text('scope'),
    id_token: text('id_token'),
    session_state: text('session_state'),
    tenant: text('tenant'),
  },
  (a) => [primaryKey({ columns: [a.provider, a.providerAccountId] })],
)
const sessions = sqliteTable('session', {
  sessionToken: text('sessionToken').primaryKey(),
  userId: text('userId').notNull().references(() => users.id, { onDelete: 'cascade' }),
  expires: integer('expires', { mode: 'timestamp_ms' }).notNull(),
})
const verificationTokens = sqliteTable(
  'verificationToken',
  {
    identifier: text('identifier').notNull(),
    token: text('token').notNull(),
    expires: integer('expires', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.identifier, t.token] })],
)
const authenticators = sqliteTable(
  'authenticator',
  {
    credentialID: text('credentialID').notNull().unique(),
    userId: text('userId').notNull().references(() => users.id, { onDelete: 'cascade' }),
    providerAccountId: text('providerAccountId').notNull(),
    credentialPublicKey: text('credentialPublicKey').notNull(),
    counter: integer('counter').notNull(),
    credentialDeviceType: text('credentialDeviceType').notNull(),
    credentialBackedUp: integer('credentialBackedUp', { mode: 'boolean' }).notNull(),
    transports: text('transports'),
  },
  (a) => [primaryKey({ columns: [a.userId, a.credentialID] })],
)

// The DDL drizzle-kit generates for those tables (declared types as drizzle-kit writes them,
// with the date columns declared so their type is known: `integer` timestamps of extra
// columns are declared TIMESTAMP here).
const DDL = `
  CREATE TABLE "user" (id TEXT PRIMARY KEY NOT NULL, name TEXT, email TEXT UNIQUE, emailVerified INTEGER, image TEXT,
    role TEXT, age INTEGER, isStaff BOOLEAN, joinedAt TIMESTAMP);
  CREATE TABLE account (
    userId TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE, type TEXT NOT NULL, provider TEXT NOT NULL,
    providerAccountId TEXT NOT NULL, refresh_token TEXT, access_token TEXT, expires_at INTEGER, token_type TEXT,
    scope TEXT, id_token TEXT, session_state TEXT, tenant TEXT, PRIMARY KEY (provider, providerAccountId));
  CREATE TABLE session (sessionToken TEXT PRIMARY KEY NOT NULL, userId TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE, expires INTEGER NOT NULL);
  CREATE TABLE verificationToken (identifier TEXT NOT NULL, token TEXT NOT NULL, expires INTEGER NOT NULL, PRIMARY KEY (identifier, token));
  CREATE TABLE authenticator (
    credentialID TEXT NOT NULL UNIQUE, userId TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
    providerAccountId TEXT NOT NULL, credentialPublicKey TEXT NOT NULL, counter INTEGER NOT NULL,
    credentialDeviceType TEXT NOT NULL, credentialBackedUp INTEGER NOT NULL, transports TEXT,
    PRIMARY KEY (userId, credentialID));
`

/** A drizzle SQLite file written by @auth/drizzle-adapter; answers what it wrote. */
async function drizzleSource() {
  const file = path.join(tempDir(), 'drizzle.sqlite')
  const sqlite = new Database(file)
  sqlite.pragma('foreign_keys = ON')
  sqlite.exec(DDL)
  const adapter = DrizzleAdapter(drizzle(sqlite), {
    usersTable: users,
    accountsTable: accounts,
    sessionsTable: sessions,
    verificationTokensTable: verificationTokens,
    authenticatorsTable: authenticators,
  })
  const written = []
  for (let i = 0; i < 3; i++) {
    const user = await adapter.createUser({ ...peerUser(i), ...userExtras(i) })
    const account = { ...peerAccount(i, user.id), session_state: null, tenant: `tenant-${i}` }
    await adapter.linkAccount(account)
    const tokens = []
    for (let s = 0; s < 3; s++) {
      const sessionToken = randomUUID()
      await adapter.createSession({ sessionToken, userId: user.id, expires: new Date(Date.now() + (s + 1) * 86400000) })
      tokens.push(sessionToken)
    }
    written.push({ user, account, tokens })
  }
  const token = await adapter.createVerificationToken({ identifier: 'a@example.com', token: randomUUID(), expires: new Date(Date.now() + 600000) })
  const authenticator = await adapter.createAuthenticator(peerAuthenticator(written[0].user.id, written[0].account.providerAccountId))
  sqlite.close()
  return { file, written, token, authenticator }
}

/** What RustAdapter gives back for a user the peer wrote: the same object, `session_state` left out when null. */
const expectedAccount = (account) => Object.fromEntries(Object.entries(account).filter(([, v]) => v !== null))

test('drizzle: every user and account comes back deep-equal with its types, and every old session cookie still signs in', async () => {
  const source = await drizzleSource()
  const filename = path.join(tempDir(), 'auth.sqlite')
  const out = cli(['import', '--from', 'drizzle', '--source', source.file, '--filename', filename, '--secret', 'app-secret', '--encryption-key', KEY, '--json'])
  expect(out.stderr).toBe('')
  expect(out.status).toBe(0)
  expect(out.json.inserted).toEqual({ user: 3, account: 3, session: 9, verificationToken: 1, authenticator: 1 })

  const adapter = RustAdapter({ filename, secret: 'app-secret', encryptionKey: KEY })
  open.push(adapter)
  for (const { user, account, tokens } of source.written) {
    const got = await adapter.getUser(user.id)
    expect(got).toEqual(user)
    expect(Object.prototype.toString.call(got.joinedAt)).toBe('[object Date]')
    expect(typeof got.isStaff).toBe('boolean')
    expect(await adapter.getAccount(account.providerAccountId, account.provider)).toEqual(expectedAccount(account))
    for (const token of tokens) {
      const found = await adapter.getSessionAndUser(token)
      expect(found.user).toEqual(user)
    }
  }
  expect(await adapter.getAuthenticator(source.authenticator.credentialID)).toEqual(source.authenticator)
  expect(await adapter.useVerificationToken({ identifier: source.token.identifier, token: source.token.token })).toEqual(source.token)
  // The OAuth tokens are sealed at rest.
  await adapter.close()
  const raw = new Database(filename, { readonly: true })
  const stored = raw.prepare('SELECT access_token FROM accounts').all()
  raw.close()
  for (const { access_token } of stored) expect(access_token).toMatch(/^enc:v1:/)
})

test('drizzle: a second import is refused, and with --merge imports nothing twice', async () => {
  const source = await drizzleSource()
  const filename = path.join(tempDir(), 'auth.sqlite')
  const args = ['import', '--from', 'drizzle', '--source', source.file, '--filename', filename, '--json']
  expect(cli(args).status).toBe(0)
  const again = cli(args)
  expect(again.status).toBe(1)
  expect(again.json.error.code).toBe('TARGET_NOT_EMPTY')
  const merged = cli([...args, '--merge'])
  expect(merged.status).toBe(0)
  expect(merged.json.inserted).toEqual({ user: 0, account: 0, session: 0, verificationToken: 0, authenticator: 0 })
  expect(merged.json.conflicts).toHaveLength(17)
})

test('drizzle: --dry-run writes nothing', async () => {
  const source = await drizzleSource()
  const filename = path.join(tempDir(), 'auth.sqlite')
  const out = cli(['import', '--from', 'drizzle', '--source', source.file, '--filename', filename, '--dry-run', '--json'])
  expect(out.status).toBe(0)
  expect(out.json.wouldWrite).toEqual({ user: 3, account: 3, session: 9, verificationToken: 1, authenticator: 1 })
  expect(cli(['stats', '--filename', filename, '--json']).json.rows.users).toBe(0)
})

test('a source that is not the peer\'s schema is refused naming the missing table or column', async () => {
  const file = path.join(tempDir(), 'other.sqlite')
  const db = new Database(file)
  db.exec('CREATE TABLE "User" (id TEXT PRIMARY KEY, name TEXT, email TEXT)')
  db.close()
  const filename = path.join(tempDir(), 'auth.sqlite')
  const noTable = cli(['import', '--from', 'drizzle', '--source', file, '--filename', filename, '--json'])
  expect(noTable.status).toBe(1)
  expect(noTable.json.error.code).toBe('SCHEMA_MISMATCH')
  expect(noTable.json.error.message).toMatch(/the table "user" \(user\) is missing/)
  const noColumn = cli(['import', '--from', 'prisma', '--source', file, '--filename', filename, '--json'])
  expect(noColumn.json.error.code).toBe('SCHEMA_MISMATCH')
  expect(noColumn.json.error.message).toMatch(/the column "emailVerified" of table "User" is missing/)
})

test('a duplicate email in the source fails the import, names the row, and leaves the target empty', async () => {
  const file = path.join(tempDir(), 'dup.sqlite')
  const db = new Database(file)
  db.exec(DDL.replace('email TEXT UNIQUE', 'email TEXT'))
  db.prepare('INSERT INTO "user" (id, email) VALUES (?, ?), (?, ?)').run('u1', 'same@example.com', 'u2', 'same@example.com')
  db.close()
  const filename = path.join(tempDir(), 'auth.sqlite')
  const out = cli(['import', '--from', 'drizzle', '--source', file, '--filename', filename, '--json'])
  expect(out.status).toBe(1)
  expect(out.json.error.code).toBe('UNIQUE_VIOLATION')
  expect(out.json.error.message).toMatch(/user id "u2"/)
  expect(cli(['stats', '--filename', filename, '--json']).json.rows.users).toBe(0)
})

/** A drizzle SQLite file written with plain SQL (for shapes the peer itself would not write). */
function rawDrizzle(fill) {
  const file = path.join(tempDir(), 'raw.sqlite')
  const db = new Database(file)
  db.pragma('foreign_keys = OFF')
  db.exec(DDL)
  db.transaction(() => fill(db))()
  db.close()
  return file
}

test('a source field the adapter would refuse fails the import naming its row and field, and leaves the target empty', () => {
  const file = rawDrizzle((db) => {
    db.prepare('INSERT INTO "user" (id, name, email) VALUES (?, ?, ?)').run('u1', 'Ada', 'ada@example.com')
    const account = db.prepare('INSERT INTO account (userId, type, provider, providerAccountId, expires_at) VALUES (?, ?, ?, ?, ?)')
    account.run('u1', 'oauth', 'github', '1', 1900000000)
    // Text where linkAccount takes a number of seconds.
    account.run('u1', 'oauth', 'github', '2', 'soon')
  })
  const filename = path.join(tempDir(), 'auth.sqlite')
  const out = cli(['import', '--from', 'drizzle', '--source', file, '--filename', filename, '--json'])
  expect(out.status).toBe(1)
  expect(out.json.error.code).toBe('INVALID_INPUT')
  expect(out.json.error.message).toContain('account provider "github", providerAccountId "2" (row 2): account.expires_at must be a finite number of seconds since the epoch (got "soon")')
  expect(cli(['stats', '--filename', filename, '--json']).json.rows.users).toBe(0)
  // --dry-run checks every field the same way, and writes nothing.
  const dry = cli(['import', '--from', 'drizzle', '--source', file, '--filename', filename, '--dry-run', '--json'])
  expect(dry.status).toBe(1)
  expect(dry.json.error.message).toContain('account.expires_at must be a finite number')
})

test('a bad row on a page read ahead (the next page, or the next table\'s first page) fails the import naming it, and leaves the target empty', () => {
  // Pages of 2 rows: each page is read and converted while the one before it commits, and a
  // table's first page while the previous table's last page commits.
  const users = (db, bad) => {
    const user = db.prepare('INSERT INTO "user" (id, email, emailVerified) VALUES (?, ?, ?)')
    for (let i = 1; i <= 5; i++) user.run(`u${i}`, `u${i}@example.com`, i === bad ? 'soon' : 1700000000000)
  }
  const cases = [
    {
      file: rawDrizzle((db) => users(db, 4)),
      message: 'user id "u4" (row 4): user.emailVerified is "soon"',
    },
    {
      file: rawDrizzle((db) => {
        users(db, 0)
        db.prepare('INSERT INTO account (userId, type, provider, providerAccountId, expires_at) VALUES (?, ?, ?, ?, ?)').run('u1', 'oauth', 'github', '1', 'soon')
      }),
      message: 'account provider "github", providerAccountId "1" (row 1): account.expires_at must be a finite number',
    },
  ]
  for (const { file, message } of cases) {
    const filename = path.join(tempDir(), 'auth.sqlite')
    const out = cli(['import', '--from', 'drizzle', '--source', file, '--filename', filename, '--json'], { AUTHJS_IMPORT_PAGE_ROWS: '2' })
    expect(out.status).toBe(1)
    expect(out.json.error.code).toBe('INVALID_INPUT')
    expect(out.json.error.message).toContain(message)
    expect(out.json.error.message).toContain('the target was left empty')
    const stats = cli(['stats', '--filename', filename, '--json']).json
    expect(stats.rows).toEqual({ users: 0, accounts: 0, sessions: 0, verification_tokens: 0, authenticators: 0 })
    expect(cli(['check', '--filename', filename, '--json']).json.ok).toBe(true)
  }
})

/** A target file's schema (every table and index as stored) and its rows, as better-sqlite3 reads them. */
function snapshot(filename, { without } = {}) {
  // (Not read-only: a WAL file's reader makes its shared-memory file when it is not there.)
  const db = new Database(filename, { fileMustExist: true })
  try {
    const schema = db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all()
    const indexes = Object.fromEntries(['users', 'accounts', 'sessions', 'verification_tokens', 'authenticators'].map((t) => [t, db.pragma(`index_list(${t})`)]))
    // A session's public id and times are made when it is written: the same in no two imports.
    const rows = {
      users: db.prepare('SELECT * FROM users WHERE id IS NOT ? ORDER BY id').all(without ?? null),
      accounts: db.prepare('SELECT * FROM accounts ORDER BY provider, provider_account_id').all(),
      sessions: db.prepare('SELECT session_token_hash, user_id, expires, user_agent, ip_address FROM sessions ORDER BY session_token_hash').all(),
    }
    return { schema, indexes, rows }
  } finally {
    db.close()
  }
}

test('into an empty file the indexes on user_id are built once at the end: the same rows and the same schema as a row-by-row import', async () => {
  const N = 300
  const file = rawDrizzle((db) => {
    const user = db.prepare('INSERT INTO "user" (id, name, email, emailVerified, role) VALUES (?, ?, ?, ?, ?)')
    const account = db.prepare('INSERT INTO account (userId, type, provider, providerAccountId, access_token, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
    const session = db.prepare('INSERT INTO session (sessionToken, userId, expires) VALUES (?, ?, ?)')
    for (let i = 0; i < N; i++) {
      const id = randomUUID()
      user.run(id, `User ${i}`, `user${i}@example.com`, 1700000000000 + i, `r${i % 3}`)
      account.run(id, 'oauth', i % 2 ? 'github' : 'google', String(i), `gho_${i}`, 1900000000)
      for (let s = 0; s < 2; s++) session.run(randomUUID(), id, Date.now() + 86400000)
    }
  })
  const env = { AUTHJS_IMPORT_PAGE_ROWS: '64' }
  // Into an empty file.
  const fast = path.join(tempDir(), 'auth.sqlite')
  const a = cli(['import', '--from', 'drizzle', '--source', file, '--filename', fast, '--json'], env)
  expect(a.status).toBe(0)
  // Row by row, every index kept up to date: into a file that holds a row (--merge).
  const slow = path.join(tempDir(), 'auth.sqlite')
  const held = RustAdapter({ filename: slow })
  await held.createUser({ id: 'zz-held', email: 'held@example.com', emailVerified: null })
  await held.close()
  const b = cli(['import', '--from', 'drizzle', '--source', file, '--filename', slow, '--merge', '--json'], env)
  expect(b.status).toBe(0)
  expect(b.json.conflicts).toEqual([])
  expect(a.json.inserted).toEqual(b.json.inserted)
  expect(a.json.inserted).toMatchObject({ user: N, account: N, session: 2 * N })
  const fastSnapshot = snapshot(fast)
  expect(fastSnapshot).toEqual(snapshot(slow, { without: 'zz-held' }))
  expect(fastSnapshot.rows.sessions).toHaveLength(2 * N)
  expect(fastSnapshot.indexes.sessions.map((i) => i.name)).toContain('sessions_user_id_idx')
  expect(fastSnapshot.indexes.accounts.map((i) => i.name)).toContain('accounts_user_id_idx')
  expect(fastSnapshot.indexes.authenticators.map((i) => i.name)).toContain('authenticators_user_id_idx')
  // The schema is the one a new file gets.
  const fresh = path.join(tempDir(), 'auth.sqlite')
  expect(cli(['migrate', '--filename', fresh, '--json']).status).toBe(0)
  expect(fastSnapshot.schema).toEqual(snapshot(fresh).schema)
  expect(cli(['check', '--filename', fast, '--json']).json.ok).toBe(true)
})

test('a failed import into an empty file leaves it empty with every index; a file whose import was killed before its indexes were built gets them back when opened', async () => {
  const file = rawDrizzle((db) => {
    const user = db.prepare('INSERT INTO "user" (id, email) VALUES (?, ?)')
    const account = db.prepare('INSERT INTO account (userId, type, provider, providerAccountId, expires_at) VALUES (?, ?, ?, ?, ?)')
    for (let i = 1; i <= 5; i++) {
      user.run(`u${i}`, `u${i}@example.com`)
      account.run(`u${i}`, 'oauth', 'github', String(i), i === 4 ? 'soon' : 1900000000)
    }
  })
  const fresh = path.join(tempDir(), 'auth.sqlite')
  expect(cli(['migrate', '--filename', fresh, '--json']).status).toBe(0)
  const filename = path.join(tempDir(), 'auth.sqlite')
  const out = cli(['import', '--from', 'drizzle', '--source', file, '--filename', filename, '--json'], { AUTHJS_IMPORT_PAGE_ROWS: '2' })
  expect(out.status).toBe(1)
  expect(out.json.error.message).toContain('providerAccountId "4" (row 4): account.expires_at must be a finite number')
  expect(snapshot(filename)).toEqual(snapshot(fresh))
  expect(snapshot(filename).rows.users).toEqual([])
  // What a kill between the first page and the end leaves: rows, and no indexes on user_id.
  const db = new Database(filename)
  db.exec("INSERT INTO users (id, email) VALUES ('u1', 'u1@example.com'); DROP INDEX accounts_user_id_idx; DROP INDEX sessions_user_id_idx; DROP INDEX authenticators_user_id_idx;")
  db.close()
  expect(cli(['stats', '--filename', filename, '--json']).json.rows.users).toBe(1)
  expect(snapshot(filename).schema).toEqual(snapshot(fresh).schema)
})

test('a date in no form the peers store is refused naming the row and field; a session is never named by its whole token', () => {
  const token = `secret-token-${randomUUID()}`
  const file = rawDrizzle((db) => {
    db.prepare('INSERT INTO "user" (id, email) VALUES (?, ?)').run('u1', 'ada@example.com')
    db.prepare('INSERT INTO session (sessionToken, userId, expires) VALUES (?, ?, ?)').run(token, 'u1', 'next tuesday')
  })
  const out = cli(['import', '--from', 'drizzle', '--source', file, '--filename', path.join(tempDir(), 'auth.sqlite'), '--json'])
  expect(out.status).toBe(1)
  expect(out.json.error.code).toBe('INVALID_INPUT')
  expect(out.json.error.message).toMatch(/session sessionToken "secret…" \(row 1\): session\.expires is "next tuesday" \(not a date/)
  expect(out.stdout + out.stderr).not.toContain(token)
})

test('a session whose user is not in the source fails naming it; with --merge it is kept out and reported', () => {
  const file = rawDrizzle((db) => {
    db.prepare('INSERT INTO "user" (id, email) VALUES (?, ?)').run('u1', 'ada@example.com')
    db.prepare('INSERT INTO session (sessionToken, userId, expires) VALUES (?, ?, ?)').run(randomUUID(), 'ghost', Date.now() + 86400000)
  })
  const filename = path.join(tempDir(), 'auth.sqlite')
  const out = cli(['import', '--from', 'drizzle', '--source', file, '--filename', filename, '--json'])
  expect(out.status).toBe(1)
  expect(out.json.error.code).toBe('NOT_FOUND')
  expect(out.json.error.message).toMatch(/^NOT_FOUND: session sessionToken hash "[0-9a-f]{64}": its user "ghost" is not in the target/)
  expect(cli(['stats', '--filename', filename, '--json']).json.rows.users).toBe(0)
  const merged = cli(['import', '--from', 'drizzle', '--source', file, '--filename', filename, '--merge', '--json'])
  expect(merged.status).toBe(0)
  expect(merged.json.inserted).toEqual({ user: 1, account: 0, session: 0, verificationToken: 0, authenticator: 0 })
  expect(merged.json.conflicts).toEqual([expect.stringMatching(/^session sessionToken hash "[0-9a-f]{64}": its user "ghost" is not in the target$/)])
})

test('--merge reports each conflict as the source names the row', async () => {
  const source = await drizzleSource()
  const filename = path.join(tempDir(), 'auth.sqlite')
  const args = ['import', '--from', 'drizzle', '--source', source.file, '--filename', filename, '--json']
  expect(cli(args).status).toBe(0)
  const merged = cli([...args, '--merge'])
  expect(merged.status).toBe(0)
  for (const { user, account } of source.written) {
    expect(merged.json.conflicts).toContain(`user id ${JSON.stringify(user.id)}: already in the target (the same key or email)`)
    expect(merged.json.conflicts).toContain(
      `account provider ${JSON.stringify(account.provider)}, providerAccountId ${JSON.stringify(account.providerAccountId)}: already in the target (the same key)`,
    )
  }
})

test('rows across many pages: every row once, integer and text dates, every session signed in', async () => {
  const N = 12345
  const expires = Date.now() + 86400000
  const file = rawDrizzle((db) => {
    const user = db.prepare('INSERT INTO "user" (id, name, email, emailVerified, role, age, isStaff, joinedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    const account = db.prepare('INSERT INTO account (userId, type, provider, providerAccountId, access_token, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
    const session = db.prepare('INSERT INTO session (sessionToken, userId, expires) VALUES (?, ?, ?)')
    for (let i = 0; i < N; i++) {
      const id = `u${String(i).padStart(6, '0')}`
      // Dates as integer seconds, milliseconds, and SQL text.
      user.run(id, `User ${i}`, `user${i}@example.com`, i % 2 ? 1700000000 : 1700000000000, `r${i % 3}`, i, i % 2, '2023-06-01 00:00:00.000')
      account.run(id, 'oauth', 'github', String(i), `gho_${i}`, 1900000000)
      session.run(`token-${i}`, id, expires)
    }
  })
  const filename = path.join(tempDir(), 'auth.sqlite')
  // Pages of 5000 rows (the default is larger).
  const out = cli(['import', '--from', 'drizzle', '--source', file, '--filename', filename, '--secret', 'app-secret', '--json'], { AUTHJS_IMPORT_PAGE_ROWS: '5000' })
  expect(out.stderr).toBe('')
  expect(out.status).toBe(0)
  expect(out.json.inserted).toEqual({ user: N, account: N, session: N, verificationToken: 0, authenticator: 0 })
  const adapter = RustAdapter({ filename, secret: 'app-secret' })
  open.push(adapter)
  for (const i of [0, 1, 4999, 5000, 5001, N - 1]) {
    const id = `u${String(i).padStart(6, '0')}`
    const user = await adapter.getUser(id)
    expect(user).toEqual({
      id,
      name: `User ${i}`,
      email: `user${i}@example.com`,
      emailVerified: new Date(1700000000000),
      image: null,
      role: `r${i % 3}`,
      age: i,
      isStaff: i % 2 === 1,
      joinedAt: new Date(Date.UTC(2023, 5, 1)),
    })
    expect((await adapter.getSessionAndUser(`token-${i}`)).user).toEqual(user)
    expect((await adapter.getAccount(String(i), 'github')).access_token).toBe(`gho_${i}`)
  }
  expect(await adapter.getSessionAndUser('token-unknown')).toBeNull()
})

test('a table without rowids is read in key order, across pages; a bad page size is refused', async () => {
  const file = path.join(tempDir(), 'norowid.sqlite')
  const db = new Database(file)
  db.exec(DDL.replace('CREATE TABLE session (sessionToken TEXT PRIMARY KEY NOT NULL, userId TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE, expires INTEGER NOT NULL);',
    'CREATE TABLE session (sessionToken TEXT PRIMARY KEY NOT NULL, userId TEXT NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID;'))
  db.prepare('INSERT INTO "user" (id, email) VALUES (?, ?)').run('u1', 'ada@example.com')
  const session = db.prepare('INSERT INTO session (sessionToken, userId, expires) VALUES (?, ?, ?)')
  for (let i = 0; i < 25; i++) session.run(`t${i}`, 'u1', Date.now() + 86400000)
  db.close()
  const filename = path.join(tempDir(), 'auth.sqlite')
  const args = ['import', '--from', 'drizzle', '--source', file, '--filename', filename, '--json']
  const bad = cli(args, { AUTHJS_IMPORT_PAGE_ROWS: 'lots' })
  expect(bad.status).toBe(1)
  expect(bad.json.error.message).toContain('AUTHJS_IMPORT_PAGE_ROWS must be a positive integer')
  const out = cli(args, { AUTHJS_IMPORT_PAGE_ROWS: '7' })
  expect(out.status).toBe(0)
  expect(out.json.inserted.session).toBe(25)
  const adapter = RustAdapter({ filename })
  open.push(adapter)
  for (let i = 0; i < 25; i++) expect((await adapter.getSessionAndUser(`t${i}`)).user.id).toBe('u1')
})

test('an unreadable source file is refused naming it', () => {
  const missing = path.join(tempDir(), 'nope.sqlite')
  const out = cli(['import', '--from', 'drizzle', '--source', missing, '--filename', path.join(tempDir(), 'a.sqlite'), '--json'])
  expect(out.status).toBe(1)
  expect(out.json.error.message).toContain(missing)
})

/** Writes users with accounts (extra columns), sessions and a token through a peer adapter. */
async function writeThrough(adapter, { extraUser = (i) => ({ role: ['admin', 'member', 'guest'][i], joinedAt: new Date(Date.UTC(2023, 5, 1 + i)) }), extraAccount = (i) => ({ tenant: `tenant-${i}` }) } = {}) {
  const written = []
  for (let i = 0; i < 3; i++) {
    const user = await adapter.createUser({ ...peerUser(i), ...extraUser(i) })
    const account = { ...peerAccount(i, user.id), ...extraAccount(i) }
    await adapter.linkAccount({ ...account }) // (TypeORM writes its own id into the object)
    const tokens = []
    for (let s = 0; s < 3; s++) {
      const sessionToken = randomUUID()
      await adapter.createSession({ sessionToken, userId: user.id, expires: new Date(Date.now() + (s + 1) * 86400000) })
      tokens.push(sessionToken)
    }
    written.push({ user: { emailVerified: null, image: null, ...user }, account, tokens })
  }
  const token = { identifier: 'a@example.com', token: randomUUID(), expires: new Date(Date.now() + 600000) }
  await adapter.createVerificationToken(token)
  return { written, token }
}

/** Imports `file` from `peer` into a new SQLite file and checks everything came across. */
async function importAndCheck(peer, file, source, expectedCounts) {
  const filename = path.join(tempDir(), 'auth.sqlite')
  const out = cli(['import', '--from', peer, '--source', file, '--filename', filename, '--secret', 'app-secret', '--encryption-key', KEY, '--json'])
  expect(out.stderr).toBe('')
  expect(out.status).toBe(0)
  expect(out.json.inserted).toEqual(expectedCounts)
  const adapter = RustAdapter({ filename, secret: 'app-secret', encryptionKey: KEY })
  open.push(adapter)
  for (const { user, account, tokens } of source.written) {
    expect(await adapter.getUser(user.id)).toEqual(user)
    expect(await adapter.getAccount(account.providerAccountId, account.provider)).toEqual(account)
    for (const token of tokens) expect((await adapter.getSessionAndUser(token)).user).toEqual(user)
  }
  expect(await adapter.useVerificationToken({ identifier: source.token.identifier, token: source.token.token })).toEqual(source.token)
}

test('kysely: users and accounts deep-equal with their types, every old session still signed in', async () => {
  const { Kysely, SqliteDialect } = await import('kysely')
  const { KyselyAdapter } = await import('@auth/kysely-adapter')
  const file = path.join(tempDir(), 'kysely.sqlite')
  const sqlite = new Database(file)
  // The schema @auth/kysely-adapter documents, for SQLite (dates as ISO text), plus extras.
  sqlite.exec(`
    CREATE TABLE "User" (id TEXT PRIMARY KEY NOT NULL, name TEXT, email TEXT UNIQUE NOT NULL, emailVerified TEXT, image TEXT,
      role TEXT, joinedAt DATETIME);
    CREATE TABLE "Account" (id TEXT PRIMARY KEY NOT NULL DEFAULT (lower(hex(randomblob(16)))), userId TEXT NOT NULL REFERENCES "User"(id) ON DELETE CASCADE,
      type TEXT NOT NULL, provider TEXT NOT NULL, providerAccountId TEXT NOT NULL, refresh_token TEXT, access_token TEXT,
      expires_at INTEGER, token_type TEXT, scope TEXT, id_token TEXT, session_state TEXT, tenant TEXT);
    CREATE TABLE "Session" (id TEXT PRIMARY KEY NOT NULL DEFAULT (lower(hex(randomblob(16)))), userId TEXT NOT NULL REFERENCES "User"(id) ON DELETE CASCADE,
      sessionToken TEXT NOT NULL UNIQUE, expires TEXT NOT NULL);
    CREATE TABLE "VerificationToken" (identifier TEXT NOT NULL, token TEXT NOT NULL UNIQUE, expires TEXT NOT NULL);
  `)
  const db = new Kysely({ dialect: new SqliteDialect({ database: sqlite }) })
  const source = await writeThrough(KyselyAdapter(db))
  await db.destroy()
  await importAndCheck('kysely', file, source, { user: 3, account: 3, session: 9, verificationToken: 1 })
})

test('typeorm: users and accounts deep-equal with their types, every old session still signed in', async () => {
  // Outside production the peer re-synchronises its entities on every call, with a warning.
  process.env.NODE_ENV = 'production'
  const { TypeORMAdapter } = await import('@auth/typeorm-adapter')
  const file = path.join(tempDir(), 'typeorm.sqlite')
  const adapter = TypeORMAdapter({ type: 'better-sqlite3', database: file, synchronize: true })
  // TypeORM's default entities have no extra columns: the app added them to its tables.
  const source = await writeThrough(adapter, { extraUser: () => ({}), extraAccount: () => ({}) })
  await adapter.__disconnect()
  const db = new Database(file)
  db.exec('ALTER TABLE users ADD COLUMN role TEXT; ALTER TABLE users ADD COLUMN joinedAt DATETIME; ALTER TABLE accounts ADD COLUMN tenant TEXT')
  for (const [i, w] of source.written.entries()) {
    w.user.role = `role-${i}`
    w.user.joinedAt = new Date(Date.UTC(2023, 5, 1 + i))
    db.prepare('UPDATE users SET role = ?, joinedAt = ? WHERE id = ?').run(w.user.role, w.user.joinedAt.toISOString(), w.user.id)
    w.account.tenant = `tenant-${i}`
    db.prepare('UPDATE accounts SET tenant = ? WHERE providerAccountId = ?').run(w.account.tenant, w.account.providerAccountId)
  }
  db.close()
  await importAndCheck('typeorm', file, source, { user: 3, account: 3, session: 9, verificationToken: 1 })
})

describe('prisma', () => {
  // The real @auth/prisma-adapter on Prisma 7's client, generated for this run (see __test__/prisma.js).
  let PrismaClient
  beforeAll(() => {
    ;({ PrismaClient } = prisma.generatePrismaClient('sqlite'))
  }, 120000)
  afterAll(() => prisma.removeGenerated())

  // Prisma 7 stores SQLite dates as ISO text by default; Prisma 6 and older (and 7 when told
  // so) as integer milliseconds.
  test.each(['iso8601', 'unixepoch-ms'])('users and accounts deep-equal with their types, every old session still signed in (dates stored as %s)', async (timestampFormat) => {
    const { PrismaAdapter } = await import('@auth/prisma-adapter')
    const { PrismaBetterSqlite3 } = await import('@prisma/adapter-better-sqlite3')
    const file = path.join(tempDir(), 'dev.db')
    const sqlite = new Database(file)
    sqlite.exec(prisma.DDL.sqlite)
    sqlite.close()
    const client = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: `file:${file}` }, { timestampFormat }) })
    const source = await prisma.writeThroughPrisma(PrismaAdapter(client))
    await client.$disconnect()
    const raw = new Database(file, { readonly: true })
    const stored = raw.prepare('SELECT "joinedAt", "createdAt" FROM "User"').get()
    raw.close()
    expect(typeof stored.joinedAt).toBe(timestampFormat === 'iso8601' ? 'string' : 'number')

    const filename = path.join(tempDir(), 'auth.sqlite')
    const out = cli(['import', '--from', 'prisma', '--source', file, '--filename', filename, '--secret', 'app-secret', '--encryption-key', KEY, '--json'])
    expect(out.stderr).toBe('')
    expect(out.status).toBe(0)
    expect(out.json.inserted).toEqual({ user: 3, account: 3, session: 9, verificationToken: 1, authenticator: 1 })

    const adapter = RustAdapter({ filename, secret: 'app-secret', encryptionKey: KEY })
    open.push(adapter)
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
  })
})
