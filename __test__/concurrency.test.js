'use strict'
// Concurrency: many calls in flight in one process (group commit), several processes on one
// file, and acknowledged writes surviving SIGKILL.
const fs = require('node:fs')
const path = require('node:path')
const { spawn } = require('node:child_process')
const { randomUUID } = require('node:crypto')
const Database = require('better-sqlite3')
const {
  RustAdapter,
  sqliteDescribe,
  sqliteTest,
  tempFile,
  newAdapter,
  userFixture,
  sessionFixture,
  verificationTokenFixture,
  inspect,
  openAndClose,
} = require('./helpers')

const fixture = (name) => path.join(__dirname, 'fixtures', name)
const CHILD_TIMEOUT_MS = 5000

/**
 * Runs `sql` on `filename` in another process (better-sqlite3, no busy wait), synchronously:
 * this thread, and so the adapter's event loop, is blocked meanwhile. Returns what `pragma`
 * (if given) answered there. POSIX locks never conflict inside one process, so lock behaviour
 * needs another one.
 */
function inAnotherProcess(filename, sql, pragma = null) {
  const script = `const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))})
    const db = new Database(${JSON.stringify(filename)}, { timeout: 0 })
    db.exec(${JSON.stringify(sql)})
    console.log(JSON.stringify(${pragma ? `db.pragma(${JSON.stringify(pragma)})` : 'null'}))`
  const child = require('node:child_process').spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 })
  expect(child.stderr).toBe('')
  return JSON.parse(child.stdout)
}

/**
 * Starts a fixture script that prints "ready" once its adapter is open and waits for a line on
 * stdin before doing its work. Resolves with `{ ready, done }`: `ready` settles when the child is
 * ready, `done` with the JSON it printed after "ready" once it exits with code 0.
 */
function startChild(script, args) {
  const child = spawn(process.execPath, [fixture(script), ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  let markReady
  const ready = new Promise((resolve) => (markReady = resolve))
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS)
  child.stdout.on('data', (chunk) => {
    out += chunk
    if (out.startsWith('ready\n')) markReady()
  })
  child.stderr.on('data', (chunk) => (err += chunk))
  const done = new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      markReady() // never leave the parent waiting on a child that died early
      if (code !== 0) return reject(new Error(`${script} exited with ${code ?? signal}: ${err}${out}`))
      const body = out.startsWith('ready\n') ? out.slice('ready\n'.length) : out
      try {
        resolve(JSON.parse(body))
      } catch {
        reject(new Error(`${script} printed no JSON report: ${JSON.stringify(out)} ${err}`))
      }
    })
  })
  return { ready, done, go: () => child.stdin.end('go\n') }
}

/** Starts all children, waits until every one has its adapter open, then lets them go at once. */
async function runTogether(children) {
  await Promise.all(children.map((c) => c.ready))
  for (const c of children) c.go()
  return Promise.all(children.map((c) => c.done))
}

/**
 * How many transactions have committed into the WAL of `filename` since it was last reset: the
 * frames whose header carries a database size (a commit frame). Read from the file itself, so it
 * counts what SQLite really did.
 */
function walCommits(filename) {
  const wal = fs.readFileSync(`${filename}-wal`)
  if (wal.length < 32) return 0
  const pageSize = wal.readUInt32BE(8)
  let commits = 0
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    if (wal.readUInt32BE(at + 4) !== 0) commits++
  }
  return commits
}

sqliteDescribe('group commit', () => {
  test('64 writes issued together share a few transactions', async () => {
    const filename = tempFile()
    const adapter = RustAdapter({ filename, sweepInterval: 0 })
    const user = await adapter.createUser(userFixture())
    const before = walCommits(filename)
    await Promise.all(Array.from({ length: 64 }, () => adapter.createSession(sessionFixture(user.id))))
    const commits = walCommits(filename) - before
    // How many batches form depends on how far the writer thread gets while this thread is
    // still handing it writes (a loaded machine: more, smaller batches; 10 seen with two Jest
    // runs side by side); without group commit it would be 64.
    expect(commits).toBeGreaterThanOrEqual(1)
    expect(commits).toBeLessThanOrEqual(16)
    await adapter.close()
  })

  test('writes awaited one after another each commit on their own', async () => {
    const filename = tempFile()
    const adapter = RustAdapter({ filename, sweepInterval: 0 })
    const user = await adapter.createUser(userFixture())
    const before = walCommits(filename)
    for (let i = 0; i < 10; i++) await adapter.createSession(sessionFixture(user.id))
    expect(walCommits(filename) - before).toBe(10)
    await adapter.close()
  })

  test('callers woken by one group commit write again together', async () => {
    const filename = tempFile()
    const adapter = RustAdapter({ filename, sweepInterval: 0 })
    const user = await adapter.createUser(userFixture())
    const before = walCommits(filename)
    // 32 callers, each writing 3 times in a row: 96 writes in waves of up to 32.
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let i = 0; i < 3; i++) await adapter.createSession(sessionFixture(user.id))
      }),
    )
    expect(walCommits(filename) - before).toBeLessThanOrEqual(24)
    await adapter.close()
  })
})

sqliteDescribe('reads issued together', () => {
  test('reads in one turn of the event loop see another connection\'s commits made during the turn', async () => {
    const filename = tempFile()
    const adapter = RustAdapter({ filename, sweepInterval: 0 })
    const user = await adapter.createUser(userFixture({ name: 'v0' }))
    const other = new Database(filename)
    const rename = other.prepare('UPDATE users SET name = ? WHERE id = ?')

    // Issued together, before and after a commit by another connection (synchronous, mid-turn).
    const before = [adapter.getUser(user.id), adapter.getUser(user.id)]
    rename.run('v1', user.id)
    const after = [adapter.getUser(user.id), adapter.getUserByEmail(user.email)]
    expect((await Promise.all(before)).map((u) => u.name)).toEqual(['v0', 'v0'])
    expect((await Promise.all(after)).map((u) => u.name)).toEqual(['v1', 'v1'])

    // One after another, without leaving the turn (each await takes a microtask only).
    for (let i = 2; i < 12; i++) {
      rename.run(`v${i}`, user.id)
      expect((await adapter.getUser(user.id)).name).toBe(`v${i}`)
      expect((await adapter.getUserByEmail(user.email)).name).toBe(`v${i}`)
    }
    other.close()
    await adapter.close()
  })

  test('another connection deleting a session is seen by the next read of the same turn', async () => {
    const filename = tempFile()
    const adapter = RustAdapter({ filename, sweepInterval: 0 })
    const user = await adapter.createUser(userFixture())
    const session = await adapter.createSession(sessionFixture(user.id))
    const other = new Database(filename)
    expect(await adapter.getSessionAndUser(session.sessionToken)).not.toBeNull()
    expect(await adapter.getSessionAndUser(session.sessionToken)).not.toBeNull()
    other.prepare('DELETE FROM sessions').run()
    expect(await adapter.getSessionAndUser(session.sessionToken)).toBeNull()
    other.close()
    await adapter.close()
  })

  test('reads one event-loop turn apart see another connection\'s commit made between them', async () => {
    const filename = tempFile()
    const adapter = RustAdapter({ filename, sweepInterval: 0 })
    const user = await adapter.createUser(userFixture())
    const session = await adapter.createSession(sessionFixture(user.id))
    const other = new Database(filename)
    const rename = other.prepare('UPDATE users SET name = ? WHERE id = ?')
    for (let i = 0; i < 10; i++) {
      // Each read in its own turn, as a server's requests arrive, well inside one snapshot lease.
      await new Promise((resolve) => setImmediate(resolve))
      rename.run(`turn ${i}`, user.id)
      expect((await adapter.getSessionAndUser(session.sessionToken)).user.name).toBe(`turn ${i}`)
    }
    other.prepare('DELETE FROM sessions').run()
    await new Promise((resolve) => setImmediate(resolve))
    expect(await adapter.getSessionAndUser(session.sessionToken)).toBeNull()
    other.close()
    await adapter.close()
  })

  test('a session another process deletes while the event loop is blocked is not served by the next read', async () => {
    const filename = tempFile()
    const adapter = RustAdapter({ filename, sweepInterval: 0 })
    const user = await adapter.createUser(userFixture())
    const session = await adapter.createSession(sessionFixture(user.id))
    expect(await adapter.getSessionAndUser(session.sessionToken)).not.toBeNull()
    // spawnSync blocks this thread, so the snapshot the first read began is still leased
    // when the second read runs: only the file's WAL-index can tell it is stale.
    inAnotherProcess(filename, 'DELETE FROM sessions')
    expect(await adapter.getSessionAndUser(session.sessionToken)).toBeNull()
    await adapter.close()
  })

  test('an idle adapter holds no read snapshot: another connection can checkpoint and truncate the WAL', async () => {
    const filename = tempFile()
    const adapter = RustAdapter({ filename, sweepInterval: 0 })
    const user = await adapter.createUser(userFixture())
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setImmediate(resolve))
      await adapter.getUser(user.id)
    }
    // The lease is a few milliseconds. After it, a commit by another connection leaves no
    // older snapshot of ours behind to hold back a TRUNCATE checkpoint.
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(inAnotherProcess(filename, "UPDATE users SET name = 'renamed'", 'wal_checkpoint(TRUNCATE)')).toEqual([
      { busy: 0, log: 0, checkpointed: 0 },
    ])
    expect((await adapter.getUser(user.id)).name).toBe('renamed')
    await adapter.close()
  })

  test('under Jest\'s fake timers, reads still settle and their snapshot is still let go', async () => {
    const filename = tempFile()
    const adapter = RustAdapter({ filename, sweepInterval: 0 })
    const user = await adapter.createUser(userFixture())
    jest.useFakeTimers()
    try {
      for (let i = 0; i < 5; i++) expect((await adapter.getUser(user.id)).id).toBe(user.id)
      // Real time passes (node:timers is not faked); the lease's timer is a real one too.
      await new Promise((resolve) => require('node:timers').setTimeout(resolve, 100))
    } finally {
      jest.useRealTimers()
    }
    expect(inAnotherProcess(filename, "UPDATE users SET name = 'renamed'", 'wal_checkpoint(TRUNCATE)')).toEqual([
      { busy: 0, log: 0, checkpointed: 0 },
    ])
    await adapter.close()
  })

  test('close() right after reads that shared a snapshot still folds the WAL into the file', async () => {
    const filename = tempFile()
    const adapter = RustAdapter({ filename, sweepInterval: 0 })
    const user = await adapter.createUser(userFixture())
    await Promise.all([adapter.getUser(user.id), adapter.getUser(user.id), adapter.getUser(user.id)])
    await adapter.close()
    expect(fs.existsSync(`${filename}-wal`) ? fs.statSync(`${filename}-wal`).size : 0).toBe(0)
    const db = await inspect(filename)
    expect(db.get('SELECT id FROM users WHERE id = ?', [user.id])).not.toBeNull()
    db.close()
  })

  test('with 64 callers reading and writing at once, every read sees the writes answered before it', async () => {
    const adapter = newAdapter({ sweepInterval: 0 })
    const users = await Promise.all(Array.from({ length: 64 }, (_, i) => adapter.createUser(userFixture({ name: 'v0' }))))
    await Promise.all(
      users.map(async (user, i) => {
        for (let round = 1; round <= 6; round++) {
          const name = `v${round}`
          // Half the callers write alone between reads, half in waves with the others.
          if (i % 2 === 0) await adapter.updateUser({ id: user.id, name })
          else await Promise.all([adapter.updateUser({ id: user.id, name }), adapter.getUser(users[(i + 1) % 64].id)])
          const [mine, again] = await Promise.all([adapter.getUser(user.id), adapter.getUserByEmail(user.email)])
          expect(mine.name).toBe(name)
          expect(again.name).toBe(name)
        }
      }),
    )
    await adapter.close()
  })

  test('a write issued while reads share a snapshot commits, and later reads see it', async () => {
    const filename = tempFile()
    const adapter = RustAdapter({ filename, sweepInterval: 0 })
    const user = await adapter.createUser(userFixture())
    const reads = [adapter.getUser(user.id), adapter.getUser(user.id)]
    const written = adapter.updateUser({ id: user.id, name: 'renamed' })
    reads.push(adapter.getUser(user.id))
    await Promise.all(reads)
    expect((await written).name).toBe('renamed')
    expect((await adapter.getUser(user.id)).name).toBe('renamed')
    await adapter.close()
    const db = await inspect(filename)
    expect(db.get('SELECT name FROM users WHERE id = ?', [user.id]).name).toBe('renamed')
    db.close()
  })
})

describe('in one process', () => {
  test('200 concurrent useVerificationToken calls on one token: exactly one gets it', async () => {
    const adapter = newAdapter()
    const token = verificationTokenFixture()
    await adapter.createVerificationToken(token)
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, () => adapter.useVerificationToken({ identifier: token.identifier, token: token.token })),
    )
    expect(results.filter((r) => r.status === 'rejected')).toEqual([])
    const winners = results.filter((r) => r.value !== null)
    expect(winners).toHaveLength(1)
    expect(winners[0].value.token).toBe(token.token)
  })

  test('200 concurrent useVerificationToken calls from two adapters on one database: exactly one gets it', async () => {
    const a = newAdapter()
    const b = newAdapter(a.config)
    const token = verificationTokenFixture()
    await a.createVerificationToken(token)
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).useVerificationToken(token)),
    )
    expect(results.filter((r) => r.status === 'rejected')).toEqual([])
    expect(results.filter((r) => r.value !== null)).toHaveLength(1)
  })

  sqliteTest('100 concurrent createUser calls are all committed', async () => {
    const filename = tempFile()
    const adapter = RustAdapter({ filename })
    const users = Array.from({ length: 100 }, () => userFixture())
    const results = await Promise.allSettled(users.map((u) => adapter.createUser(u)))
    expect(results.filter((r) => r.status === 'rejected')).toEqual([])
    await adapter.close()
    const file = await inspect(filename)
    try {
      expect(file.get('SELECT count(*) AS n FROM users').n).toBe(100)
    } finally {
      file.close()
    }
  })

  test('one failing createUser (duplicate email) in a concurrent batch does not undo its neighbours', async () => {
    const adapter = newAdapter()
    const existing = await adapter.createUser(userFixture())
    const users = Array.from({ length: 100 }, () => userFixture())
    users[50] = userFixture({ email: existing.email })
    const results = await Promise.allSettled(users.map((u) => adapter.createUser(u)))

    const rejected = results.map((r, i) => [r, i]).filter(([r]) => r.status === 'rejected')
    expect(rejected.map(([, i]) => i)).toEqual([50])
    expect(rejected[0][0].reason.code).toBe('UNIQUE_VIOLATION')
    expect(rejected[0][0].reason.message).toContain('user.email')

    const missing = []
    for (const [i, u] of users.entries()) if (i !== 50 && (await adapter.getUser(u.id)) === null) missing.push(u.id)
    expect(missing).toEqual([])
    expect(await adapter.getUser(users[50].id)).toBeNull()
    expect(await adapter.getUserByEmail(existing.email)).toEqual(existing)
  })

  test('failing writes of different kinds in one concurrent batch each fail alone', async () => {
    const adapter = newAdapter()
    const owner = await adapter.createUser(userFixture())
    const ok = Array.from({ length: 30 }, () => userFixture())
    const calls = [
      ...ok.slice(0, 10).map((u) => adapter.createUser(u)),
      adapter.createUser(userFixture({ id: owner.id })), // duplicate id
      ...ok.slice(10, 20).map((u) => adapter.createUser(u)),
      adapter.createSession({ sessionToken: randomUUID(), userId: 'nobody', expires: new Date(Date.now() + 1e6) }), // FK
      ...ok.slice(20).map((u) => adapter.createUser(u)),
    ]
    const results = await Promise.allSettled(calls)
    const codes = results.filter((r) => r.status === 'rejected').map((r) => r.reason.code)
    expect(codes.sort()).toEqual(['NOT_FOUND', 'UNIQUE_VIOLATION'])
    for (const u of ok) expect((await adapter.getUser(u.id))?.id).toBe(u.id)
  })
})

sqliteDescribe('several processes on one file', () => {
  test('4 processes racing on 20 verification tokens use each token exactly once, with no errors', async () => {
    const filename = tempFile()
    const setup = RustAdapter({ filename })
    const tokens = Array.from({ length: 20 }, () => verificationTokenFixture())
    for (const t of tokens) await setup.createVerificationToken(t)
    await setup.close()

    const keys = JSON.stringify(tokens.map(({ identifier, token }) => ({ identifier, token })))
    const reports = await runTogether(Array.from({ length: 4 }, () => startChild('token-racer.js', [filename, keys])))

    expect(reports.flatMap((r) => r.errors)).toEqual([])
    const won = reports.flatMap((r) => r.won)
    expect(won.slice().sort()).toEqual(tokens.map((t) => t.token).sort())
  }, 20_000)

  test('after the cross-process race no verification token is left to use', async () => {
    const filename = tempFile()
    const setup = RustAdapter({ filename })
    const tokens = Array.from({ length: 20 }, () => verificationTokenFixture())
    for (const t of tokens) await setup.createVerificationToken(t)
    await setup.close()

    const keys = JSON.stringify(tokens.map(({ identifier, token }) => ({ identifier, token })))
    await runTogether(Array.from({ length: 4 }, () => startChild('token-racer.js', [filename, keys])))

    const file = await inspect(filename)
    try {
      expect(file.get('SELECT count(*) AS n FROM verification_tokens').n).toBe(0)
    } finally {
      file.close()
    }
  }, 20_000)

  test('2 processes creating 100 users each leave exactly 200 users', async () => {
    const filename = tempFile()
    await openAndClose({ filename }) // create the schema before the race
    const reports = await runTogether([
      startChild('user-writer.js', [filename, 'p1', '100']),
      startChild('user-writer.js', [filename, 'p2', '100']),
    ])
    expect(reports.flatMap((r) => r.errors)).toEqual([])
    expect(reports.map((r) => r.created)).toEqual([100, 100])

    const adapter = RustAdapter({ filename })
    const missing = []
    for (const worker of ['p1', 'p2']) {
      for (let i = 0; i < 100; i++) if ((await adapter.getUser(`${worker}-${i}`)) === null) missing.push(`${worker}-${i}`)
    }
    await adapter.close()
    expect(missing).toEqual([])
    const file = await inspect(filename)
    try {
      expect(file.get('SELECT count(*) AS n FROM users').n).toBe(200)
    } finally {
      file.close()
    }
  }, 20_000)

  test('2 processes opening a brand-new file at the same moment both work', async () => {
    const filename = tempFile()
    // No schema yet: both children create and migrate the file concurrently.
    const reports = await runTogether([
      startChild('user-writer.js', [filename, 'q1', '10']),
      startChild('user-writer.js', [filename, 'q2', '10']),
    ])
    expect(reports.flatMap((r) => r.errors)).toEqual([])
    const file = await inspect(filename)
    try {
      expect(file.get('SELECT count(*) AS n FROM users').n).toBe(20)
    } finally {
      file.close()
    }
  }, 20_000)
})

sqliteDescribe('durability under SIGKILL', () => {
  /**
   * Runs the acknowledged-writer child on `filename`, SIGKILLs it about 300 ms after its first
   * acknowledgement, and resolves with every id it printed as a complete line.
   */
  function writeThenKill(filename, prefix, mode = 'together') {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [fixture('acknowledged-writer.js'), filename, prefix, mode], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let out = ''
      let err = ''
      const guard = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS)
      child.stdout.on('data', (chunk) => (out += chunk))
      child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), 300))
      child.stderr.on('data', (chunk) => (err += chunk))
      child.on('error', reject)
      child.on('exit', (code, signal) => {
        clearTimeout(guard)
        if (signal !== 'SIGKILL') return reject(new Error(`writer stopped by itself (${code}): ${err}`))
        // A line cut short by the kill was not acknowledged.
        resolve(out.split('\n').slice(0, -1))
      })
    })
  }

  const filename = tempFile()

  test.each([1, 2, 3])('every id acknowledged before SIGKILL is in the file (kill %i)', async (run) => {
    const acknowledged = await writeThenKill(filename, `run${run}`)
    expect(acknowledged.length).toBeGreaterThan(0)
    const adapter = RustAdapter({ filename })
    const missing = []
    for (const id of acknowledged) if ((await adapter.getUser(id)) === null) missing.push(id)
    await adapter.close()
    expect(missing).toEqual([])
  }, 15_000)

  test.each([1, 2])(
    'every session created alone (inline, one autocommit statement) and acknowledged before SIGKILL is in the file (kill %i)',
    async (run) => {
      const acknowledged = await writeThenKill(filename, `alone${run}`, 'alone')
      expect(acknowledged.length).toBeGreaterThan(0)
      const adapter = RustAdapter({ filename })
      const missing = []
      for (const token of acknowledged) if ((await adapter.getSessionAndUser(token)) === null) missing.push(token)
      await adapter.close()
      expect(missing).toEqual([])
    },
    15_000,
  )

  test('after the kills, opening and closing once leaves a file that passes integrity_check', async () => {
    const killed = await writeThenKill(filename, 'final')
    expect(killed.length).toBeGreaterThan(0)
    await openAndClose({ filename }) // recovers and checkpoints the WAL
    expect(fs.existsSync(`${filename}-wal`)).toBe(false)
    const file = await inspect(filename)
    try {
      expect(file.all('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }])
      expect(file.all('PRAGMA foreign_key_check')).toEqual([])
    } finally {
      file.close()
    }
  }, 15_000)
})
