'use strict'
/**
 * The bulk path for large files: fills a RustAdapter file directly with better-sqlite3, in
 * big transactions, instead of a million adapter calls. RustAdapter creates the (empty)
 * schema itself first, so the tables are exactly its own at whatever version src/ is; the
 * rows are then written the way RustAdapter writes them (dates as integer ms, session
 * tokens as their hex SHA-256 when the schema stores hashes). The floor reads the same file,
 * since it uses the same schema shape.
 */

const fs = require('node:fs')
const data = require('./data.js')
const { tokenHash } = require('./floor.js')
const { CONTENDERS } = require('./contenders.js')

const BATCH = 50000

async function seedRustFile(filename, n, log = () => {}) {
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(filename + suffix, { force: true })
  // RustAdapter creates its schema on first open; close() checkpoints and removes the WAL.
  const { close } = await CONTENDERS.rust.open(filename, { synchronous: 'normal' })
  await close()

  const Database = require('better-sqlite3')
  // On another Node.js (--node=24) the children load the addon built for it (node-versions.js).
  const db = new Database(filename, { nativeBinding: process.env.BENCH_BETTER_SQLITE3_BINDING || undefined })
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = OFF')
  db.pragma('cache_size = -1048576') // 1 GiB while loading: the indexes take random inserts.
  const sessionColumns = db.prepare('PRAGMA table_info(sessions)').all().map((c) => c.name)
  const hashed = sessionColumns.includes('session_token_hash')
  const tokenColumn = hashed ? 'session_token_hash' : 'session_token'

  const insertUser = db.prepare(
    'INSERT INTO users (id, name, email, email_verified, image) VALUES (?, ?, ?, ?, ?)',
  )
  const insertAccount = db.prepare(
    `INSERT INTO accounts (provider, provider_account_id, user_id, type, access_token, token_type, scope)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  )
  const insertSession = db.prepare(
    `INSERT INTO sessions (${tokenColumn}, user_id, expires) VALUES (?, ?, ?)`,
  )
  const insertBatch = db.transaction((from, to) => {
    for (let i = from; i < to; i++) {
      const u = data.user(i)
      insertUser.run(u.id, u.name, u.email, u.emailVerified ? u.emailVerified.getTime() : null, u.image)
      const a = data.account(i, u.id)
      insertAccount.run(a.provider, a.providerAccountId, a.userId, a.type, a.access_token, a.token_type, a.scope)
      const s = data.session(i, u.id)
      insertSession.run(hashed ? tokenHash(s.sessionToken) : s.sessionToken, s.userId, s.expires.getTime())
    }
  })
  for (let from = 0; from < n; from += BATCH) {
    insertBatch(from, Math.min(n, from + BATCH))
    if (n > BATCH) log(`  seeded ${Math.min(n, from + BATCH)} / ${n} users`)
  }
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()
  return { hashed, bytes: fs.statSync(filename).size }
}

module.exports = { seedRustFile }
