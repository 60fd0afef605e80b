#!/usr/bin/env node
'use strict'
/**
 * `node bench/import.js [--n=1000000] [--write]`: the command line's `import --from drizzle`
 * at scale. A drizzle SQLite file of N users, each with an account and a session, is written
 * by better-sqlite3 in one transaction (the peer's own fastest bulk insert, timed: the
 * baseline), then imported by `authjs-rust-adapter import` (a child process, timed, its peak
 * RSS read from the child itself) into a fresh SQLite file and, when AUTHJS_BENCH_PG_URL is
 * set, into a fresh PostgreSQL schema. Prints rows/s and peak RSS; `--write` writes
 * bench/RESULTS-import.md.
 *
 * Uses the root's devDependencies (better-sqlite3) and the addon as built at the root.
 */
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { randomUUID } = require('node:crypto')

const ROOT = path.join(__dirname, '..')
const arg = (name, fallback) => {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`))
  return hit ? hit.split('=')[1] : fallback
}
const N = Number(arg('n', 1000000))
const WRITE = process.argv.includes('--write')
const Database = require(path.join(ROOT, 'node_modules', 'better-sqlite3'))

const DDL = `
  CREATE TABLE "user" (id TEXT PRIMARY KEY NOT NULL, name TEXT, email TEXT UNIQUE, emailVerified INTEGER, image TEXT);
  CREATE TABLE account (userId TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE, type TEXT NOT NULL, provider TEXT NOT NULL,
    providerAccountId TEXT NOT NULL, refresh_token TEXT, access_token TEXT, expires_at INTEGER, token_type TEXT,
    scope TEXT, id_token TEXT, session_state TEXT, PRIMARY KEY (provider, providerAccountId));
  CREATE TABLE session (sessionToken TEXT PRIMARY KEY NOT NULL, userId TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE, expires INTEGER NOT NULL);
  CREATE TABLE verificationToken (identifier TEXT NOT NULL, token TEXT NOT NULL, expires INTEGER NOT NULL, PRIMARY KEY (identifier, token));
`

/** Writes the source with better-sqlite3 in one transaction; answers the seconds it took and the CPU seconds it used. */
function bulkInsert(file) {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('foreign_keys = ON')
  db.exec(DDL)
  const user = db.prepare('INSERT INTO "user" (id, name, email, emailVerified, image) VALUES (?, ?, ?, ?, ?)')
  const account = db.prepare(
    'INSERT INTO account (userId, type, provider, providerAccountId, access_token, expires_at, token_type, scope) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  )
  const session = db.prepare('INSERT INTO session (sessionToken, userId, expires) VALUES (?, ?, ?)')
  const expires = Date.now() + 30 * 86400000
  const started = process.hrtime.bigint()
  const cpu = process.cpuUsage()
  db.transaction(() => {
    for (let i = 0; i < N; i++) {
      const id = randomUUID()
      user.run(id, `User ${i}`, `user${i}@example.com`, 1700000000000 + i, null)
      account.run(id, 'oauth', 'github', String(i), `gho_${i}`, 1900000000, 'bearer', 'read:user')
      session.run(randomUUID(), id, expires)
    }
  })()
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const used = process.cpuUsage(cpu)
  db.close()
  return { seconds, cpu: (used.user + used.system) / 1e6 }
}

/** Runs the command line's import in a child; answers seconds, the child's CPU seconds (every thread, start-up included) and its peak RSS. */
function runImport(source, target) {
  const script = `require(${JSON.stringify(path.join(ROOT, 'lib', 'cli.js'))}).run(${JSON.stringify(['import', '--from', 'drizzle', '--source', source, ...target, '--json'])})
    .then((code) => { const u = process.resourceUsage(); process.stderr.write('RSS ' + u.maxRSS + ' CPU ' + (u.userCPUTime + u.systemCPUTime) + '\\n'); process.exitCode = code })`
  const started = process.hrtime.bigint()
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', maxBuffer: 1 << 26 })
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (out.status !== 0) throw new Error(`import failed: ${out.stdout}${out.stderr}`)
  const [, rss, cpu] = /RSS (\d+) CPU (\d+)/.exec(out.stderr)
  return { seconds, rss: Number(rss) * 1024, cpu: Number(cpu) / 1e6, result: JSON.parse(out.stdout) }
}

const mib = (bytes) => `${(bytes / 1048576).toFixed(0)} MiB`
const rate = (rows, seconds) => `${Math.round(rows / seconds).toLocaleString('en-US')} rows/s`
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(', ')

function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authjs-import-bench-'))
  try {
    const rows = 3 * N
    const source = path.join(dir, 'drizzle.sqlite')
    const before = load()
    const bulk = bulkInsert(source)
    const lines = [`better-sqlite3 bulk insert, one transaction: ${rate(rows, bulk.seconds)} (${bulk.seconds.toFixed(1)} s, ${bulk.cpu.toFixed(1)} CPU s; load ${before})`]
    const loadSqlite = load()
    const sqlite = runImport(source, ['--filename', path.join(dir, 'auth.sqlite')])
    lines.push(
      `import --from drizzle into SQLite: ${rate(rows, sqlite.seconds)} (${sqlite.seconds.toFixed(1)} s, ${sqlite.cpu.toFixed(1)} CPU s on all threads, start-up included; load ${loadSqlite}), peak RSS ${mib(sqlite.rss)}`,
      `ratio import / bulk insert, same run: ${(bulk.seconds / sqlite.seconds).toFixed(2)}x in rows per second`,
    )
    const pgUrl = process.env.AUTHJS_BENCH_PG_URL
    if (pgUrl) {
      const loadPg = load()
      const pg = runImport(source, ['--url', pgUrl, '--schema', `import_bench_${process.pid}`])
      lines.push(`import --from drizzle into PostgreSQL: ${rate(rows, pg.seconds)} (${pg.seconds.toFixed(1)} s, ${pg.cpu.toFixed(1)} CPU s of the import process, the server's not counted; load ${loadPg}), peak RSS ${mib(pg.rss)}`)
    }
    const report = [
      `# import at scale: ${N.toLocaleString('en-US')} users, each with an account and a session (${rows.toLocaleString('en-US')} rows)`,
      '',
      `Machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node.js ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
      'Command: `node bench/import.js --n=' + N + '` (the addon as built at the root).',
      '',
      ...lines.map((l) => `- ${l}`),
      '',
    ].join('\n')
    process.stdout.write(report)
    if (WRITE) fs.writeFileSync(path.join(__dirname, 'RESULTS-import.md'), report)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

main()
