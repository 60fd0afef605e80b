'use strict'
// Proven under faults and load: kill -9 in the middle of writes, and several processes on one
// file. Each test prints the figures it measured.
const path = require('node:path')
const { spawn } = require('node:child_process')
const { randomUUID } = require('node:crypto')
const Database = require('better-sqlite3')
const { RustAdapter, tempFile, verificationTokenFixture } = require('./helpers')

const fixture = (name) => path.join(__dirname, 'fixtures', name)

/** Runs the crash writer, kills it with SIGKILL after `ms`, and returns the acknowledged ids. */
function runAndKill(filename, run, ms) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture('crash-writer.js'), filename, run], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`writer ended by itself (${code}): ${err}`))
      // Only complete lines were acknowledged; a partial last line may be cut by the kill.
      resolve(out.split('\n').slice(0, -1))
    })
    // Start the clock once the writer has acknowledged its first write.
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), ms))
  })
}

/**
 * `PRAGMA integrity_check` with an independent SQLite (better-sqlite3), WAL included. Opened
 * read-write because a WAL left by a killed process may need recovery, which a read-only
 * connection cannot do.
 */
function integrity(filename) {
  const db = new Database(filename)
  try {
    return db.pragma('integrity_check', { simple: true })
  } finally {
    db.close()
  }
}

test('every acknowledged write survives kill -9, and the file stays intact (20 kills)', async () => {
  const filename = tempFile()
  const acknowledged = []
  for (let run = 0; run < 20; run++) {
    acknowledged.push(...(await runAndKill(filename, `r${run}`, 50 + Math.floor(Math.random() * 250))))
  }
  const check = integrity(filename)
  const adapter = RustAdapter({ filename, sweepInterval: 0 })
  const missing = []
  for (const id of acknowledged) if ((await adapter.getUser(id)) === null) missing.push(id)
  await adapter.close()
  console.log(
    `crash safety: 20 SIGKILLs, ${acknowledged.length} acknowledged writes, ${missing.length} lost, integrity_check: ${check}`,
  )
  expect(acknowledged.length).toBeGreaterThan(20)
  expect(missing).toEqual([])
  expect(check).toBe('ok')
}, 120_000)

function runWorker(filename, worker, durationMs, tokens) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture('mixed-load.js'), filename, worker, String(durationMs), JSON.stringify(tokens)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('error', reject)
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`worker ${worker} exited ${code}: ${err}`))
      resolve(JSON.parse(out))
    })
  })
}

describe('4 processes on one file', () => {
  let reports
  let counts
  const tokenCount = 40
  const durationMs = 2000

  beforeAll(async () => {
    const filename = tempFile()
    const setup = RustAdapter({ filename, sweepInterval: 0 })
    const tokens = []
    for (let i = 0; i < tokenCount; i++) {
      const t = verificationTokenFixture()
      await setup.createVerificationToken(t)
      tokens.push({ identifier: t.identifier, token: t.token })
    }
    await setup.close()
    reports = await Promise.all([0, 1, 2, 3].map((w) => runWorker(filename, `w${w}`, durationMs, tokens)))
    const db = new Database(filename, { readonly: true })
    counts = {
      users: db.prepare('SELECT count(*) AS n FROM users').get().n,
      sessions: db.prepare('SELECT count(*) AS n FROM sessions').get().n,
      tokens: db.prepare('SELECT count(*) AS n FROM verification_tokens').get().n,
    }
    db.close()
    const ops = reports.reduce((n, r) => n + r.ops, 0)
    console.log(
      `4 processes, ${durationMs} ms of mixed load: ${ops} operations (${Math.round(ops / (durationMs / 1000))}/s), ` +
        `${reports.reduce((n, r) => n + r.errors.length, 0)} errors, ${counts.users} users, ${counts.sessions} sessions; ` +
        `${tokenCount} tokens raced by 4 processes: ${reports.reduce((n, r) => n + r.tokensWon.length, 0)} uses won`,
    )
  }, 60_000)

  test('no SQLITE_BUSY or any other error reaches a caller', () => {
    expect(reports.flatMap((r) => r.errors)).toEqual([])
  })

  test('the final row counts are exactly what the processes acknowledged', () => {
    expect(counts.users).toBe(reports.reduce((n, r) => n + r.usersCreated, 0))
    expect(counts.sessions).toBe(reports.reduce((n, r) => n + r.liveSessions, 0))
  })

  test('each raced verification token was used exactly once', () => {
    const won = reports.flatMap((r) => r.tokensWon)
    expect(won).toHaveLength(tokenCount)
    expect(new Set(won).size).toBe(tokenCount)
    expect(counts.tokens).toBe(0)
  })
})
