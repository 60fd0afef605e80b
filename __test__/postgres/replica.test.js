'use strict'
// Local-first replicas (RustClientDb): each behaviour of the issue, one test each, against a
// real hub (a fresh schema on the test server) and replica files in temp directories.
const { randomUUID } = require('node:crypto')
const Database = require('better-sqlite3')
const { AUTHJS_METHODS, newAdapter, storeConfig, userFixture, sessionFixture, verificationTokenFixture } = require('../helpers')
const { psql, psqlLater, newReplica } = require('./pg')

/** A hub (plain PostgreSQL adapter, as another app server would use) and its config. */
function newHub() {
  return newAdapter(storeConfig({ sweepInterval: 0 }))
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits until `check()` is true (polling), or fails after `ms`. */
async function eventually(check, ms = 5000) {
  const until = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time')
    await sleep(5)
  }
}

describe('the handle', () => {
  test('has the Client DB shape: brand, database, sync methods, device, schema, event', () => {
    const replica = newReplica(newHub().config)
    expect(replica.__brand).toBe('REPLOCAL_CLIENT_DB')
    for (const name of AUTHJS_METHODS) expect(typeof replica.database[name]).toBe('function')
    for (const name of ['close', 'flush', 'pull', 'push', 'live']) expect(typeof replica[name]).toBe('function')
    expect(Object.keys(replica.device).sort()).toEqual(['deregister', 'register'])
    expect(Object.keys(replica.schema).sort()).toEqual(['migrate', 'validate'])
    expect(Object.keys(replica.event).sort()).toEqual(['subscribe', 'unsubscribe'])
  })

  test('RustAdapter refuses a hub option and points to RustClientDb', () => {
    const { RustAdapter } = require('../..')
    expect(() => RustAdapter({ filename: ':memory:', hub: process.env.AUTHJS_TEST_PG_URL })).toThrow(/RustClientDb/)
  })

  test('RustClientDb without a hub, or with a url beside it, is refused naming the option', () => {
    const { RustClientDb } = require('../..')
    expect(() => RustClientDb({ filename: ':memory:' })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/^INVALID_INPUT: config\.hub /) }),
    )
    const url = process.env.AUTHJS_TEST_PG_URL
    expect(() => RustClientDb({ filename: ':memory:', hub: url, url })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/^INVALID_INPUT: config\.hub /) }),
    )
  })

  test('an unknown event name is refused: subscribe rejects with INVALID_INPUT', async () => {
    const replica = newReplica(newHub().config)
    await expect(replica.event.subscribe('sync:everything', () => {})).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })

  test('subscribe and unsubscribe resolve, as the Client DB guide types them', async () => {
    const replica = newReplica(newHub().config)
    const listener = () => {}
    await expect(replica.event.subscribe('change', listener)).resolves.toBeUndefined()
    await expect(replica.event.unsubscribe('change', listener)).resolves.toBeUndefined()
    await expect(replica.event.subscribe('change', 'not a function')).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })
})

describe('reads', () => {
  test('a row created through another server is read through from the hub on a miss, then kept', async () => {
    const hub = newHub()
    const replica = newReplica(hub.config)
    const user = await hub.createUser(userFixture())
    const session = await hub.createSession(sessionFixture(user.id))
    expect(await replica.database.getSessionAndUser(session.sessionToken)).toEqual({ session, user })
    // Removed on the hub behind the replica's back (no pull yet): the kept copy still answers…
    psql(`DELETE FROM "${hub.config.schema}".sessions`)
    expect(await replica.database.getSessionAndUser(session.sessionToken)).toEqual({ session, user })
    // …until the replica pulls.
    await replica.pull()
    expect(await replica.database.getSessionAndUser(session.sessionToken)).toBeNull()
  })

  test('every read method finds what another server wrote', async () => {
    const hub = newHub()
    const replica = newReplica(hub.config)
    const user = await hub.createUser(userFixture())
    const account = { userId: user.id, type: 'oauth', provider: 'github', providerAccountId: randomUUID(), access_token: 'a' }
    await hub.linkAccount(account)
    const authenticator = {
      credentialID: randomUUID(), userId: user.id, providerAccountId: account.providerAccountId, credentialPublicKey: 'k',
      counter: 1, credentialDeviceType: 'singleDevice', credentialBackedUp: false, transports: null,
    }
    await hub.createAuthenticator(authenticator)
    const db = replica.database
    expect(await db.getUser(user.id)).toEqual(user)
    expect(await db.getUserByEmail(user.email)).toEqual(user)
    expect(await db.getUserByAccount(account)).toEqual(user)
    expect(await db.getAccount(account.providerAccountId, account.provider)).toEqual(account)
    expect(await db.getAuthenticator(authenticator.credentialID)).toEqual(authenticator)
    expect(await db.listAuthenticatorsByUserId(user.id)).toEqual([authenticator])
    expect(await db.getUser('nobody')).toBeNull()
  })
})

describe("a stale copy of a session (a replica that is not live, and another server extended it)", () => {
  /** A session expiring in `ms` read through `replica` (kept), then extended on the hub by another server. */
  async function staleCopy(hub, replica, ms = 600) {
    const user = await hub.createUser(userFixture())
    const session = await hub.createSession(sessionFixture(user.id, { expires: new Date(Date.now() + ms) }))
    expect((await replica.database.getSessionAndUser(session.sessionToken)).session).toEqual(session)
    const extended = new Date(Date.now() + 3600e3)
    await hub.updateSession({ sessionToken: session.sessionToken, expires: extended })
    await sleep(Math.max(0, session.expires.getTime() - Date.now()) + 20)
    return { user, session, extended }
  }

  test("an expiry seen on the replica's copy is confirmed by the hub: the session is answered with the hub's expiry", async () => {
    const hub = newHub()
    const replica = newReplica(hub.config)
    const { user, session, extended } = await staleCopy(hub, replica)
    expect(await replica.database.getSessionAndUser(session.sessionToken)).toEqual({ session: { ...session, expires: extended }, user })
  })

  test('a deleteSession that follows the stale view does not delete the session the hub has extended', async () => {
    const hub = newHub()
    const replica = newReplica(hub.config)
    const { session, extended } = await staleCopy(hub, replica)
    expect(await replica.database.deleteSession(session.sessionToken)).toBeNull()
    expect((await hub.getSessionAndUser(session.sessionToken)).session.expires).toEqual(extended)
    expect((await replica.database.getSessionAndUser(session.sessionToken)).session.expires).toEqual(extended)
  })

  test('a session expired on the hub too is reported expired, and deleteSession then deletes it on the hub', async () => {
    const hub = newHub()
    const replica = newReplica(hub.config)
    const user = await hub.createUser(userFixture())
    const session = await hub.createSession(sessionFixture(user.id, { expires: new Date(Date.now() + 300) }))
    await replica.database.getSessionAndUser(session.sessionToken)
    await sleep(350)
    expect((await replica.database.getSessionAndUser(session.sessionToken)).session).toEqual(session)
    expect(await replica.database.deleteSession(session.sessionToken)).toEqual(session)
    expect(psql(`SELECT count(*) FROM "${hub.config.schema}".sessions`)).toEqual([['0']])
  })
})

describe('secret and encryptionKey on a replica', () => {
  const keys = { secret: 'the hub secret', encryptionKey: require('node:crypto').randomBytes(32).toString('base64') }

  test("with the hub's keys, a replica reads the hub's sessions and OAuth tokens, and its file holds the rows as stored: hashed and sealed", async () => {
    const hub = newAdapter(storeConfig({ sweepInterval: 0, ...keys }))
    const replica = newReplica(hub.config, keys)
    const user = await hub.createUser(userFixture())
    const session = await hub.createSession(sessionFixture(user.id))
    const account = { userId: user.id, type: 'oauth', provider: 'github', providerAccountId: randomUUID(), access_token: `plain-${randomUUID()}` }
    await hub.linkAccount(account)
    expect(await replica.database.getSessionAndUser(session.sessionToken)).toEqual({ session, user })
    expect(await replica.database.getAccount(account.providerAccountId, account.provider)).toEqual(account)
    const schema = hub.config.schema
    const [[hubHash]] = psql(`SELECT session_token_hash FROM "${schema}".sessions`)
    const [[hubSealed]] = psql(`SELECT access_token FROM "${schema}".accounts`)
    expect(hubSealed).not.toContain(account.access_token)
    const file = new Database(replicaFile(replica), { readonly: true })
    try {
      expect(file.prepare('SELECT session_token_hash FROM sessions').all()).toEqual([{ session_token_hash: hubHash }])
      expect(file.prepare('SELECT access_token FROM accounts').all()).toEqual([{ access_token: hubSealed }])
    } finally {
      file.close()
    }
  })

  test("a replica without the hub's secret does not find the hub's sessions: the keys must match", async () => {
    const hub = newAdapter(storeConfig({ sweepInterval: 0, ...keys }))
    const replica = newReplica(hub.config)
    const user = await hub.createUser(userFixture())
    const session = await hub.createSession(sessionFixture(user.id))
    expect(await replica.database.getSessionAndUser(session.sessionToken)).toBeNull()
  })
})

describe('writes', () => {
  test('a write resolves after the hub committed it', async () => {
    const hub = newHub()
    const replica = newReplica(hub.config)
    const user = await replica.database.createUser(userFixture())
    expect(await hub.getUser(user.id)).toEqual(user)
    const session = await replica.database.createSession(sessionFixture(user.id))
    expect((await hub.getSessionAndUser(session.sessionToken)).session).toEqual(session)
  })

  test('unique rules are decided by the hub: two replicas creating one email, the second gets UNIQUE_VIOLATION', async () => {
    const hub = newHub()
    const a = newReplica(hub.config)
    const b = newReplica(hub.config)
    const email = `one-${randomUUID()}@example.com`
    await a.database.createUser(userFixture({ email }))
    await expect(b.database.createUser(userFixture({ email }))).rejects.toMatchObject({ code: 'UNIQUE_VIOLATION' })
  })

  test('a verification token made through one replica is used exactly once through others', async () => {
    const hub = newHub()
    const replicas = [newReplica(hub.config), newReplica(hub.config), newReplica(hub.config)]
    const token = verificationTokenFixture()
    await replicas[0].database.createVerificationToken(token)
    const key = { identifier: token.identifier, token: token.token }
    const results = await Promise.all(replicas.flatMap((r) => [r, r].map(() => r.database.useVerificationToken(key))))
    expect(results.filter((r) => r !== null)).toEqual([token])
  })
})

describe("a user's sessions through a replica", () => {
  test("listSessions shows the hub's list, sessions made through other servers included", async () => {
    const hub = newHub()
    const replica = newReplica(hub.config)
    const user = await replica.database.createUser(userFixture())
    await replica.database.createSession(sessionFixture(user.id))
    await hub.createSession(sessionFixture(user.id))
    const listed = await replica.database.listSessions(user.id)
    expect(listed).toHaveLength(2)
    expect(listed.map((s) => s.id).sort()).toEqual((await hub.listSessions(user.id)).map((s) => s.id).sort())
  })

  test('a session revoked through a replica is refused by that replica at once, and by the hub', async () => {
    const hub = newHub()
    const replica = newReplica(hub.config)
    const user = await hub.createUser(userFixture())
    const session = await hub.createSession(sessionFixture(user.id))
    expect(await replica.database.getSessionAndUser(session.sessionToken)).not.toBeNull()
    const [listed] = await replica.database.listSessions(user.id)
    expect(await replica.database.revokeSession(user.id, listed.id)).toMatchObject({ id: listed.id })
    expect(await replica.database.getSessionAndUser(session.sessionToken)).toBeNull()
    expect(await hub.getSessionAndUser(session.sessionToken)).toBeNull()
  })

  test('revokeUserSessions through a replica signs the user out on the hub and on the replica', async () => {
    const hub = newHub()
    const replica = newReplica(hub.config)
    const user = await hub.createUser(userFixture())
    const kept = await hub.createSession(sessionFixture(user.id))
    const gone = await hub.createSession(sessionFixture(user.id))
    await replica.database.getSessionAndUser(gone.sessionToken)
    expect(await replica.database.revokeUserSessions(user.id, { except: kept.sessionToken })).toBe(1)
    expect(await replica.database.getSessionAndUser(gone.sessionToken)).toBeNull()
    expect(await replica.database.getSessionAndUser(kept.sessionToken)).not.toBeNull()
  })
})

describe('pull', () => {
  test('applies every change made on the hub since the last pull: inserts, updates and cascading deletes', async () => {
    const hub = newHub()
    const replica = newReplica(hub.config)
    const kept = await hub.createUser(userFixture())
    const gone = await hub.createUser(userFixture())
    const session = await hub.createSession(sessionFixture(gone.id))
    await replica.pull()
    await hub.updateUser({ id: kept.id, name: 'Renamed' })
    await hub.deleteUser(gone.id)
    const events = []
    replica.event.subscribe('sync:pull', (e) => events.push(e))
    await replica.pull()
    expect(events).toEqual([{ changes: expect.any(Number) }])
    const file = new Database(replicaFile(replica), { readonly: true })
    try {
      expect(file.prepare('SELECT id, name FROM users').all()).toEqual([{ id: kept.id, name: 'Renamed' }])
      expect(file.prepare('SELECT count(*) AS n FROM sessions').get().n).toBe(0)
    } finally {
      file.close()
    }
    expect(session.userId).toBe(gone.id)
  })

  test('a rolled-back transaction leaves nothing in the log', async () => {
    const hub = newHub()
    const replica = newReplica(hub.config)
    await replica.pull()
    psql(`BEGIN; INSERT INTO "${hub.config.schema}".users (id) VALUES ('rolled-back'); ROLLBACK`)
    psql(`INSERT INTO "${hub.config.schema}".users (id) VALUES ('committed')`)
    await replica.pull()
    expect(await localIds(replica)).toEqual(['committed'])
  })

  test('a transaction that commits after a newer one is still pulled (the position waits for it)', async () => {
    const hub = newHub()
    const replica = newReplica(hub.config)
    await replica.pull()
    const schema = hub.config.schema
    // The first transaction takes its id, then stays open for a while before committing.
    const slow = psqlLater(`BEGIN; INSERT INTO "${schema}".users (id) VALUES ('older'); SELECT pg_sleep(1.5); COMMIT`)
    await sleep(400)
    psql(`INSERT INTO "${schema}".users (id) VALUES ('newer')`)
    await replica.pull()
    expect(await localIds(replica)).toEqual(['newer'])
    await slow
    await replica.pull()
    expect(await localIds(replica)).toEqual(['newer', 'older'])
  })
})

describe('change log retention', () => {
  test("the hub's prune() drops log rows older than a week and moves the floor past them", async () => {
    const hub = newHub()
    const replica = newReplica(hub.config)
    await replica.pull()
    await hub.createUser(userFixture())
    const schema = hub.config.schema
    psql(`UPDATE "${schema}".change_log SET at = now() - interval '8 days'`)
    await hub.prune()
    expect(psql(`SELECT count(*) FROM "${schema}".change_log`)).toEqual([['0']])
    expect(Number(psql(`SELECT xid::text FROM "${schema}".change_log_floor`)[0][0])).toBeGreaterThan(0)
  })

  test('a replica behind the pruned part of the log takes a full copy, so it misses nothing', async () => {
    const hub = newHub()
    const replica = newReplica(hub.config)
    await replica.pull()
    const user = await hub.createUser(userFixture())
    const schema = hub.config.schema
    psql(`UPDATE "${schema}".change_log SET at = now() - interval '8 days'`)
    await hub.prune()
    await replica.pull()
    expect(await localIds(replica)).toEqual([user.id])
  })
})

/** The replica's SQLite file (see newReplica). */
const replicaFile = (replica) => replica.file

/** User ids in the replica's own file, read with an independent SQLite (better-sqlite3). */
async function localIds(replica) {
  const file = new Database(replicaFile(replica), { readonly: true })
  try {
    return file.prepare('SELECT id FROM users ORDER BY id').all().map((r) => r.id)
  } finally {
    file.close()
  }
}

describe('devices and live sync', () => {
  test('register returns a device id, a pubsub token with its expiry and the endpoints, and emits device:register', async () => {
    const hub = newHub()
    const replica = newReplica(hub.config)
    const events = []
    replica.event.subscribe('device:register', (e) => events.push(e))
    const reg = await replica.device.register()
    expect(reg).toEqual({
      deviceId: expect.any(String),
      pubsubToken: { value: expect.any(String), expiresAt: expect.any(Number) },
      endpoints: [expect.stringMatching(/^postgres:\/\//)],
    })
    expect(reg.pubsubToken.expiresAt).toBeGreaterThan(Date.now())
    expect(events).toEqual([reg])
    // Stored on the hub only as a hash.
    const [[hash]] = psql(`SELECT token_hash FROM "${hub.config.schema}".devices WHERE id = '${reg.deviceId}'`)
    expect(hash).not.toContain(reg.pubsubToken.value)
    expect(hash).toBe(require('node:crypto').createHash('sha256').update(reg.pubsubToken.value).digest('hex'))
  })

  test('registering again renews the token and keeps the device id', async () => {
    const replica = newReplica(newHub().config)
    const first = await replica.device.register()
    const second = await replica.device.register()
    expect(second.deviceId).toBe(first.deviceId)
    expect(second.pubsubToken.value).not.toBe(first.pubsubToken.value)
  })

  test("live applies another server's changes without a pull", async () => {
    const hub = newHub()
    const replica = newReplica(hub.config)
    const reg = await replica.device.register()
    await replica.live(reg.endpoints)
    const user = await hub.createUser(userFixture())
    await eventually(async () => (await localIds(replica)).includes(user.id))
  })

  test('live refuses an expired pubsub token with UNAUTHORIZED', async () => {
    const hub = newHub()
    const replica = newReplica(hub.config)
    const reg = await replica.device.register()
    psql(`UPDATE "${hub.config.schema}".devices SET expires_at = 0`)
    await expect(replica.live(reg.endpoints)).rejects.toMatchObject({ code: 'UNAUTHORIZED' })
  })

  test.each([
    ['replaced', (schema, id) => `UPDATE "${schema}".devices SET token_hash = 'replaced' WHERE id = '${id}'`],
    ['revoked', (schema, id) => `DELETE FROM "${schema}".devices WHERE id = '${id}'`],
  ])('a pubsub token %s on the hub is refused at the next reconnection: live sync stops with an unauthorized event', async (_, revoke) => {
    const hub = newHub()
    const replica = newReplica(hub.config)
    const reg = await replica.device.register()
    await replica.live(reg.endpoints)
    let refused
    const unauthorized = new Promise((resolve) => (refused = resolve))
    await replica.event.subscribe('unauthorized', refused)
    psql(revoke(hub.config.schema, reg.deviceId))
    // Its listening connection drops (a network blip, a hub restart).
    const channel = reg.endpoints[0].split('#')[1]
    expect(psql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN ${channel}'`)).toEqual([['t']])
    expect(await unauthorized).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/^UNAUTHORIZED: /) })
    // No more changes arrive.
    const user = await hub.createUser(userFixture())
    await sleep(1500)
    expect(await localIds(replica)).not.toContain(user.id)
  })

  test('live refuses endpoints of another hub, and refuses to start unregistered', async () => {
    const replica = newReplica(newHub().config)
    await expect(replica.live(['postgres://elsewhere:5432/db#x'])).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    const other = newReplica(newHub().config)
    const reg = await other.device.register()
    await expect(newReplica(newHub().config).live(reg.endpoints)).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })

  test('deregister removes the record, emits device:deregister, and live then needs a new registration', async () => {
    const hub = newHub()
    const replica = newReplica(hub.config)
    const events = []
    replica.event.subscribe('device:deregister', () => events.push('deregister'))
    const reg = await replica.device.register()
    await replica.device.deregister()
    expect(psql(`SELECT count(*) FROM "${hub.config.schema}".devices`)).toEqual([['0']])
    expect(events).toEqual(['deregister'])
    await expect(replica.live(reg.endpoints)).rejects.toMatchObject({ code: 'UNAUTHORIZED' })
  })
})

describe('schema', () => {
  test('validate lists what the replica and the hub lack; migrate adds it; then validate passes', async () => {
    const hub = newHub()
    const replica = newReplica(hub.config)
    const declared = { user: { role: 'text', plan: 'text', seats: 'integer' } }
    const error = await replica.schema.validate(declared).catch((e) => e)
    expect(error.code).toBe('SCHEMA_MISMATCH')
    expect(error.differences).toEqual(
      expect.arrayContaining(['replica: users.role (text) is missing', 'hub: users.role (text) is missing', 'hub: users.seats (integer) is missing']),
    )
    await replica.schema.migrate(declared)
    await expect(replica.schema.validate(declared)).resolves.toBeUndefined()
  })

  test('declared columns round-trip like built-ins and are real columns on both sides', async () => {
    const hub = newHub()
    const replica = newReplica(hub.config)
    await replica.schema.migrate({ user: { role: 'text', seats: 'integer', trial: 'boolean' } })
    const user = await replica.database.createUser(userFixture({ role: 'admin', seats: 5, trial: true }))
    expect(await replica.database.getUser(user.id)).toEqual(user)
    expect(await hub.getUser(user.id)).toEqual(user)
    expect(psql(`SELECT role, seats, trial FROM "${hub.config.schema}".users`)).toEqual([['admin', '5', 't']])
    await replica.pull()
    const file = new Database(replicaFile(replica), { readonly: true })
    try {
      expect(file.prepare('SELECT role, seats, trial FROM users').get()).toEqual({ role: 'admin', seats: 5, trial: 1 })
    } finally {
      file.close()
    }
  })

  test('a declared column cannot shadow a built-in one', async () => {
    const replica = newReplica(newHub().config)
    await expect(replica.schema.migrate({ user: { email: 'text' } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('schema.user.email'),
    })
  })
})
