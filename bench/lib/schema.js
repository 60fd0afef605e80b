'use strict'
/**
 * The SQL schemas of the contenders, and the connection settings every better-sqlite3
 * contender gets (the same as RustAdapter's defaults, so only the adapter layer differs).
 */

/**
 * The floor's schema: the shape RustAdapter's migrations leave (src/sqlite/schema.rs, less the
 * columns of version 5, which only RustAdapter's session listing uses), written out as the
 * final tables: since version 6 neither has an index on `expires`, so the two maintain the
 * same b-trees on every write. Session tokens are stored only as their SHA-256 hash
 * (`session_token_hash`), as RustAdapter stores them without a `secret`.
 *
 * RustAdapter's own files are never created from this text: bulk-seeded files get their
 * schema from RustAdapter itself (see seedRustFile in seed.js), so they stay exact whatever
 * src/ does.
 */
const FLOOR_SCHEMA = `
  CREATE TABLE users (
      id             TEXT PRIMARY KEY NOT NULL,
      name           TEXT,
      email          TEXT UNIQUE,
      email_verified INTEGER,
      image          TEXT,
      extra          TEXT
  );
  CREATE TABLE accounts (
      provider            TEXT NOT NULL,
      provider_account_id TEXT NOT NULL,
      user_id             TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      type                TEXT NOT NULL,
      access_token        TEXT,
      refresh_token       TEXT,
      expires_at          INTEGER,
      token_type          TEXT,
      scope               TEXT,
      id_token            TEXT,
      session_state       TEXT,
      extra               TEXT,
      PRIMARY KEY (provider, provider_account_id)
  );
  CREATE INDEX accounts_user_id_idx ON accounts(user_id);
  CREATE TABLE sessions (
      session_token_hash TEXT PRIMARY KEY NOT NULL,
      user_id            TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      expires            INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX sessions_user_id_idx ON sessions(user_id);
  CREATE TABLE verification_tokens (
      identifier TEXT NOT NULL,
      token      TEXT NOT NULL,
      expires    INTEGER NOT NULL,
      PRIMARY KEY (identifier, token)
  ) WITHOUT ROWID;
`

/**
 * The tables of bench/lib/drizzle-schema.js (the SQLite schema of the @auth/drizzle-adapter
 * docs), as `drizzle-kit push` would create them.
 */
const DRIZZLE_SCHEMA = `
  CREATE TABLE user (
      id            TEXT PRIMARY KEY NOT NULL,
      name          TEXT,
      email         TEXT,
      emailVerified INTEGER,
      image         TEXT
  );
  CREATE UNIQUE INDEX user_email_unique ON user (email);
  CREATE TABLE account (
      userId            TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
      type              TEXT NOT NULL,
      provider          TEXT NOT NULL,
      providerAccountId TEXT NOT NULL,
      refresh_token     TEXT,
      access_token      TEXT,
      expires_at        INTEGER,
      token_type        TEXT,
      scope             TEXT,
      id_token          TEXT,
      session_state     TEXT,
      PRIMARY KEY (provider, providerAccountId)
  );
  CREATE TABLE session (
      sessionToken TEXT PRIMARY KEY NOT NULL,
      userId       TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
      expires      INTEGER NOT NULL
  );
  CREATE TABLE verificationToken (
      identifier TEXT NOT NULL,
      token      TEXT NOT NULL,
      expires    INTEGER NOT NULL,
      PRIMARY KEY (identifier, token)
  );
`

/**
 * The tables @auth/kysely-adapter queries (PascalCase names, camelCase columns, dates as
 * ISO-8601 TEXT on SQLite), following the migration in its docs. One addition: a unique
 * index on Account(provider, providerAccountId), which Auth.js treats as the account's key
 * and `getUserByAccount` looks up (without it that call would scan the table).
 */
const KYSELY_SCHEMA = `
  CREATE TABLE "User" (
      id            TEXT PRIMARY KEY NOT NULL DEFAULT (lower(hex(randomblob(16)))),
      name          TEXT,
      email         TEXT UNIQUE,
      emailVerified TEXT,
      image         TEXT
  );
  CREATE TABLE "Account" (
      id                TEXT PRIMARY KEY NOT NULL DEFAULT (lower(hex(randomblob(16)))),
      userId            TEXT NOT NULL REFERENCES "User"(id) ON DELETE CASCADE,
      type              TEXT NOT NULL,
      provider          TEXT NOT NULL,
      providerAccountId TEXT NOT NULL,
      refresh_token     TEXT,
      access_token      TEXT,
      expires_at        INTEGER,
      token_type        TEXT,
      scope             TEXT,
      id_token          TEXT,
      session_state     TEXT
  );
  CREATE INDEX "Account_userId_index" ON "Account"(userId);
  CREATE UNIQUE INDEX "Account_provider_providerAccountId_key" ON "Account"(provider, providerAccountId);
  CREATE TABLE "Session" (
      id           TEXT PRIMARY KEY NOT NULL DEFAULT (lower(hex(randomblob(16)))),
      userId       TEXT NOT NULL REFERENCES "User"(id) ON DELETE CASCADE,
      sessionToken TEXT NOT NULL UNIQUE,
      expires      TEXT NOT NULL
  );
  CREATE INDEX "Session_userId_index" ON "Session"(userId);
  CREATE TABLE "VerificationToken" (
      identifier TEXT NOT NULL,
      token      TEXT NOT NULL UNIQUE,
      expires    TEXT NOT NULL
  );
`

/** RustAdapter's connection defaults (src/config.rs, src/store/sqlite/connection.rs). */
const RUST_DEFAULTS = { synchronous: 'full', cacheSizeKib: 16384, busyTimeoutMs: 5000 }

/**
 * Opens a better-sqlite3 connection the way RustAdapter opens its own: WAL, the given
 * `synchronous` (RustAdapter's default FULL unless the run says otherwise), foreign keys on,
 * the same 16 MiB page cache, busy timeout and in-memory temp store. `secureDelete` (on in
 * RustAdapter) is given to the floor only: the ORM adapters do not ask for it.
 */
function openBetterSqlite(
  Database,
  filename,
  { synchronous = RUST_DEFAULTS.synchronous, secureDelete = false } = {},
) {
  // On a Node.js other than the one bench/node_modules was built for (`--node=24`), run.js
  // builds better-sqlite3's addon for that Node.js and names it here.
  const nativeBinding = process.env.BENCH_BETTER_SQLITE3_BINDING || undefined
  const db = new Database(filename, { timeout: RUST_DEFAULTS.busyTimeoutMs, nativeBinding })
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${synchronous.toUpperCase()}`)
  db.pragma('foreign_keys = ON')
  db.pragma(`cache_size = -${RUST_DEFAULTS.cacheSizeKib}`)
  db.pragma('temp_store = MEMORY')
  if (secureDelete) db.pragma('secure_delete = ON')
  return db
}

/** Whether this Node.js has the built-in `node:sqlite` (22.5 and later; not Node 20). */
function hasNodeSqlite() {
  try {
    require('node:sqlite')
    return true
  } catch {
    return false
  }
}

/**
 * Opens a `node:sqlite` DatabaseSync connection with exactly the settings openBetterSqlite gives
 * the floor (WAL, `synchronous`, foreign keys, 16 MiB page cache, busy timeout, in-memory temp
 * store, secure_delete). Its statements have the `get` / `run` of better-sqlite3's, so the floor
 * adapter (floor.js) runs on it unchanged.
 */
function openNodeSqlite(filename, { synchronous = RUST_DEFAULTS.synchronous } = {}) {
  const { DatabaseSync } = require('node:sqlite')
  const db = new DatabaseSync(filename)
  db.exec(`PRAGMA busy_timeout = ${RUST_DEFAULTS.busyTimeoutMs}`)
  db.exec('PRAGMA journal_mode = WAL')
  db.exec(`PRAGMA synchronous = ${synchronous.toUpperCase()}`)
  db.exec('PRAGMA foreign_keys = ON')
  db.exec(`PRAGMA cache_size = -${RUST_DEFAULTS.cacheSizeKib}`)
  db.exec('PRAGMA temp_store = MEMORY')
  db.exec('PRAGMA secure_delete = ON')
  return db
}

module.exports = { hasNodeSqlite, openNodeSqlite, FLOOR_SCHEMA, DRIZZLE_SCHEMA, KYSELY_SCHEMA, RUST_DEFAULTS, openBetterSqlite }
