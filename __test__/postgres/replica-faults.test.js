'use strict'
// Replicas while the hub is away: this suite stops its own PostgreSQL in the middle of a load
// on 3 replicas (live, in this process) and starts it again.
const { randomUUID } = require('node:crypto')
const { RustAdapter, userFixture, verificationTokenFixture } = require('../helpers')
const { privateCluster, newReplica, psqlAt, psqlLater, startReplica } = require('./pg')

const cluster = privateCluster()
let own
let hub
let replicas

const hubConfig = () => ({ url: own.url, schema: 'faults' })
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

beforeAll(async () => {
  own = await cluster.start()
  hub = RustAdapter({ ...hubConfig(), sweepInterval: 0, busyTimeout: 2000 })
  await hub.getUser('migrate-first')
  replicas = [0, 1, 2].map(() => newReplica(hubConfig(), { busyTimeout: 1000 }))
  for (const replica of replicas) {
    const reg = await replica.device.register()
    await replica.live(reg.endpoints)
  }
}, 60000)

afterAll(async () => {
  for (const replica of replicas ?? []) await replica.close().catch(() => {})
  await hub?.close().catch(() => {})
  await cluster.stop()
})

/** How many rows each table holds on the hub. */
const hubCounts = () =>
  Object.fromEntries(
    ['users', 'sessions'].map((t) => [t, Number(psqlAt(own.url, `SELECT count(*) FROM faults.${t}`))]),
  )

test('with the hub stopped mid-load: reads go on, global writes fail closed, deferrable writes queue and replay', async () => {
  const [a, b, c] = replicas
  // Load while the hub is up: every acknowledged write is remembered.
  const acknowledged = []
  for (let i = 0; i < 20; i++) {
    const user = await a.database.createUser(userFixture())
    const session = await b.database.createSession({ sessionToken: randomUUID(), userId: user.id, expires: new Date(Date.now() + 3600e3) })
    acknowledged.push({ user, session })
  }
  // Every replica has caught up (live) before the hub goes away.
  for (const replica of replicas) await replica.pull()

  const extended = new Date(Date.now() + 7 * 24 * 3600e3)
  await cluster.stopServer()
  try {
    // Reads keep working from each replica's file.
    for (const replica of replicas) {
      for (const { user, session } of acknowledged.slice(0, 5)) {
        expect((await replica.database.getSessionAndUser(session.sessionToken)).user.id).toBe(user.id)
      }
    }
    // Writes that need the hub's decision fail closed.
    const { user } = acknowledged[0]
    await expect(a.database.createUser(userFixture())).rejects.toMatchObject({ code: 'DB_UNAVAILABLE' })
    await expect(a.database.createSession({ sessionToken: randomUUID(), userId: user.id, expires: new Date() })).rejects.toMatchObject({
      code: 'DB_UNAVAILABLE',
    })
    await expect(b.database.useVerificationToken(verificationTokenFixture())).rejects.toMatchObject({ code: 'DB_UNAVAILABLE' })
    await expect(c.database.linkAccount({ userId: user.id, type: 'oauth', provider: 'x', providerAccountId: 'y' })).rejects.toMatchObject({
      code: 'DB_UNAVAILABLE',
    })
    // Writes that can wait are applied locally and queued.
    const queued = await a.database.updateSession({ sessionToken: acknowledged[1].session.sessionToken, expires: extended })
    expect(queued.expires).toEqual(extended)
    expect((await a.database.updateUser({ id: acknowledged[2].user.id, name: 'Renamed offline' })).name).toBe('Renamed offline')
    expect(await c.database.deleteSession(acknowledged[3].session.sessionToken)).not.toBeNull()
    expect(await c.database.getSessionAndUser(acknowledged[3].session.sessionToken)).toBeNull()
    // Registering needs the hub: it answers undefined while the hub is away.
    expect(await b.device.register()).toBeUndefined()
    // flush cannot finish while the hub is away.
    await expect(a.flush()).rejects.toMatchObject({ code: 'DB_UNAVAILABLE' })
  } finally {
    await cluster.startServer()
  }

  // The hub is back: queued writes replay (live pushes them; flush waits for it).
  await a.flush()
  await c.flush()
  const onHub = RustAdapter({ ...hubConfig(), sweepInterval: 0 })
  try {
    expect((await onHub.getSessionAndUser(acknowledged[1].session.sessionToken)).session.expires).toEqual(extended)
    expect((await onHub.getUser(acknowledged[2].user.id)).name).toBe('Renamed offline')
    expect(await onHub.getSessionAndUser(acknowledged[3].session.sessionToken)).toBeNull()
    // Nothing acknowledged was lost.
    for (const { user, session } of acknowledged.filter((_, i) => i !== 3)) {
      expect((await onHub.getSessionAndUser(session.sessionToken)).user.id).toBe(user.id)
    }
  } finally {
    await onHub.close()
  }

  // Replaying again changes nothing (each queued write ran once).
  expect(Number(psqlAt(own.url, 'SELECT count(*) FROM faults.applied_ops'))).toBe(3)
  await a.push()
  await c.push()
  expect(Number(psqlAt(own.url, 'SELECT count(*) FROM faults.applied_ops'))).toBe(3)

  // Row counts agree on the hub and every replica once they have pulled.
  const expected = hubCounts()
  for (const replica of replicas) {
    await replica.pull()
    const file = new (require('better-sqlite3'))(replica.file, { readonly: true })
    try {
      expect({
        users: file.prepare('SELECT count(*) AS n FROM users').get().n,
        sessions: file.prepare('SELECT count(*) AS n FROM sessions').get().n,
      }).toEqual(expected)
    } finally {
      file.close()
    }
  }
  expect(expected).toEqual({ users: 20, sessions: 19 })
})

test('a load on 3 replica processes running through a hub stop and restart: reads never fail, writes settle, live pushes the queue, nothing acknowledged is lost', async () => {
  const processes = [0, 1, 2].map(() => startReplica(hubConfig()))
  try {
    for (const p of processes) expect(await p.ready).toEqual({ id: 0, ready: true, registered: true })
    const owned = []
    for (const p of processes) {
      const user = (await p.send({ op: 'call', method: 'createUser', args: [userFixture()] })).value
      const session = { sessionToken: randomUUID(), userId: user.id, expires: new Date(Date.now() + 3600e3) }
      expect((await p.send({ op: 'call', method: 'createSession', args: [session] })).code).toBeUndefined()
      owned.push({ p, session })
    }
    let running = true
    const problems = []
    const createdUsers = []
    const lastExpiry = new Map()
    const counts = { reads: 0, extensions: 0, refused: 0 }
    const loops = owned.map(({ p, session }) =>
      (async () => {
        for (let i = 1; running; i++) {
          const read = await p.send({ op: 'call', method: 'getSessionAndUser', args: [session.sessionToken] })
          if (read.code || !read.value) problems.push(`read: ${read.code ?? 'null'}`)
          else counts.reads++
          const expires = new Date(Date.now() + 3600e3 + i * 1000)
          const extended = await p.send({ op: 'call', method: 'updateSession', args: [{ sessionToken: session.sessionToken, expires }] })
          if (extended.code) problems.push(`updateSession: ${extended.code}`)
          else {
            lastExpiry.set(session.sessionToken, expires)
            counts.extensions++
          }
          const created = await p.send({ op: 'call', method: 'createUser', args: [userFixture()] })
          if (created.code === 'DB_UNAVAILABLE') counts.refused++
          else if (created.code) problems.push(`createUser: ${created.code}`)
          else createdUsers.push(created.value)
          await sleep(5)
        }
      })(),
    )
    await sleep(300)
    await cluster.stopServer()
    await sleep(1500)
    await cluster.startServer()
    // No push or flush from the test: live pushes the queued writes once the hub is back.
    const onHub = RustAdapter({ ...hubConfig(), sweepInterval: 0 })
    try {
      const caughtUp = async () => {
        for (const [token, expires] of lastExpiry) {
          const row = await onHub.getSessionAndUser(token).catch(() => null)
          if (!row || row.session.expires.getTime() < expires.getTime() - 60e3) return false
        }
        return true
      }
      const until = Date.now() + 15000
      while (!(await caughtUp()) && Date.now() < until) await sleep(100)
      running = false
      await Promise.all(loops)
      for (const p of processes) expect(await p.send({ op: 'flush' })).toEqual(expect.not.objectContaining({ code: expect.anything() }))
      expect(problems).toEqual([])
      expect(counts.refused).toBeGreaterThan(0)
      // Every acknowledged write is on the hub: each user, and each session's last expiry.
      for (const user of createdUsers) expect((await onHub.getUser(user.id)).email).toBe(user.email)
      for (const [token, expires] of lastExpiry) expect((await onHub.getSessionAndUser(token)).session.expires).toEqual(expires)
    } finally {
      running = false
      await Promise.all(loops)
      await onHub.close()
    }
    console.log(
      `hub stopped under load on 3 replica processes: ${counts.reads} reads, 0 failed; ${counts.extensions} session extensions ` +
        `acknowledged (queued while the hub was away, replayed by live); ${createdUsers.length} users created, ${counts.refused} refused with DB_UNAVAILABLE`,
    )
  } finally {
    await Promise.all(processes.map((p) => p.send({ op: 'close' }).catch(() => {})))
  }
})

test('live catches up after the hub restarts: a change made while a replica was cut off arrives by itself', async () => {
  const b = replicas[1]
  await cluster.restart({ downMs: 500 })
  const user = await hub.createUser(userFixture()).catch(async () => {
    await sleep(500)
    return hub.createUser(userFixture())
  })
  const until = Date.now() + 10000
  let seen = null
  while (Date.now() < until && seen === null) {
    const file = new (require('better-sqlite3'))(b.file, { readonly: true })
    try {
      seen = file.prepare('SELECT id FROM users WHERE id = ?').get(user.id) ?? null
    } finally {
      file.close()
    }
    if (seen === null) await sleep(50)
  }
  expect(seen).toEqual({ id: user.id })
})

/** `work()` on the hub adapter, tried again while its pool still holds connections of before a restart. */
async function onHubAgain(work) {
  for (let tries = 0; ; tries++) {
    try {
      return await work()
    } catch (error) {
      if (error.code !== 'DB_UNAVAILABLE' || tries >= 20) throw error
      await sleep(100)
    }
  }
}

/** Resolves once `replica` refuses `token`: how long after `since` that was, in ms. */
async function refusedAfter(replica, token, since) {
  while ((await replica.database.getSessionAndUser(token)) !== null) await sleep(5)
  return Date.now() - since
}

describe("back within a second of the hub's return, whatever the outage's length", () => {
  test.each([3000, 4500, 7000])(
    'after a %i ms outage, replica B refuses a session signed out on replica A during it, and one signed out on the hub at its return, within a second',
    async (downMs) => {
      const [a, b] = replicas
      const user = await onHubAgain(() => hub.createUser(userFixture()))
      const other = await onHubAgain(() => hub.createUser(userFixture()))
      const duringOutage = await hub.createSession({ sessionToken: randomUUID(), userId: user.id, expires: new Date(Date.now() + 3600e3) })
      const atReturn = await hub.createSession({ sessionToken: randomUUID(), userId: other.id, expires: new Date(Date.now() + 3600e3) })
      for (const replica of [a, b]) {
        for (const session of [duringOutage, atReturn]) expect(await replica.database.getSessionAndUser(session.sessionToken)).not.toBeNull()
      }
      await cluster.stopServer()
      let back
      try {
        // Queued on A while the hub is away.
        expect(await a.database.deleteSession(duringOutage.sessionToken)).not.toBeNull()
        await sleep(downMs)
      } finally {
        await cluster.startServer()
        back = Date.now()
      }
      // Through psql in the background, so this process's replicas are not held up meanwhile.
      const deleted = psqlLater(`DELETE FROM faults.sessions WHERE user_id = '${other.id}'`, own.url)
      const [signedOutOnA, signedOutOnHub] = await Promise.all([
        refusedAfter(b, duringOutage.sessionToken, back),
        refusedAfter(b, atReturn.sessionToken, back),
      ])
      await deleted
      console.log(`outage of ${downMs} ms: B refused the session signed out on A ${signedOutOnA} ms, and on the hub ${signedOutOnHub} ms, after the hub's return`)
      expect(signedOutOnA).toBeLessThan(1000)
      expect(signedOutOnHub).toBeLessThan(1000)
    },
    30000,
  )
})

test('a replica process started while the hub is down serves its file, register() resolves undefined, and it registers and goes live once the hub answers', async () => {
  const user = await onHubAgain(() => hub.createUser(userFixture()))
  const session = await hub.createSession({ sessionToken: randomUUID(), userId: user.id, expires: new Date(Date.now() + 3600e3) })
  // A replica that ran before: its file holds the session.
  const before = startReplica(hubConfig())
  expect(await before.ready).toEqual({ id: 0, ready: true, registered: true })
  expect((await before.send({ op: 'call', method: 'getSessionAndUser', args: [session.sessionToken] })).value.user.id).toBe(user.id)
  await before.send({ op: 'close' })

  await cluster.stopServer()
  let restarted
  const extended = new Date(Date.now() + 7200e3)
  try {
    // The server restarts during the outage, with the README's start-up snippet.
    restarted = startReplica(hubConfig(), { file: before.file })
    expect(await restarted.ready).toEqual({ id: 0, ready: true, registered: false })
    const read = await restarted.send({ op: 'call', method: 'getSessionAndUser', args: [session.sessionToken] })
    expect(read.value.user.id).toBe(user.id)
    // A write that can wait is queued, as during any outage.
    const queued = await restarted.send({ op: 'call', method: 'updateSession', args: [{ sessionToken: session.sessionToken, expires: extended }] })
    expect(queued.code).toBeUndefined()
  } finally {
    await cluster.startServer()
  }
  try {
    // Registered and live once the hub answers, and the app hears of both.
    expect((await restarted.send({ op: 'events', until: 'sync:live' })).names).toEqual(['device:register', 'sync:live'])
    expect(await restarted.send({ op: 'flush' })).toEqual({ id: expect.any(Number) })
    expect((await onHubAgain(() => hub.getSessionAndUser(session.sessionToken))).session.expires).toEqual(extended)
    await onHubAgain(() => hub.updateUser({ id: user.id, name: 'Seen live' }))
    expect(await restarted.send({ op: 'untilName', userId: user.id, name: 'Seen live' })).toEqual(expect.objectContaining({ at: expect.any(Number) }))
  } finally {
    await restarted.send({ op: 'close' })
  }
}, 30000)

test('while the hub is unreachable, an expired copy is answered as it is, and the sign-out that follows spares a session the hub extended', async () => {
  // A replica that is not live: its copy stays as it was read.
  const stale = newReplica(hubConfig(), { busyTimeout: 1000 })
  const user = await onHubAgain(() => hub.createUser(userFixture()))
  const oldExpiry = new Date(Date.now() + 800)
  const session = await hub.createSession({ sessionToken: randomUUID(), userId: user.id, expires: oldExpiry })
  expect((await stale.database.getSessionAndUser(session.sessionToken)).session.expires).toEqual(oldExpiry)
  const extended = new Date(Date.now() + 3600e3)
  await hub.updateSession({ sessionToken: session.sessionToken, expires: extended })
  await cluster.stopServer()
  try {
    await sleep(Math.max(0, oldExpiry.getTime() - Date.now()) + 50)
    // The hub cannot confirm: the copy is all this replica has, and Auth.js ends the session here.
    expect((await stale.database.getSessionAndUser(session.sessionToken)).session.expires).toEqual(oldExpiry)
    await stale.database.deleteSession(session.sessionToken)
    expect(await stale.database.getSessionAndUser(session.sessionToken)).toBeNull()
  } finally {
    await cluster.startServer()
  }
  await onHubAgain(() => stale.flush())
  // The queued sign-out did not end the session the hub holds as extended…
  expect((await onHubAgain(() => hub.getSessionAndUser(session.sessionToken))).session.expires).toEqual(extended)
  // …and the replica reads it back from the hub.
  expect((await stale.database.getSessionAndUser(session.sessionToken)).session.expires).toEqual(extended)
}, 30000)

test('a live replica emits sync:offline when the hub goes, and sync:live once it is back and caught up', async () => {
  const c = replicas[2]
  // C is live again after the earlier tests' outages: a change on the hub reaches its file.
  const probe = await onHubAgain(() => hub.createUser(userFixture()))
  const inFile = () => {
    const file = new (require('better-sqlite3'))(c.file, { readonly: true })
    try {
      return file.prepare('SELECT id FROM users WHERE id = ?').get(probe.id) !== undefined
    } finally {
      file.close()
    }
  }
  const live = Date.now() + 5000
  while (!inFile() && Date.now() < live) await sleep(20)
  const seen = []
  const record = (name) => (payload) => seen.push({ name, payload })
  const listeners = { 'sync:offline': record('sync:offline'), 'sync:live': record('sync:live') }
  for (const [name, listener] of Object.entries(listeners)) await c.event.subscribe(name, listener)
  try {
    await cluster.restart({ downMs: 500 })
    // From the restart on (a reconnection left over from an earlier test may report first).
    const fromRestart = () => seen.slice(seen.findIndex((e) => e.name === 'sync:offline'))
    const until = Date.now() + 5000
    while (!(seen.some((e) => e.name === 'sync:offline') && fromRestart().some((e) => e.name === 'sync:live')) && Date.now() < until) await sleep(10)
    expect(fromRestart()).toEqual([
      { name: 'sync:offline', payload: { reason: expect.any(String) } },
      { name: 'sync:live', payload: { changes: expect.any(Number) } },
    ])
  } finally {
    for (const [name, listener] of Object.entries(listeners)) await c.event.unsubscribe(name, listener)
  }
})
