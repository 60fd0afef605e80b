'use strict'
// The NextAuth.js v3 face: LegacyAdapter(config).getAdapter(appOptions), v3 semantics, same tables.
const { createHash, randomUUID } = require('node:crypto')
const { RustAdapter, LegacyAdapter } = require('..')
const { onPostgres, sqliteTest, storeConfig } = require('./helpers')

const open = []
afterAll(() => Promise.all(open.map((a) => a.close())))

/**
 * A v3 adapter and a v5 adapter on the same new database (on SQLite, the v3 one through the
 * TypeORM-style config v3 apps have).
 */
async function both(appOptions = {}) {
  const config = storeConfig({ sweepInterval: 0 })
  const v3Config = onPostgres ? config : { type: 'sqlite', database: config.filename, synchronize: true, sweepInterval: 0 }
  const legacy = await LegacyAdapter(v3Config).getAdapter({
    secret: 'app-secret',
    ...appOptions,
  })
  const modern = RustAdapter(config)
  open.push(modern)
  return { legacy, modern }
}

/** What the v5 face returns for a user the v3 face returned (v3 shows empty columns as null). */
const emailProvider = () => {
  const sent = []
  return { sent, maxAge: 600, sendVerificationRequest: async (params) => void sent.push(params) }
}

describe('users and accounts', () => {
  test('createUser keeps only the user fields of a provider profile and makes a new id', async () => {
    const { legacy } = await both()
    const user = await legacy.createUser({ id: 'github-123', name: 'Ada', email: 'ada@example.com', image: 'a.png', login: 'ada' })
    expect(user.id).not.toBe('github-123')
    expect(user).toEqual({ id: user.id, name: 'Ada', email: 'ada@example.com', image: 'a.png', emailVerified: null })
  })

  test('getUserByEmail returns null for an empty email', async () => {
    const { legacy } = await both()
    expect(await legacy.getUserByEmail(null)).toBeNull()
    expect(await legacy.getUserByEmail('')).toBeNull()
  })

  test('linkAccount takes positional v3 arguments and stores the expiry in seconds', async () => {
    const { legacy, modern } = await both()
    const user = await legacy.createUser({ email: 'x@example.com' })
    const expires = new Date('2030-01-01T00:00:00.000Z')
    await legacy.linkAccount(user.id, 'github', 'oauth', '42', 'refresh', 'access', expires)
    expect(await modern.getAccount('42', 'github')).toEqual({
      userId: user.id,
      provider: 'github',
      type: 'oauth',
      providerAccountId: '42',
      refresh_token: 'refresh',
      access_token: 'access',
      expires_at: expires.valueOf() / 1000,
    })
  })

  test('getUserByProviderAccountId finds the user of a linked account, else null', async () => {
    const { legacy } = await both()
    const user = await legacy.createUser({ email: 'x@example.com' })
    await legacy.linkAccount(user.id, 'github', 'oauth', '42', null, null, null)
    expect(await legacy.getUserByProviderAccountId('github', '42')).toEqual(user)
    expect(await legacy.getUserByProviderAccountId('github', 'nope')).toBeNull()
  })

  test('unlinkAccount removes the account', async () => {
    const { legacy } = await both()
    const user = await legacy.createUser({ email: 'x@example.com' })
    await legacy.linkAccount(user.id, 'github', 'oauth', '42')
    await legacy.unlinkAccount(user.id, 'github', '42')
    expect(await legacy.getUserByProviderAccountId('github', '42')).toBeNull()
  })

  test('getUserByCredentials is always null', async () => {
    const { legacy } = await both()
    expect(await legacy.getUserByCredentials({ username: 'a', password: 'b' })).toBeNull()
  })

  test('updateUser and deleteUser work by id', async () => {
    const { legacy } = await both()
    const user = await legacy.createUser({ email: 'x@example.com' })
    expect((await legacy.updateUser({ id: user.id, name: 'New' })).name).toBe('New')
    await legacy.deleteUser(user.id)
    expect(await legacy.getUser(user.id)).toBeNull()
  })
})

describe('sessions', () => {
  const DAY = 24 * 3600 * 1000

  test('createSession makes a random token expiring after session.maxAge', async () => {
    const { legacy } = await both({ session: { maxAge: 3600, updateAge: 60 } })
    const user = await legacy.createUser({ email: 'x@example.com' })
    const before = Date.now()
    const session = await legacy.createSession(user)
    expect(session.sessionToken).toMatch(/^[0-9a-f]{64}$/)
    expect(session.accessToken).toMatch(/^[0-9a-f]{64}$/)
    expect(session.expires.valueOf()).toBeGreaterThanOrEqual(before + 3600e3)
    expect(session.expires.valueOf()).toBeLessThanOrEqual(Date.now() + 3600e3)
  })

  test('getSession returns the session, with the same accessToken as at creation', async () => {
    const { legacy } = await both()
    const user = await legacy.createUser({ email: 'x@example.com' })
    const session = await legacy.createSession(user)
    expect(await legacy.getSession(session.sessionToken)).toEqual(session)
  })

  test('getSession deletes an expired session and returns null', async () => {
    const { legacy, modern } = await both()
    const user = await legacy.createUser({ email: 'x@example.com' })
    const token = randomUUID()
    await modern.createSession({ sessionToken: token, userId: user.id, expires: new Date(Date.now() - 1000) })
    expect(await legacy.getSession(token)).toBeNull()
    expect(await modern.getSessionAndUser(token)).toBeNull()
  })

  test('updateSession does not extend a session younger than updateAge', async () => {
    const { legacy } = await both({ session: { maxAge: 30 * 86400, updateAge: 86400 } })
    const user = await legacy.createUser({ email: 'x@example.com' })
    const session = await legacy.createSession(user)
    expect(await legacy.updateSession(session)).toBeNull()
    expect((await legacy.getSession(session.sessionToken)).expires).toEqual(session.expires)
  })

  test('updateSession extends a session once it is older than updateAge', async () => {
    const { legacy, modern } = await both({ session: { maxAge: 30 * 86400, updateAge: 86400 } })
    const user = await legacy.createUser({ email: 'x@example.com' })
    const token = randomUUID()
    // Created two days ago: due for extension.
    const old = await modern.createSession({ sessionToken: token, userId: user.id, expires: new Date(Date.now() + 28 * DAY) })
    const updated = await legacy.updateSession({ ...old, accessToken: 'x' })
    expect(updated.expires.valueOf()).toBeGreaterThan(Date.now() + 29 * DAY)
    expect((await legacy.getSession(token)).expires).toEqual(updated.expires)
  })

  test('updateSession with force writes even when not due', async () => {
    const { legacy } = await both({ session: { maxAge: 30 * 86400, updateAge: 86400 } })
    const user = await legacy.createUser({ email: 'x@example.com' })
    const session = await legacy.createSession(user)
    expect(await legacy.updateSession(session, true)).toEqual(session)
  })

  test('deleteSession removes the session', async () => {
    const { legacy } = await both()
    const user = await legacy.createUser({ email: 'x@example.com' })
    const session = await legacy.createSession(user)
    await legacy.deleteSession(session.sessionToken)
    expect(await legacy.getSession(session.sessionToken)).toBeNull()
  })
})

describe('verification requests', () => {
  test('createVerificationRequest stores only sha256(token + secret) and sends the link', async () => {
    const { legacy, modern } = await both()
    const provider = emailProvider()
    await legacy.createVerificationRequest('a@example.com', 'https://app/cb?token=t0k', 't0k', 'app-secret', provider)
    expect(provider.sent).toEqual([
      expect.objectContaining({ identifier: 'a@example.com', url: 'https://app/cb?token=t0k', token: 't0k' }),
    ])
    const hashed = createHash('sha256').update('t0kapp-secret').digest('hex')
    expect(await modern.useVerificationToken({ identifier: 'a@example.com', token: 't0k' })).toBeNull()
    expect(await modern.useVerificationToken({ identifier: 'a@example.com', token: hashed })).toMatchObject({ token: hashed })
  })

  test('getVerificationRequest finds a live request without using it up', async () => {
    const { legacy } = await both()
    await legacy.createVerificationRequest('a@example.com', 'u', 't0k', 'app-secret', emailProvider())
    const first = await legacy.getVerificationRequest('a@example.com', 't0k', 'app-secret')
    expect(first).toMatchObject({ identifier: 'a@example.com' })
    expect(await legacy.getVerificationRequest('a@example.com', 't0k', 'app-secret')).toEqual(first)
  })

  test('getVerificationRequest deletes an expired request and returns null', async () => {
    const { legacy, modern } = await both()
    const hashed = createHash('sha256').update('oldapp-secret').digest('hex')
    await modern.createVerificationToken({ identifier: 'a@example.com', token: hashed, expires: new Date(Date.now() - 1000) })
    expect(await legacy.getVerificationRequest('a@example.com', 'old', 'app-secret')).toBeNull()
    expect(await modern.useVerificationToken({ identifier: 'a@example.com', token: hashed })).toBeNull()
  })

  test('deleteVerificationRequest removes the request', async () => {
    const { legacy } = await both()
    await legacy.createVerificationRequest('a@example.com', 'u', 't0k', 'app-secret', emailProvider())
    await legacy.deleteVerificationRequest('a@example.com', 't0k', 'app-secret')
    expect(await legacy.getVerificationRequest('a@example.com', 't0k', 'app-secret')).toBeNull()
  })
})

test('v3 users show empty columns as null, as v3 adapters did', async () => {
  const { legacy } = await both()
  const user = await legacy.createUser({ email: 'plain@example.com' })
  expect(user).toEqual({ id: user.id, email: 'plain@example.com', name: null, image: null, emailVerified: null })
})

test('the v3 factory can be closed', async () => {
  const factory = LegacyAdapter(storeConfig({ sweepInterval: 0 }))
  const legacy = await factory.getAdapter({ secret: 's' })
  await factory.close()
  await expect(legacy.getUser('x')).rejects.toMatchObject({ code: 'CLOSED' })
})

describe('v3 and v5 faces share the tables', () => {
  test('a user written by v3 is read by v5, and back', async () => {
    const { legacy, modern } = await both()
    const v3 = await legacy.createUser({ email: 'v3@example.com' })
    expect(await modern.getUserByEmail('v3@example.com')).toEqual(v3)
    const v5 = await modern.createUser({ email: 'v5@example.com', emailVerified: null })
    expect(await legacy.getUserByEmail('v5@example.com')).toEqual({ name: null, image: null, ...v5 })
  })

  test('an account linked by v3 is found by v5, and back', async () => {
    const { legacy, modern } = await both()
    const user = await legacy.createUser({ email: 'x@example.com' })
    await legacy.linkAccount(user.id, 'github', 'oauth', 'from-v3')
    expect(await modern.getUserByAccount({ provider: 'github', providerAccountId: 'from-v3' })).toEqual(user)
    await modern.linkAccount({ userId: user.id, provider: 'google', type: 'oauth', providerAccountId: 'from-v5' })
    expect(await legacy.getUserByProviderAccountId('google', 'from-v5')).toEqual(user)
  })

  test('a session created by v3 is found by v5, and back', async () => {
    const { legacy, modern } = await both()
    const user = await legacy.createUser({ email: 'x@example.com' })
    const v3 = await legacy.createSession(user)
    expect((await modern.getSessionAndUser(v3.sessionToken)).user).toEqual(user)
    const token = randomUUID()
    await modern.createSession({ sessionToken: token, userId: user.id, expires: new Date(Date.now() + 3600e3) })
    expect((await legacy.getSession(token)).userId).toBe(user.id)
  })

  test('a verification request made by v3 is used by v5, and back', async () => {
    const { legacy, modern } = await both()
    await legacy.createVerificationRequest('a@example.com', 'u', 't0k', 'app-secret', emailProvider())
    const hashed = createHash('sha256').update('t0kapp-secret').digest('hex')
    expect(await modern.useVerificationToken({ identifier: 'a@example.com', token: hashed })).not.toBeNull()
    const other = createHash('sha256').update('v5tokapp-secret').digest('hex')
    await modern.createVerificationToken({ identifier: 'b@example.com', token: other, expires: new Date(Date.now() + 60e3) })
    expect(await legacy.getVerificationRequest('b@example.com', 'v5tok', 'app-secret')).toMatchObject({ identifier: 'b@example.com' })
  })
})

sqliteTest('RustAdapter accepts the TypeORM-style config too', async () => {
  const adapter = RustAdapter({ type: 'sqlite', database: ':memory:', synchronize: false, sweepInterval: 0 })
  open.push(adapter)
  expect((await adapter.createUser({ email: 'x@example.com' })).email).toBe('x@example.com')
})

test('a TypeORM-style config for another database type is refused', () => {
  expect(() => LegacyAdapter({ type: 'postgres', database: 'x' })).toThrow(
    expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining('config.type') }),
  )
})
