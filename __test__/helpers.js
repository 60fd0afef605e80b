'use strict'
/**
 * Shared test helpers: real databases (SQLite files in fresh temp directories, or fresh
 * schemas on a real PostgreSQL server), Auth.js-shaped fixtures, and an independent reader
 * (sql.js, a separate SQLite build) for looking at a closed SQLite file.
 *
 * The backend-neutral suites run twice: on SQLite, and with `AUTHJS_TEST_BACKEND=postgres`
 * (see `__test__/postgres/jest.config.js`) on the server named by `AUTHJS_TEST_PG_URL`.
 */
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { randomUUID } = require('node:crypto')

const { RustAdapter } = require('..')
const { AUTHJS_METHODS } = require('../jest')

const tempDirs = []

/** A new empty temp directory, removed when the test file finishes. */
function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authjs-rust-adapter-'))
  tempDirs.push(dir)
  return dir
}

/** A path for a new SQLite file in a fresh temp directory. */
function tempFile(name = 'auth.sqlite') {
  return path.join(tempDir(), name)
}

/** The backend under test: `'sqlite'` (default) or `'postgres'`. */
const BACKEND = process.env.AUTHJS_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite'
const onPostgres = BACKEND === 'postgres'

let schemas = 0
/** A schema name no other test (or test process) uses. */
function freshSchema() {
  return `authjs_test_${process.pid}_${Date.now().toString(36)}_${++schemas}`
}

/**
 * The config of a new, empty database on the backend under test, plus `extra` options:
 * a new SQLite file, or a new schema on the PostgreSQL test server.
 */
function storeConfig(extra = {}) {
  if (!onPostgres) return { filename: tempFile(), ...extra }
  const url = process.env.AUTHJS_TEST_PG_URL
  if (!url) throw new Error('AUTHJS_TEST_PG_URL is not set: run the PostgreSQL suite through its Jest config')
  return { url, schema: freshSchema(), ...extra }
}

/** Registers a test that only means something on SQLite (files, WAL, inline writes). */
const skipped = Object.assign(() => {}, { each: () => () => {} })
const sqliteTest = onPostgres ? skipped : test

/** Registers a group of tests that only mean something on SQLite. */
const sqliteDescribe = onPostgres ? () => {} : describe

/** Registers a test that only means something on PostgreSQL. */
const postgresTest = onPostgres ? test : skipped

const openAdapters = []

/** Closes `handle` (anything with `close()`) after the test file, before its temp files go. */
function closeAfterAll(handle) {
  openAdapters.push(handle)
  return handle
}

/**
 * A RustAdapter on a new database (or on the given config's); closed after the test file.
 * `adapter.config` opens the same database again; `adapter.filename` is its SQLite file.
 */
function newAdapter(config = {}) {
  const full = config.filename || config.url ? config : storeConfig(config)
  const adapter = RustAdapter(full)
  openAdapters.push(adapter)
  return Object.assign(adapter, { config: full, filename: full.filename })
}

afterAll(async () => {
  for (const adapter of openAdapters.splice(0)) {
    await adapter.close().catch(() => {})
  }
  for (const dir of tempDirs.splice(0)) {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

/** An Auth.js-style user (as core would pass to createUser). */
function userFixture(overrides = {}) {
  return {
    id: randomUUID(),
    name: 'Fill Murray',
    email: `fill-${randomUUID()}@murray.com`,
    image: 'https://www.fillmurray.com/460/300',
    emailVerified: new Date(),
    ...overrides,
  }
}

/** An Auth.js-style OAuth account for `userId`. */
function accountFixture(userId, overrides = {}) {
  return {
    userId,
    provider: 'github',
    providerAccountId: randomUUID(),
    type: 'oauth',
    access_token: randomUUID(),
    expires_at: 2592000,
    id_token: randomUUID(),
    refresh_token: randomUUID(),
    token_type: 'bearer',
    scope: 'user',
    session_state: randomUUID(),
    ...overrides,
  }
}

/** An Auth.js-style session for `userId`, expiring in a week. */
function sessionFixture(userId, overrides = {}) {
  return {
    sessionToken: randomUUID(),
    userId,
    expires: new Date(Date.now() + 7 * 24 * 3600 * 1000),
    ...overrides,
  }
}

/** A verification token as Auth.js stores it (already hashed), expiring in 15 minutes. */
function verificationTokenFixture(overrides = {}) {
  return {
    identifier: `someone-${randomUUID()}@example.com`,
    token: require('node:crypto').createHash('sha256').update(`${randomUUID()}anything`).digest('hex'),
    expires: new Date(Date.now() + 15 * 60 * 1000),
    ...overrides,
  }
}

/** A WebAuthn authenticator for `userId`. */
function authenticatorFixture(userId, providerAccountId, overrides = {}) {
  return {
    credentialID: randomUUID(),
    userId,
    providerAccountId,
    credentialPublicKey: randomUUID(),
    counter: Math.floor(Math.random() * 100),
    credentialBackedUp: true,
    credentialDeviceType: 'platform',
    transports: 'usb,ble,nfc',
    ...overrides,
  }
}

let sqlJs
/**
 * Opens a SQLite file with sql.js (an independent SQLite, compiled to WebAssembly) and returns
 * `{ all(sql, params), get(sql, params), exec(sql), save(), close() }`. Use it on files whose
 * adapters are closed (sql.js reads the main file, not a live WAL).
 */
async function inspect(filename) {
  if (!sqlJs) sqlJs = await require('sql.js')()
  const data = fs.existsSync(filename) ? fs.readFileSync(filename) : undefined
  const db = new sqlJs.Database(data)
  return {
    all(sql, params = []) {
      const stmt = db.prepare(sql)
      stmt.bind(params)
      const rows = []
      while (stmt.step()) rows.push(stmt.getAsObject())
      stmt.free()
      return rows
    },
    get(sql, params = []) {
      return this.all(sql, params)[0] ?? null
    },
    exec(sql) {
      db.exec(sql)
    },
    /** Writes the in-memory database back to `filename`. */
    save() {
      fs.writeFileSync(filename, Buffer.from(db.export()))
    },
    close() {
      db.close()
    },
  }
}

/** Exactly what version 1 of this library created (for migration tests). */
const VERSION_1_DDL = `
CREATE TABLE users (id TEXT PRIMARY KEY NOT NULL, name TEXT, email TEXT UNIQUE, email_verified INTEGER, image TEXT, extra TEXT);
CREATE TABLE accounts (provider TEXT NOT NULL, provider_account_id TEXT NOT NULL, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, type TEXT NOT NULL, access_token TEXT, refresh_token TEXT, expires_at INTEGER, token_type TEXT, scope TEXT, id_token TEXT, session_state TEXT, extra TEXT, PRIMARY KEY (provider, provider_account_id));
CREATE INDEX accounts_user_id_idx ON accounts(user_id);
CREATE TABLE sessions (session_token TEXT PRIMARY KEY NOT NULL, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, expires INTEGER NOT NULL);
CREATE INDEX sessions_user_id_idx ON sessions(user_id);
CREATE TABLE verification_tokens (identifier TEXT NOT NULL, token TEXT NOT NULL, expires INTEGER NOT NULL, PRIMARY KEY (identifier, token)) WITHOUT ROWID;
PRAGMA user_version = 1;
`

/** What version 2 added: the authenticators table. */
const VERSION_2_DDL = `
CREATE TABLE authenticators (credential_id TEXT PRIMARY KEY NOT NULL, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, provider_account_id TEXT NOT NULL, credential_public_key TEXT NOT NULL, counter INTEGER NOT NULL, credential_device_type TEXT NOT NULL, credential_backed_up INTEGER NOT NULL, transports TEXT);
CREATE INDEX authenticators_user_id_idx ON authenticators(user_id);
PRAGMA user_version = 2;
`

/**
 * What versions 3 and 4 changed (session tokens stored as hashes, sessions WITHOUT ROWID),
 * for a file as version 4 left it; its sessions must be inserted with hashed tokens.
 */
const VERSION_4_DDL = `
ALTER TABLE sessions RENAME COLUMN session_token TO session_token_hash;
CREATE INDEX verification_tokens_expires_idx ON verification_tokens(expires);
DROP TABLE sessions;
CREATE TABLE sessions (session_token_hash TEXT PRIMARY KEY NOT NULL, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, expires INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX sessions_user_id_idx ON sessions(user_id);
CREATE INDEX sessions_expires_idx ON sessions(expires);
PRAGMA user_version = 4;
`

/**
 * Opens the database `config` names (creating and migrating it) and closes it again: the
 * adapter opens its file on its first call, so this makes one (a read of a session that does
 * not exist) before `close()`.
 */
async function openAndClose(config) {
  const adapter = RustAdapter(config)
  await adapter.getSessionAndUser('open-and-close')
  await adapter.close()
}

/** What `promise` rejected with (fails the test when it resolves). */
async function rejectionOf(promise) {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the Promise to reject')
}

/** The package's command line. */
const CLI_BIN = path.join(__dirname, '..', 'bin', 'authjs-rust-adapter.js')

/** Runs the command line as a process (no DATABASE_URL unless `env` gives one); `{ status, stdout, stderr, json }`. */
function runCli(args, env = {}) {
  const out = require('node:child_process').spawnSync(process.execPath, [CLI_BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, DATABASE_URL: '', ...env },
    timeout: 60000,
  })
  let json
  try {
    json = JSON.parse(out.stdout)
  } catch {
    json = undefined
  }
  return { status: out.status, stdout: out.stdout, stderr: out.stderr, json }
}

module.exports = {
  rejectionOf,
  runCli,
  AUTHJS_METHODS,
  openAndClose,
  closeAfterAll,
  BACKEND,
  onPostgres,
  storeConfig,
  sqliteTest,
  sqliteDescribe,
  postgresTest,
  VERSION_1_DDL,
  VERSION_2_DDL,
  VERSION_4_DDL,
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
}
