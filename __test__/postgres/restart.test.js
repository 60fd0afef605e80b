'use strict'
// The database server restarts under load (a deploy, a failover): every call settles, none
// hangs past busyTimeout, and the pool reconnects without restarting Node. This file runs its
// own cluster, so restarting it disturbs no other suite.
const { RustAdapter, userFixture } = require('../helpers')
const { privateCluster } = require('./pg')

const cluster = privateCluster()
let adapter
const BUSY_TIMEOUT = 2000

beforeAll(async () => {
  const own = await cluster.start()
  adapter = RustAdapter({ url: own.url, schema: 'restart', busyTimeout: BUSY_TIMEOUT, poolSize: 4 })
  await adapter.getUser('warm-up')
}, 60000)

afterAll(async () => {
  await adapter?.close()
  await cluster.stop()
})

/** Runs `call` and reports how it settled and how long it took. */
async function timed(call) {
  const started = Date.now()
  try {
    await call()
    return { ok: true, ms: Date.now() - started }
  } catch (error) {
    return { ok: false, code: error.code, ms: Date.now() - started }
  }
}

test('calls during a restart resolve or fail with DB_UNAVAILABLE, none hangs, and the pool recovers', async () => {
  let running = true
  const outcomes = []
  const load = (async () => {
    while (running) {
      const user = userFixture()
      outcomes.push(await timed(() => adapter.createUser(user)))
      outcomes.push(await timed(() => adapter.getUser(user.id)))
    }
  })()
  const parallel = Array.from({ length: 4 }, () =>
    (async () => {
      while (running) outcomes.push(await timed(() => adapter.getUserByEmail('nobody@example.com')))
    })(),
  )
  await new Promise((resolve) => setTimeout(resolve, 300))
  await cluster.restart({ downMs: 1500 })
  await new Promise((resolve) => setTimeout(resolve, 300))
  running = false
  await Promise.all([load, ...parallel])

  const failed = outcomes.filter((o) => !o.ok)
  expect(outcomes.filter((o) => o.ok).length).toBeGreaterThan(0)
  expect(failed.length).toBeGreaterThan(0)
  for (const o of failed) expect(o.code).toBe('DB_UNAVAILABLE')
  for (const o of outcomes) expect(o.ms).toBeLessThan(BUSY_TIMEOUT + 1000)

  // Recovered: the same adapter works again without being re-created.
  const user = userFixture()
  expect(await adapter.createUser(user)).toEqual(user)
  expect(await adapter.getUser(user.id)).toEqual(user)
})

test('while the server is down calls fail with DB_UNAVAILABLE within busyTimeout; once it is back they succeed', async () => {
  await cluster.stopServer()
  try {
    const down = await Promise.all([
      timed(() => adapter.getUser('x')),
      timed(() => adapter.createUser(userFixture())),
      timed(() => adapter.getSessionAndUser('token')),
    ])
    for (const o of down) {
      expect(o).toMatchObject({ ok: false, code: 'DB_UNAVAILABLE' })
      expect(o.ms).toBeLessThan(BUSY_TIMEOUT + 1000)
    }
  } finally {
    await cluster.startServer()
  }
  const user = userFixture()
  expect(await adapter.createUser(user)).toEqual(user)
})

test('acknowledged writes survive the restart', async () => {
  const users = Array.from({ length: 20 }, () => userFixture())
  for (const user of users) await adapter.createUser(user)
  await cluster.restart()
  for (const user of users) expect(await adapter.getUser(user.id)).toEqual(user)
})
